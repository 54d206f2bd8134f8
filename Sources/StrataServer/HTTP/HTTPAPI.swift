import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import Strata
import StrataCore

/// The HTTP API: InfluxDB-compatible writes, health, readiness, metrics and admin routes.
///
/// Every route is registered through a ``RouteRegistrar`` so that ``RouteTable`` lists exactly what the
/// server serves (the OpenAPI test in StrataServerTests compares it with `Formats/http-api.yaml`).
/// Query and catalogue routes are added by ``QueryRoutes`` (see HTTP/QueryRoutes.swift).
public struct HTTPAPI: Sendable {
    public typealias Context = BasicRequestContext

    let engine: Engine
    let metrics: ServerMetrics
    let pool: NIOThreadPool
    let maxBodySize: Int
    let logger: Logger
    /// The InfluxDB version reported by `/ping` (clients such as Telegraf and influxdb-python read it).
    static let influxVersion = "1.8.10-strata"

    public init(engine: Engine, metrics: ServerMetrics, pool: NIOThreadPool, maxBodySize: Int, logger: Logger) {
        self.engine = engine
        self.metrics = metrics
        self.pool = pool
        self.maxBodySize = maxBodySize
        self.logger = logger
    }

    /// Builds the router with every route and the error/metrics middleware.
    public func makeRouter() -> (router: Router<Context>, routes: RouteTable) {
        let router = Router(context: Context.self)
        let table = RouteTable()
        router.add(middleware: APIMiddleware<Context>(table: table, metrics: metrics, logger: logger))
        let routes = RouteRegistrar(router: router, table: table)
        registerCoreRoutes(routes)
        QueryRoutes(engine: engine, pool: pool).register(routes)
        return (router, table)
    }

    func registerCoreRoutes(_ routes: RouteRegistrar<Context>) {
        routes.on(.post, "/write") { request, _ in
            try await write(request, transport: "http")
        }
        routes.on(.post, "/api/v2/write") { request, _ in
            try await write(request, transport: "http")
        }
        routes.on(.get, "/ping") { _, _ in Self.ping() }
        routes.on(.head, "/ping") { _, _ in Self.ping() }
        routes.on(.get, "/health") { _, _ in
            JSON.response(status: .ok, ["status": "pass", "message": "alive"])
        }
        routes.on(.get, "/ready") { _, _ in
            try await ready()
        }
        routes.on(.get, "/metrics") { _, _ in
            let text = metrics.render(engine: engine)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
        routes.on(.post, "/admin/compact") { _, _ in
            try await compactNow()
        }
    }

    static func ping() -> Response {
        Response(status: .noContent, headers: [HTTPField.Name("X-Influxdb-Version")!: influxVersion,
                                               HTTPField.Name("X-Influxdb-Build")!: "OSS"])
    }

    // MARK: - Writes

    /// `POST /write` (v1) and `POST /api/v2/write`: `precision` n/ns/u/us/ms/s; `db`, `rp`, `org`,
    /// `bucket` are accepted and ignored. 204 once the batch is durable; 400 with the failed lines when
    /// some lines were bad (the good ones are kept).
    func write(_ request: Request, transport: String) async throws -> Response {
        let parameters = request.uri.queryParameters
        var precision = TimestampPrecision.nanoseconds
        if let name = parameters["precision"], !name.isEmpty {
            guard let parsed = TimestampPrecision(influxName: String(name)) else {
                throw APIError(.badRequest, "invalid precision", detail: "precision must be one of n, ns, u, us, ms, s; got \"\(name)\"")
            }
            precision = parsed
        }
        var buffer = try await request.body.collect(upTo: maxBodySize)
        var body = buffer.readBytes(length: buffer.readableBytes) ?? []
        if let encoding = request.headers[.contentEncoding]?.lowercased(), encoding != "identity" {
            guard encoding == "gzip" || encoding == "x-gzip" else {
                throw APIError(.unsupportedMediaType, "unsupported content encoding", detail: "only gzip is accepted; got \"\(encoding)\"")
            }
            do {
                body = try Gzip.decompress(body, limit: maxBodySize)
            } catch .tooLarge(let limit) {
                throw APIError(.contentTooLarge, "request body too large", detail: "the decompressed body exceeds \(limit) bytes")
            } catch .invalid(let message) {
                throw APIError(.badRequest, "invalid gzip body", detail: message)
            }
        }
        if body.isEmpty { return Response(status: .noContent) }
        let lines = body
        let unit = precision
        let engine = self.engine
        let started = DispatchTimeNanoseconds.now()
        let result: WriteResult
        do {
            result = try await pool.runIfActive { try engine.write(lines, precision: unit) }
        } catch let error as EngineError {
            metrics.recordWriteFailure(transport: transport)
            switch error {
            case .closed: throw APIError(.serviceUnavailable, "shutting down", detail: "\(error)")
            case .writeTooLarge: throw APIError(.contentTooLarge, "request body too large", detail: "\(error)")
            }
        } catch {
            metrics.recordWriteFailure(transport: transport)
            logger.error("write failed", metadata: ["error": "\(error)"])
            throw APIError(.internalServerError, "write failed", detail: "\(error)")
        }
        metrics.recordWrite(transport: transport, bytes: body.count,
                            result: result, seconds: Double(DispatchTimeNanoseconds.now() - started) / 1e9)
        if result.isComplete { return Response(status: .noContent) }
        return Self.partialWriteResponse(result)
    }

    struct LineFailure: Encodable {
        var line: Int
        var column: Int?
        var reason: String
        var kind: String
    }

    struct PartialWrite: Encodable {
        var error: String
        var detail: String
        var lines: [LineFailure]
    }

    static func partialWriteResponse(_ result: WriteResult) -> Response {
        var failures = result.parseErrors.map {
            LineFailure(line: $0.line, column: $0.column, reason: "\($0.reason)", kind: $0.reason.metricLabel)
        }
        failures += result.rejections.map { LineFailure(line: $0.line, column: nil, reason: "\($0)", kind: $0.reason.label) }
        failures.sort { $0.line < $1.line }
        let detail = "\(result.parseErrors.count) line(s) failed to parse and \(result.rejections.count) point(s) were refused; "
            + "\(result.pointsAccepted) point(s) of \(result.linesRead) line(s) were stored"
        return JSON.response(status: .badRequest, PartialWrite(error: "partial write", detail: detail, lines: failures))
    }

    // MARK: - Readiness and admin

    func ready() async throws -> Response {
        let directory = engine.configuration.dataDirectory
        let writable = await (try? pool.runIfActive { Self.probeWritable(directory) }) ?? false
        guard writable else {
            throw APIError(.serviceUnavailable, "not ready", detail: "data directory \(directory) is not writable")
        }
        let recovery = engine.recovery
        return JSON.response(status: .ok, [
            "status": "ready",
            "walRecordsReplayed": "\(recovery.walRecordsReplayed)",
            "dataDirectory": directory,
        ])
    }

    static func probeWritable(_ directory: String) -> Bool {
        let path = directory + "/.ready-probe"
        let fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o644)
        guard fd >= 0 else { return false }
        close(fd)
        unlink(path)
        return true
    }

