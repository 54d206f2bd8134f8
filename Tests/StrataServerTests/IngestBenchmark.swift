import Foundation
import StrataCore
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Sustained TCP ingest of the realistic workload (`APIWorkload`), measured from outside the server.
/// Off by default; run with a release server:
///
///     swift build -c release --product strata
///     STRATA_BENCH=1 STRATA_BINARY=.build/release/strata swift test --filter IngestBenchmark
///
/// Env: STRATA_BENCH_LINES (default 2 000 000), STRATA_BENCH_CONNECTIONS (default 4), STRATA_BENCH_WAL_SYNC.
@Suite("TCP ingest benchmark", .enabled(if: ProcessInfo.processInfo.environment["STRATA_BENCH"] != nil))
struct IngestBenchmark {
    static func clockTicks(_ pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After ")": state(0) ppid(1) … utime(11) stime(12)
        return (Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)
    }

    static func peakRSSKiB(_ pid: Int32) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return 0 }
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    @Test func sustainedTCPIngest() async throws {
        let env = ProcessInfo.processInfo.environment
        let lines = Int(env["STRATA_BENCH_LINES"] ?? "") ?? 2_000_000
        let connections = Int(env["STRATA_BENCH_CONNECTIONS"] ?? "") ?? 4
        let walSync = env["STRATA_BENCH_WAL_SYNC"] ?? "every-write"
        // Lines spread over the last `lines` ms, so none is in the future or too old.
        var options = APIWorkload.Options()
        options.startNanoseconds = (unixSeconds() - Int64(lines / 1000) - 60) * 1_000_000_000
        var workload = APIWorkload(options)
        var slices = [[UInt8]](repeating: [], count: connections)
        for i in 0..<lines { workload.appendLine(to: &slices[i % connections]) }
        let bytes = slices.reduce(0) { $0 + $1.count }

        let directory = temporaryDirectory("bench")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try ServerProcess(dataDirectory: directory, extraArguments: ["--wal-sync", walSync, "--log-level", "notice"])
        let ticksBefore = Self.clockTicks(server.pid)
        let started = Date()
        let port = server.ingestPort
        try await withThrowingTaskGroup(of: Void.self) { group in
            for slice in slices {
                group.addTask {
                    let client = try LineClient(port: port)
                    var offset = 0
                    while offset < slice.count {
                        let end = min(offset + (256 << 10), slice.count)
                        try client.send(Array(slice[offset..<end]))
                        offset = end
                    }
                    client.close()
                }
            }
            try await group.waitForAll()
        }
        try await waitForMetric(server, "strata_ingest_lines_total{transport=\"tcp\"}", atLeast: Double(lines), timeout: 600)
        let seconds = Date().timeIntervalSince(started)
        let cpuSeconds = (Self.clockTicks(server.pid) - ticksBefore) / Double(sysconf(Int32(_SC_CLK_TCK)))
        let rss = Self.peakRSSKiB(server.pid)
        let metrics = try await http("GET", server.baseURL + "/metrics").text
        let accepted = metrics.split(separator: "\n").first { $0.hasPrefix("strata_ingest_points_accepted_total{transport=\"tcp\"}") } ?? "?"
        #expect(try server.terminate() == 0)
        print("""
            BENCH tcp ingest: \(lines) lines (\(bytes / 1_000_000) MB) over \(connections) connections, wal-sync \(walSync): \
            \(String(format: "%.2f", seconds)) s = \(Int(Double(lines) / seconds)) lines/s, \
            \(String(format: "%.1f", Double(bytes) / seconds / 1e6)) MB/s; server CPU \(String(format: "%.2f", cpuSeconds)) s \
            (\(Int(cpuSeconds / seconds * 100)) % of one core), peak RSS \(rss / 1024) MiB; \(accepted)
            """)
    }
}
