import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Real clients, unchanged: influxdb-python (HTTP /write), questdb (line protocol over TCP) and
/// prometheus_client's text parser on /metrics. Tools/test.sh installs them with pip.
@Suite("Third-party clients", .serialized)
struct ThirdPartyClientTests {
    @Test func influxdbAndQuestDBClientsWriteAndMetricsParse() async throws {
        let directory = temporaryDirectory("clients")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try ServerProcess(dataDirectory: directory)
        let base = unixSeconds(ago: 90)
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", packageRoot.appendingPathComponent("Tools/client_check.py").path,
                            "\(server.httpPort)", "\(server.ingestPort)", "\(base)"]
        let out = Pipe()
        python.standardOutput = out
        python.standardError = out
        try python.run()
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        python.waitUntilExit()
        #expect(python.terminationStatus == 0, "client_check.py failed:\n\(output)")
        #expect(output.contains("ok families="))
        try await waitForMetric(server, "strata_ingest_lines_total{transport=\"tcp\"}", atLeast: 30)
        #expect(try server.terminate() == 0)
        let stored = try storedAggregates(directory)
        #expect(stored["pyinflux,host=h1 v"]?.count == 20)
        #expect(stored["pyinflux,host=h1 v"]?.sum == 190)
        #expect(stored["pyquest,host=q1 v"]?.count == 30)
        #expect(stored["pyquest,host=q1 v"]?.sum == 435)
        #expect(stored.count == 2, "unexpected series: \(stored.keys.sorted())")
    }
}
