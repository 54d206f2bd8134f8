import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
@testable import StrataServer
#if canImport(Glibc)
import Glibc
#endif

/// Waits until `/metrics` reports `metric` ≥ `value` (TCP has no acknowledgements).
func waitForMetric(_ server: ServerProcess, _ metric: String, atLeast value: Double, timeout: TimeInterval = 120) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    var last = ""
    while Date() < deadline {
        let text = try await http("GET", server.baseURL + "/metrics").text
        if let line = text.split(separator: "\n").first(where: { $0.hasPrefix(metric + " ") }) {
            last = String(line)
            if let number = Double(line.split(separator: " ").last ?? ""), number >= value { return }
        }
        try await Task.sleep(nanoseconds: 50_000_000)
    }
    throw TestFailure("\(metric) did not reach \(value) (last: \(last))")
}

@Suite("strata serve end to end", .serialized)
struct EndToEndTests {
    @Test func tcpAndHTTPWritesAreStoredExactlyAndSurviveRestart() async throws {
        let directory = temporaryDirectory("e2e")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var server = try ServerProcess(dataDirectory: directory, extraArguments: ["--max-line-length", "1000", "--log-level", "info"])
        let base = Int64(unixSeconds(ago: 120))
        let ns = base * 1_000_000_000
        var expected: [String: (count: UInt64, sum: Double)] = [:]
        func expect(_ series: String, _ field: String, _ value: Double) {
            let key = "\(series) \(field)"
            let previous = expected[key] ?? (0, 0)
            expected[key] = (previous.count + 1, previous.sum + value)
        }

        // --- TCP: three concurrent connections.
        var a = ""
        for i in 0..<200 { a += "tcp,conn=a v=\(i) \(ns + Int64(i))\r\n"; expect("tcp,conn=a", "v", Double(i)) }
        var b = ""
        for i in 0..<5 { b += "tcp,conn=b v=\(i).5 \(ns)\n"; expect("tcp,conn=b", "v", Double(i) + 0.5) }
        var c = ""
        for i in 0..<20_000 { c += "tcp,conn=c,k=\(i % 10) v=\(i)i \(ns)\n"; expect("tcp,conn=c,k=\(i % 10)", "v", Double(i)) }
        c += "tcp,conn=c bad=\n"  // parse error: counted, skipped
        c += "tcp,conn=c v=1 " + String(repeating: "9", count: 5000) + "\n"  // longer than --max-line-length
        c += "tcp,conn=c,k=last v=7 \(ns)"  // unterminated final line: stored at EOF
        expect("tcp,conn=c,k=last", "v", 7)
        let port = server.ingestPort
        let (aText, bText, cText) = (a, b, c)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {  // split into 7-byte pieces
                let client = try LineClient(port: port)
                let bytes = Array(aText.utf8)
                for start in stride(from: 0, to: bytes.count, by: 7) { try client.send(Array(bytes[start..<min(start + 7, bytes.count)])) }
                client.close()
            }
            group.addTask {  // byte by byte
                let client = try LineClient(port: port)
                for byte in bText.utf8 { try client.send([byte]) }
                client.close()
            }
            group.addTask {  // one huge batch
                let client = try LineClient(port: port)
                try client.send(cText)
                client.close()
            }
            try await group.waitForAll()
        }
        try await waitForMetric(server, "strata_ingest_lines_total{transport=\"tcp\"}", atLeast: 200 + 5 + 20_000 + 2)
        let metricsAfterTCP = try await http("GET", server.baseURL + "/metrics").text
        #expect(metricsAfterTCP.contains("strata_ingest_parse_errors_total{transport=\"tcp\",reason=\"line_too_long\"} 1"))
        #expect(metricsAfterTCP.contains("strata_ingest_parse_errors_total{transport=\"tcp\",reason=\"missing_field_value\"} 1"))

        // --- HTTP v1, seconds.
        var v1 = ""
        for i in 0..<10 { v1 += "http,api=v1 v=\(i * 2) \(base)\n"; expect("http,api=v1", "v", Double(i * 2)) }
        var response = try await http("POST", server.baseURL + "/write?db=mydb&precision=s", body: Array(v1.utf8))
        #expect(response.status == 204)

        // --- HTTP v2, milliseconds, gzip.
        var v2 = ""
        for i in 0..<1000 { v2 += "http,api=v2 v=\(i),w=1 \(base * 1000 + Int64(i))\n"; expect("http,api=v2", "v", Double(i)); expect("http,api=v2", "w", 1) }
        response = try await http("POST", server.baseURL + "/api/v2/write?org=o&bucket=b&precision=ms",
                                  body: Gzip.compress(Array(v2.utf8)), headers: ["Content-Encoding": "gzip"])
        #expect(response.status == 204)