    struct CompactReport: Encodable {
        var flush: FlushResult
        var compaction: CompactionReport
        var seconds: Double
    }

    func compactNow() async throws -> Response {
        let engine = self.engine
        let started = DispatchTimeNanoseconds.now()
        do {
            let (flush, compaction) = try await pool.runIfActive { (try engine.flush(), try engine.compact()) }
            let report = CompactReport(flush: flush, compaction: compaction, seconds: Double(DispatchTimeNanoseconds.now() - started) / 1e9)
            return JSON.response(status: .ok, report)
        } catch {
            throw APIError(.internalServerError, "compaction failed", detail: "\(error)")
        }
    }
}

/// Turns every error into a JSON body, answers 405 for a known path with another method, and counts
/// requests by route and status.
struct APIMiddleware<Context: RequestContext>: RouterMiddleware {
    let table: RouteTable
    let metrics: ServerMetrics
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let route = table.path(matching: request.uri.path)
        let response: Response
        do {
            response = try await next(request, context)
        } catch let error as APIError {
            response = error.response
        } catch let error as HTTPError where error.status == .notFound {
            if route != nil {
                var notAllowed = APIError(.methodNotAllowed, "method not allowed",
                                          detail: "\(request.method.rawValue) is not supported on \(request.uri.path)")
                notAllowed.headers[.allow] = table.methods(for: request.uri.path).joined(separator: ", ")
                response = notAllowed.response
            } else {
                response = APIError(.notFound, "not found", detail: "no route \(request.method.rawValue) \(request.uri.path)").response
            }
        } catch let error as HTTPError {
            response = APIError(error.status, error.status.reasonPhrase.lowercased(), detail: error.body).response
        } catch is NIOTooManyBytesError {
            response = APIError(.contentTooLarge, "request body too large", detail: "the body exceeds the server's --max-body-size").response
        } catch {
            logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            response = APIError(.internalServerError, "internal error", detail: "\(error)").response
        }
        metrics.recordRequest(route: route ?? "unmatched", method: request.method.rawValue, status: response.status.code)
        return response
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
