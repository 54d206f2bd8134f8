import Testing
import Foundation
import StrataCore
import StrataIO
@testable import Strata

/// Query latencies on the realistic API workload. Off by default; run in release:
/// `STRATA_QUERY_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter QueryBenchmarkTests`.
/// 29 days at one request per 4 s, then 24 hours at 20 requests per second, with maintenance (flush,
/// rollups, merges, retention) every 10 simulated minutes.
@Suite struct QueryBenchmarkTests {
    static let enabled = ProcessInfo.processInfo.environment["STRATA_QUERY_BENCH"] != nil

    static func milliseconds(_ body: () throws -> Void) rethrows -> Double {
        var samples: [Double] = []
        for _ in 0..<7 {
            let started = SystemClock.monotonicNanoseconds()
            try body()
            samples.append(Double(SystemClock.monotonicNanoseconds() - started) / 1e6)
        }
        return samples.sorted()[samples.count / 2]
    }

    @Test(.enabled(if: enabled)) func realisticWorkloadLatencies() throws {
        let dir = TemporaryDirectory()
        let end: Int64 = 1_763_769_600 + 30 * 86_400
        let clock = TestClock(end - 30 * 86_400)
        let engine = try Engine.open(.test(dir, clock: clock), logger: .quiet)
        let ingestStarted = SystemClock.monotonicNanoseconds()
        var requests = 0
        for (from, to, spacing) in [(end - 30 * 86_400, end - 86_400, Int64(4_000_000_000)), (end - 86_400, end, Int64(50_000_000))] {
            var options = APIWorkload.Options()
            options.startNanoseconds = from * 1_000_000_000
            options.spacingNanoseconds = spacing
            var workload = APIWorkload(options)
            let perChunk = Int(600 * 1_000_000_000 / spacing)
            var t = from
            while t < to {
                var bytes: [UInt8] = []
                workload.appendLines(perChunk, to: &bytes)
                _ = try engine.write(bytes)
                requests += perChunk
                t += 600
                clock.advance(600)
                try engine.maintenanceStep()
            }
        }
        let ingestSeconds = Double(SystemClock.monotonicNanoseconds() - ingestStarted) / 1e9
        let now = clock.now
        let m = "http_request", f = "duration_ms"
        let day = Query(measurement: m, field: f, aggregation: .count, start: now - 86_400, end: now, groupBy: ["endpoint"])
        var p95 = day
        p95.aggregation = .quantile(0.95)
        var report: [String] = ["ingested \(requests) requests in \(ingestSeconds) s; segments \(engine.statistics.segments)"]
        var results: [String: QueryResult] = [:]
        let a1 = try Self.milliseconds { results["a1"] = try engine.query(day) }
        let a2 = try Self.milliseconds { results["a2"] = try engine.ratio(.statusClassRate(day, "5xx")) }
        let a3 = try Self.milliseconds { results["a3"] = try engine.query(p95) }
        report.append("(a) 24h per endpoint: count \(a1) ms, 5xx rate \(a2) ms, p95 \(a3) ms, total \(a1 + a2 + a3) ms")
        var b = Query(measurement: m, field: f, aggregation: .quantile(0.5), start: now - 86_400, end: now, step: 300)
        var bTotal = 0.0
        for q in [0.5, 0.95, 0.99] {
            b.aggregation = .quantile(q)
            bTotal += try Self.milliseconds { results["b"] = try engine.query(b) }
        }
        report.append("(b) 24h total p50+p95+p99 at 5m: \(bTotal) ms")
        let c = Query(measurement: m, field: f, aggregation: .count, start: now - 7 * 86_400, end: now, groupBy: ["key"], order: .descending, limit: 10)
        let cms = try Self.milliseconds { results["c"] = try engine.query(c) }
        report.append("(c) top 10 keys over 7d: \(cms) ms")
        let d = Query(measurement: m, field: f, aggregation: .quantile(0.95), start: now - 30 * 86_400, end: now, step: 3_600,
                      filters: [.equal("endpoint", "/api/v1/r0")])
        let dms = try Self.milliseconds { results["d"] = try engine.query(d) }
        report.append("(d) 30d at 1h for one endpoint (p95): \(dms) ms")
        var baseDay = day
        baseDay.useProjections = false
        let base = try Self.milliseconds { results["base"] = try engine.query(baseDay) }
        report.append("(a) count from base series instead: \(base) ms")
        #expect(results["base"]!.series.map(\.points) == results["a1"]!.series.map(\.points))
        for (name, result) in results.sorted(by: { $0.key < $1.key }) {
            report.append("  \(name): projection \(result.projection ?? "-") granularities \(result.statistics.granularities) series \(result.statistics.seriesTouched) rows \(result.statistics.rowsRead) segments \(result.statistics.segmentsRead) unanswered \(result.statistics.unansweredSeconds)")
        }
        print(report.joined(separator: "\n"))
    }
}
