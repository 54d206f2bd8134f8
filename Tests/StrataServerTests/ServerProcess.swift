import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Strata
import StrataCore
#if canImport(Glibc)
import Glibc
#endif

/// The package root, from this file's path.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The built `strata` executable (`swift build` puts it in `.build/debug`), or `$STRATA_BINARY`.
func strataBinary() throws -> URL {
    if let path = ProcessInfo.processInfo.environment["STRATA_BINARY"] { return URL(fileURLWithPath: path) }
    for candidate in [".build/debug/strata", ".build/release/strata"] {
        let url = packageRoot.appendingPathComponent(candidate)
        if FileManager.default.isExecutableFile(atPath: url.path) { return url }
    }
    throw TestFailure("strata binary not found under .build; run `swift build` first")
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func temporaryDirectory(_ name: String) -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("strata-\(name)-\(UUID().uuidString.prefix(8))").path
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// A running `strata serve` on ephemeral ports.
final class ServerProcess: @unchecked Sendable {
    let process = Process()
    var pid: Int32 { process.processIdentifier }
    let dataDirectory: String
    private(set) var ingestPort = 0
    private(set) var httpPort = 0
    private let output = NSLock()
    private var log = ""
    private let stderrPipe = Pipe()

    init(dataDirectory: String, extraArguments: [String] = [], environment: [String: String] = [:]) throws {
        self.dataDirectory = dataDirectory
        process.executableURL = try strataBinary()
        process.arguments = ["serve", "--data-dir", dataDirectory, "--ingest-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"] + extraArguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.standardError = stderrPipe
        process.standardOutput = FileHandle.nullDevice
        stderrPipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.output.lock()
            self.log += String(decoding: data, as: UTF8.self)
            self.output.unlock()
        }
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let ports = parsePorts() {
                (ingestPort, httpPort) = ports
                return
            }
            if !process.isRunning { break }
            usleep(20_000)
        }
        process.terminate()
        throw TestFailure("server did not report its ports; log:\n\(logText)")
    }

    var logText: String {
        output.lock()
        defer { output.unlock() }
        return log
    }

    /// Parses `listening ingest=127.0.0.1:PORT http=127.0.0.1:PORT`.
    private func parsePorts() -> (Int, Int)? {
        let text = logText
        guard let range = text.range(of: "listening ingest=") else { return nil }
        let line = text[range.upperBound...].prefix(while: { $0 != "\n" })
        let words = line.split(separator: " ")
        guard words.count >= 2, words[1].hasPrefix("http="),
              let ingest = words[0].split(separator: ":").last.flatMap({ Int($0) }),
              let http = words[1].split(separator: ":").last.flatMap({ Int($0) }) else { return nil }
        return (ingest, http)
    }

    /// Sends SIGTERM and waits; returns the exit status.
    @discardableResult
    func terminate(signal: Int32 = SIGTERM, timeout: TimeInterval = 60) throws -> Int32 {
        kill(process.processIdentifier, signal)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            throw TestFailure("server did not exit within \(timeout) s; log:\n\(logText)")
        }
        stderrPipe.fileHandleForReading.readabilityHandler = nil
        return process.terminationStatus
    }

    var baseURL: String { "http://127.0.0.1:\(httpPort)" }
}

struct HTTPResult {
    var status: Int
    var headers: [String: String]
    var body: Data
    var text: String { String(decoding: body, as: UTF8.self) }
    var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] }
}

/// One HTTP request (no redirects, no retries).
func http(_ method: String, _ url: String, body: [UInt8]? = nil, headers: [String: String] = [:]) async throws -> HTTPResult {
    var request = URLRequest(url: URL(string: url)!)
    request.httpMethod = method
    if let body { request.httpBody = Data(body) }
    for (key, value) in headers { request.setValue(value, forHTTPHeaderField: key) }
    let (data, response) = try await URLSession.shared.data(for: request)
    let http = response as! HTTPURLResponse
    var fields: [String: String] = [:]
    for (key, value) in http.allHeaderFields { fields[String(describing: key).lowercased()] = String(describing: value) }
    return HTTPResult(status: http.statusCode, headers: fields, body: data)
}

/// A blocking TCP client for line protocol.
final class LineClient {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw TestFailure("connect to \(port) failed: errno \(errno)") }
    }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw TestFailure("send failed: errno \(errno)") }
            offset += n
        }
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Closes the socket and waits until the server closed its side (it has read everything).
    func close() {
        shutdown(fd, Int32(SHUT_WR))
        var buffer = [UInt8](repeating: 0, count: 16)
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = recv(fd, &buffer, buffer.count, 0)
        Glibc.close(fd)
    }
}

/// `measurement,tags field` → (count, sum) per field over every stored 1-minute row, read in-process
/// from a data directory no server is using.
func storedAggregates(_ directory: String) throws -> [String: (count: UInt64, sum: Double)] {
    let engine = try Engine.open(EngineConfiguration(dataDirectory: directory))
    defer { try? engine.close() }
    var result: [String: (count: UInt64, sum: Double)] = [:]
    for row in try engine.minuteRows() {
        for field in row.fields {
            let key = "\(row.series) \(field.name)"
            let previous = result[key] ?? (0, 0)
            result[key] = (previous.count + field.aggregate.count, previous.sum + field.aggregate.sum)
        }
    }
    return result
}

/// Seconds now, minus `ago`.
func unixSeconds(ago: Int64 = 0) -> Int64 { Int64(Date().timeIntervalSince1970) - ago }