        // --- Partial write: the good lines are kept.
        response = try await http("POST", server.baseURL + "/write?precision=s",
                                  body: Array("http,api=partial v=1 \(base)\nhttp,api=partial v= \(base)\nhttp,api=partial v=2 \(base)\n".utf8))
        expect("http,api=partial", "v", 1)
        expect("http,api=partial", "v", 2)
        #expect(response.status == 400)
        let partial = try #require(response.json)
        #expect(partial["error"] as? String == "partial write")
        let failed = try #require(partial["lines"] as? [[String: Any]])
        #expect(failed.count == 1)
        #expect(failed.first?["line"] as? Int == 2)
        #expect(failed.first?["column"] as? Int == 20)
        #expect(failed.first?["kind"] as? String == "missing_field_value")

        // --- Errors and the small routes.
        response = try await http("POST", server.baseURL + "/write?precision=fortnight", body: Array("m v=1\n".utf8))
        #expect(response.status == 400)
        #expect(response.json?["error"] as? String == "invalid precision")
        response = try await http("POST", server.baseURL + "/write", body: Array("garbage".utf8), headers: ["Content-Encoding": "gzip"])
        #expect(response.status == 400)
        #expect(response.json?["error"] as? String == "invalid gzip body")
        response = try await http("GET", server.baseURL + "/ping")
        #expect(response.status == 204)
        #expect(response.headers["x-influxdb-version"] != nil)
        response = try await http("HEAD", server.baseURL + "/ping")
        #expect(response.status == 204)
        response = try await http("GET", server.baseURL + "/health")
        #expect(response.status == 200)
        response = try await http("GET", server.baseURL + "/ready")
        #expect(response.status == 200)
        #expect(response.json?["status"] as? String == "ready")
        response = try await http("GET", server.baseURL + "/no/such/route")
        #expect(response.status == 404)
        #expect(response.json?["error"] as? String == "not found")
        response = try await http("GET", server.baseURL + "/write")
        #expect(response.status == 405)
        #expect(response.headers["allow"] == "POST")
        #expect(response.json?["error"] as? String == "method not allowed")
        response = try await http("POST", server.baseURL + "/admin/compact")
        #expect(response.status == 200)
        let report = try #require(response.json)
        #expect(report["flush"] is [String: Any])
        #expect(report["compaction"] is [String: Any])

