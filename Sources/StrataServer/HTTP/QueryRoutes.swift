import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOPosix
import Strata
import StrataCore
import StrataIO

/// Query and catalogue routes: `GET`/`POST /api/v1/query`, `GET /api/v1/measurements`,
/// `/api/v1/fields`, `/api/v1/tag_keys`, `/api/v1/tag_values`. Engine reads run on the thread pool.
struct QueryRoutes: Sendable {
    let engine: Engine
    let pool: NIOThreadPool

    func register(_ routes: RouteRegistrar<HTTPAPI.Context>) {
        routes.on(.get, "/api/v1/query") { request, _ in
            try await run(QueryParameters(values: Self.parameters(request), now: SystemClock.nowSeconds()))
        }
        routes.on(.post, "/api/v1/query") { request, _ in
            var buffer = try await request.body.collect(upTo: 1 << 20)
            let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
            guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
                throw APIError(.badRequest, "invalid JSON", detail: "the body must be a JSON object with the query parameters")
            }
            var values: [String: [String]] = [:]
            for (key, value) in object {
                switch value {
                case let list as [Any]: values[key] = list.map { "\($0)" }
                case let number as NSNumber: values[key] = [number.stringValue]
                default: values[key] = ["\(value)"]
                }
            }
            return try await run(QueryParameters(values: values, now: SystemClock.nowSeconds()))
        }
        routes.on(.get, "/api/v1/measurements") { request, _ in
            let catalogue = try await catalogue(request)
            return JSON.response(status: .ok, ["measurements": catalogue.measurements.map(\.name)])
        }
        routes.on(.get, "/api/v1/fields") { request, _ in
            let catalogue = try await catalogue(request, needsMeasurement: true)
            return JSON.response(status: .ok, ["fields": catalogue.measurements.first?.fields ?? []])
        }
        routes.on(.get, "/api/v1/tag_keys") { request, _ in
            let catalogue = try await catalogue(request, needsMeasurement: true)
            return JSON.response(status: .ok, ["tag_keys": catalogue.measurements.first?.tags.map(\.key) ?? []])
        }
        routes.on(.get, "/api/v1/tag_values") { request, _ in
            let parameters = Self.parameters(request)
            guard let key = parameters["key"]?.first, !key.isEmpty else {
                throw APIError(.badRequest, "missing key", detail: "the parameter key (a tag key) is required")
            }
            let catalogue = try await catalogue(request, needsMeasurement: true)
            let values = catalogue.measurements.first?.tags.first { $0.key == key }?.values ?? []
            return JSON.response(status: .ok, TagValues(key: key, values: values.map { TagValues.Value(value: $0.value, series: $0.series) }))
        }
    }

    struct TagValues: Encodable {
        struct Value: Encodable {
            var value: String
            var series: Int
        }
        var key: String
        var values: [Value]
    }

    static func parameters(_ request: Request) -> [String: [String]] {
        var values: [String: [String]] = [:]
        for (key, value) in request.uri.queryParameters { values[String(key), default: []].append(String(value)) }
        return values
    }

    func catalogue(_ request: Request, needsMeasurement: Bool = false) async throws -> Catalogue {
        let parameters = QueryParameters(values: Self.parameters(request), now: SystemClock.nowSeconds())
        let measurement = parameters.first("measurement")
        if needsMeasurement && measurement == nil { throw parameters.missing("measurement") }
        let start = try QueryParameters.time(parameters.first("start") ?? "-24h", now: parameters.now, parameter: "start")
        let end = try QueryParameters.time(parameters.first("end") ?? "now", now: parameters.now, parameter: "end")
        guard end > start else { throw APIError(.badRequest, "invalid end", detail: "end must be after start") }
        let engine = self.engine
        do {
            return try await pool.runIfActive { try engine.catalogue(start: start, end: end, measurement: measurement) }
        } catch let error as QueryError {
            throw APIError(.badRequest, "invalid query", detail: "\(error)")
        }
    }

    func run(_ parameters: QueryParameters) async throws -> Response {
        let query = try parameters.query()
        let engine = self.engine
        let result: QueryResult
        do {
            result = try await pool.runIfActive { try engine.query(query) }
        } catch let error as QueryError {
            throw APIError(.badRequest, "invalid query", detail: "\(error)")
        }
        return JSON.response(status: .ok, QueryResponse(result))
    }
}

/// The JSON answer of `/api/v1/query`:
/// `{"granularity": "5m", "series": [{"tags": {…}, "points": [[unix ms, value or null], …]}], "stats": {…}}`.
struct QueryResponse: Encodable {
    struct Series: Encodable {
        var tags: [String: String]
        var points: [[Double?]]
        var total: Double?
    }

    struct Stats: Encodable {
        var series_touched: Int
        var rows_read: Int
        var segments_read: Int
        var granularities: [String]
        var projection: String?
        var elapsed_ms: Double
    }

    var granularity: String?
    var series: [Series]
    var stats: Stats

    init(_ result: QueryResult) {
        granularity = result.granularity?.name
        series = result.series.map { series in
            Series(tags: series.tags, points: series.points.map { [Double($0.time), $0.value] }, total: series.total)
        }
        stats = Stats(series_touched: result.statistics.seriesTouched, rows_read: result.statistics.rowsRead,
                      segments_read: result.statistics.segmentsRead, granularities: result.statistics.granularities.map(\.name),
                      projection: result.projection, elapsed_ms: result.statistics.elapsedMilliseconds)
    }
}