        let metrics = try await http("GET", server.baseURL + "/metrics").text
        for name in ["strata_http_requests_total{route=\"/write\",method=\"POST\",status=\"204\"} 1",
                     "strata_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"} 1",
                     "strata_ingest_lines_total{transport=\"http\"} 1013",
                     "strata_active_series ", "strata_head_buckets ", "strata_segments{granularity=\"1m\"}",
                     "strata_compaction_runs_total ", "strata_engine_write_duration_seconds_bucket"] {
            #expect(metrics.contains(name), "missing \(name)")
        }

        // --- Clean stop, then verify exactly; restart and verify again.
        #expect(try server.terminate() == 0)
        #expect(server.logText.contains("engine closed"))
        try compare(try storedAggregates(directory), expected)
        server = try ServerProcess(dataDirectory: directory)
        response = try await http("GET", server.baseURL + "/ready")
        #expect(response.status == 200)
        #expect(try server.terminate(signal: SIGINT) == 0)
        try compare(try storedAggregates(directory), expected)
    }

    func compare(_ stored: [String: (count: UInt64, sum: Double)], _ expected: [String: (count: UInt64, sum: Double)],
                 sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(stored.keys.sorted() == expected.keys.sorted(), sourceLocation: sourceLocation)
        for (key, value) in expected {
            #expect(stored[key]?.count == value.count, "\(key) count", sourceLocation: sourceLocation)
            #expect(stored[key]?.sum == value.sum, "\(key) sum", sourceLocation: sourceLocation)
        }
    }

    @Test func sigkillAfterAcknowledgedWriteKeepsTheBatch() async throws {
        let directory = temporaryDirectory("kill")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try ServerProcess(dataDirectory: directory)
        let base = unixSeconds(ago: 60)
        var body = ""
        for i in 0..<500 { body += "killed,k=\(i % 5) v=\(i) \(base)\n" }
        let response = try await http("POST", server.baseURL + "/write?precision=s", body: Array(body.utf8))
        #expect(response.status == 204)
        try server.terminate(signal: SIGKILL)
        let stored = try storedAggregates(directory)
        for k in 0..<5 {
            let values = stride(from: k, to: 500, by: 5)
            #expect(stored["killed,k=\(k) v"]?.count == 100)
            #expect(stored["killed,k=\(k) v"]?.sum == Double(values.reduce(0, +)))
        }
    }

    @Test func limitsFromFlagsAndEnvironment() async throws {
        let directory = temporaryDirectory("limits")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try ServerProcess(dataDirectory: directory, extraArguments: ["--max-body-size", "2000"],
                                       environment: ["STRATA_MAX_SERIES": "2"])
        let base = unixSeconds(ago: 60)
        var response = try await http("POST", server.baseURL + "/write", body: Array(repeating: UInt8(ascii: "x"), count: 3000))
        #expect(response.status == 413)
        #expect(response.json?["error"] != nil)
        let bomb = Gzip.compress(Array(repeating: UInt8(ascii: "\n"), count: 100_000))
        #expect(bomb.count < 2000)
        response = try await http("POST", server.baseURL + "/write", body: bomb, headers: ["Content-Encoding": "gzip"])
        #expect(response.status == 413)
        response = try await http("POST", server.baseURL + "/write?precision=s",
                                  body: Array("card,s=1 v=1 \(base)\ncard,s=2 v=1 \(base)\ncard,s=3 v=1 \(base)\n".utf8))
        #expect(response.status == 400)
        let lines = response.json?["lines"] as? [[String: Any]]
        #expect(lines?.first?["kind"] as? String == "series_limit")
        #expect(lines?.first?["line"] as? Int == 3)
        let metrics = try await http("GET", server.baseURL + "/metrics").text
        #expect(metrics.contains("strata_ingest_rejections_total{transport=\"http\",reason=\"series_limit\"} 1"))
        #expect(try server.terminate() == 0)
        #expect(try storedAggregates(directory).keys.sorted() == ["card,s=1 v", "card,s=2 v"])
    }

    @Test func helpDocumentsEveryFlagAndCompactRunsOffline() throws {
        let help = Process()
        help.executableURL = try strataBinary()
        help.arguments = ["serve", "--help"]
        let pipe = Pipe()
        help.standardOutput = pipe
        try help.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        help.waitUntilExit()
        for flag in ["--data-dir", "--ingest-addr", "--http-addr", "--retention-1m", "--retention-5m", "--retention-1h", "--retention-1d",
                     "--wal-sync", "--max-line-length", "--max-series", "--max-series-per-measurement", "--max-body-size", "--log-level",
                     "STRATA_DATA_DIR", "STRATA_INGEST_ADDR", "STRATA_HTTP_ADDR", "STRATA_WAL_SYNC", "STRATA_LOG_LEVEL",
                     "127.0.0.1:8089", "127.0.0.1:8086", "./strata-data", "every-write"] {
            #expect(text.contains(flag), "help lacks \(flag)")
        }
        let bad = Process()
        bad.executableURL = try strataBinary()
        bad.arguments = ["serve", "--wal-sync", "sometimes"]
        bad.standardError = FileHandle.nullDevice
        bad.standardOutput = FileHandle.nullDevice
        try bad.run()
        bad.waitUntilExit()
        #expect(bad.terminationStatus != 0)

        let directory = temporaryDirectory("compact")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let compact = Process()
        compact.executableURL = try strataBinary()
        compact.arguments = ["compact", "--data-dir", directory]
        let out = Pipe()
        compact.standardOutput = out
        compact.standardError = FileHandle.nullDevice
        try compact.run()
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        compact.waitUntilExit()
        #expect(compact.terminationStatus == 0)
        #expect(output.contains("strata compact"))
    }
}

@Suite("strata serve shutdown", .serialized)
struct ShutdownTests {
    /// A client that never disconnects: SIGTERM waits `--drain-seconds`, stores its complete lines,
    /// drops its unterminated tail, closes the connection and exits 0.
    @Test func persistentTCPClientIsDrainedOnSIGTERM() async throws {
        let directory = temporaryDirectory("drain")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try ServerProcess(dataDirectory: directory, environment: ["STRATA_DRAIN_SECONDS": "0.5"])
        let ns = unixSeconds(ago: 30) * 1_000_000_000
        let client = try LineClient(port: server.ingestPort)
        var text = ""
        for i in 0..<100 { text += "drain,c=1 v=\(i) \(ns)\n" }
        try client.send(text + "drain,c=1 v=1000")  // no newline: never completed
        try await waitForMetric(server, "strata_ingest_lines_total{transport=\"tcp\"}", atLeast: 100)
        let started = Date()
        #expect(try server.terminate() == 0)
        #expect(Date().timeIntervalSince(started) < 10)
        client.close()
        let stored = try storedAggregates(directory)
        #expect(stored["drain,c=1 v"]?.count == 100)
        #expect(stored["drain,c=1 v"]?.sum == 4950)
        #expect(server.logText.contains("closing line-protocol connections still open"))
    }

    /// Invalid flag values are refused before anything is opened (ArgumentParser's validation exit code 64).
    @Test func strataServeRefusesBadFlags() throws {
        for arguments in [["--ingest-addr", "nohost"], ["--retention-1m", "soon"], ["--log-level", "loud"], ["--max-body-size", "0"]] {
            let process = Process()
            process.executableURL = try strataBinary()
            process.arguments = ["serve", "--data-dir", "/nonexistent/never"] + arguments
            process.standardError = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 64, "\(arguments)")
        }
    }
}
