import Testing
import Foundation
import StrataCore
import StrataIO
@testable import Strata

/// Query latencies on the realistic API workload. Off by default; run in release:
/// `STRATA_QUERY_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter QueryBenchmarkTests`.
/// 29 days at one request per 4 s, then 24 hours at 20 requests per second, with maintenance (flush,
/// rollups, merges, retention) every 10 simulated minutes.
///
/// Building the data set takes a long time (tens of minutes on the 2-core machine). With
/// `STRATA_QUERY_BENCH_DIR=<dir>` it is built once into `<dir>/<workload key>` and reopened by later
/// runs (a `READY` file marks a complete build; an incomplete one is deleted and rebuilt). The first
/// run also writes every query's answer to `<dir>/<workload key>.answers.json`; later runs compare
/// their answers with it (counts and ratios exactly, quantiles within a relative 5 %), so an
/// optimisation that changes results fails the benchmark. Delete that file to record new answers.
@Suite struct QueryBenchmarkTests {
    static let environment = ProcessInfo.processInfo.environment
    static let enabled = environment["STRATA_QUERY_BENCH"] != nil
    /// Timed runs per query (the median is reported); `STRATA_QUERY_BENCH_RUNS` overrides.
    static let runs = environment["STRATA_QUERY_BENCH_RUNS"].flatMap(Int.init) ?? 7

    /// The workload; its parameters name the reusable directory.
    static let end: Int64 = 1_763_769_600 + 30 * 86_400
    static let phases: [(from: Int64, to: Int64, spacing: Int64)] = [
        (end - 30 * 86_400, end - 86_400, 4_000_000_000), (end - 86_400, end, 50_000_000),
    ]
    static var workloadKey: String {
        "api-seed42-" + phases.map { "\($0.from)-\($0.to)-\($0.spacing)" }.joined(separator: "_") + "-maint600-v1"
    }

    /// `STRATA_QUERY_BENCH_ONLY=a3,b` runs only those queries (for profiling one at a time).
    static let only = environment["STRATA_QUERY_BENCH_ONLY"].map { Set($0.split(separator: ",").map(String.init)) }

    /// The first (cold: nothing of that query's data in ``ColumnCache`` yet) run of each query, ms.
    nonisolated(unsafe) static var firstRuns: [(String, Double)] = []

    static func milliseconds(_ name: String, _ body: () throws -> Void) rethrows -> Double {
        guard only?.contains(name) ?? true else { return 0 }
        let warmUp = SystemClock.monotonicNanoseconds()
        try body()  // warm-up (decodes the columns into the cache)
        firstRuns.append((name, Double(SystemClock.monotonicNanoseconds() - warmUp) / 1e6))
        var samples: [Double] = []
        for _ in 0..<runs {
            let started = SystemClock.monotonicNanoseconds()
            try body()
            samples.append(Double(SystemClock.monotonicNanoseconds() - started) / 1e6)
        }
        return samples.sorted()[samples.count / 2]
    }

    /// Ingests the workload into `path` through the engine, with maintenance every 10 simulated minutes.
    static func ingest(_ engine: Engine, clock: TestClock) throws -> Int {
        var requests = 0
        for (from, to, spacing) in phases {
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
        return requests
    }

    @Test(.enabled(if: enabled)) func realisticWorkloadLatencies() throws {
        let temporary = TemporaryDirectory()
        let base = Self.environment["STRATA_QUERY_BENCH_DIR"]
        let path = base.map { $0 + "/" + Self.workloadKey } ?? temporary.path + "/data"
        let ready = path + "/READY"
        let clock = TestClock(Self.end - 30 * 86_400)
        var report: [String] = []
        let engine: Engine
        if FileManager.default.fileExists(atPath: ready) {
            clock.advance(30 * 86_400)
            let started = SystemClock.monotonicNanoseconds()
            engine = try Engine.open(Self.configuration(path, clock), logger: .quiet)
            report.append("reopened \(path) in \(Double(SystemClock.monotonicNanoseconds() - started) / 1e9) s; segments \(engine.statistics.segments)")
        } else {
            try? FileSystem.removeTree(path)
            if let base { try FileSystem.createDirectory(base) }
            engine = try Engine.open(Self.configuration(path, clock), logger: .quiet)
            let started = SystemClock.monotonicNanoseconds()
            let requests = try Self.ingest(engine, clock: clock)
            let seconds = Double(SystemClock.monotonicNanoseconds() - started) / 1e9
            // Not closed: the last minutes stay in the head (and the WAL), as in a running server.
            try Data("\(requests) requests in \(seconds) s\n".utf8).write(to: URL(fileURLWithPath: ready))
            report.append("ingested \(requests) requests in \(seconds) s into \(path); segments \(engine.statistics.segments)")
        }
        #expect(clock.now == Self.end)
        let now = clock.now
        let m = "http_request", f = "duration_ms"
        let day = Query(measurement: m, field: f, aggregation: .count, start: now - 86_400, end: now, groupBy: ["endpoint"])
        var p95 = day
        p95.aggregation = .quantile(0.95)
        var results: [String: QueryResult] = [:]
        let a1 = try Self.milliseconds("a1") { results["a1"] = try engine.query(day) }
        let a2 = try Self.milliseconds("a2") { results["a2"] = try engine.ratio(.statusClassRate(day, "5xx")) }
        let a3 = try Self.milliseconds("a3") { results["a3"] = try engine.query(p95) }
        report.append("(a) 24h per endpoint: count \(a1) ms, 5xx rate \(a2) ms, p95 \(a3) ms, total \(a1 + a2 + a3) ms")
        var b = Query(measurement: m, field: f, aggregation: .quantile(0.5), start: now - 86_400, end: now, step: 300)
        var bTimes: [Double] = []
        for (name, q) in [("b50", 0.5), ("b95", 0.95), ("b99", 0.99)] {
            b.aggregation = .quantile(q)
            bTimes.append(try Self.milliseconds("b") { results[name] = try engine.query(b) })
        }
        report.append("(b) 24h total p50+p95+p99 at 5m: \(bTimes.reduce(0, +)) ms (\(bTimes.map { "\($0)" }.joined(separator: " + ")))")
        let c = Query(measurement: m, field: f, aggregation: .count, start: now - 7 * 86_400, end: now, groupBy: ["key"], order: .descending, limit: 10)
        let cms = try Self.milliseconds("c") { results["c"] = try engine.query(c) }
        report.append("(c) top 10 keys over 7d: \(cms) ms")
        let d = Query(measurement: m, field: f, aggregation: .quantile(0.95), start: now - 30 * 86_400, end: now, step: 3_600,
                      filters: [.equal("endpoint", "/api/v1/r0")])
        let dms = try Self.milliseconds("d") { results["d"] = try engine.query(d) }
        report.append("(d) 30d at 1h for one endpoint (p95): \(dms) ms")
        var baseDay = day
        baseDay.useProjections = false
        let baseMS = try Self.milliseconds("base") { results["base"] = try engine.query(baseDay) }
        report.append("(a) count from base series instead: \(baseMS) ms")
        report.append("first runs (column cache cold for that query's data): " + Self.firstRuns.map { "\($0.0) \($0.1) ms" }.joined(separator: ", "))
        let cache = ColumnCache.shared.statistics
        report.append("column cache: \(cache.bytes >> 20) MiB in \(cache.entries) entries, \(cache.hits) hits, \(cache.misses) misses")
        if let base = results["base"], let a1 = results["a1"] { #expect(base.series.map(\.points) == a1.series.map(\.points)) }
        for (name, result) in results.sorted(by: { $0.key < $1.key }) {
            report.append("  \(name): projection \(result.projection ?? "-") granularities \(result.statistics.granularities) series \(result.statistics.seriesTouched) rows \(result.statistics.rowsRead) row groups \(result.statistics.rowGroupsRead) segments \(result.statistics.segmentsRead) unanswered \(result.statistics.unansweredSeconds)")
        }
        if let base { try Self.compareAnswers(results, file: base + "/" + Self.workloadKey + ".answers.json", report: &report) }
        print(report.joined(separator: "\n"))
    }

    static func configuration(_ path: String, _ clock: TestClock) -> EngineConfiguration {
        var configuration = EngineConfiguration(dataDirectory: path)
        configuration.clock = { clock.now }
        return configuration
    }

    /// Records the answers (first run) or checks them against the recorded ones.
    static func compareAnswers(_ results: [String: QueryResult], file: String, report: inout [String]) throws {
        let answers = results.mapValues { $0.series.map { Answer(tags: $0.tags, values: $0.points.map { [Double($0.time), $0.value ?? -1] }, total: $0.total) } }
        guard let data = FileManager.default.contents(atPath: file) else {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try encoder.encode(answers).write(to: URL(fileURLWithPath: file))
            report.append("recorded answers in \(file)")
            return
        }
        let recorded = try JSONDecoder().decode([String: [Answer]].self, from: data)
        var differences = 0
        for (name, series) in answers.sorted(by: { $0.key < $1.key }) {
            let quantile = name.hasPrefix("b") || name == "a3" || name == "d"
            guard only == nil || recorded[name] != nil else { continue }
            guard let old = recorded[name], old.count == series.count else {
                Issue.record("\(name): \(series.count) series, recorded \(recorded[name]?.count ?? -1)")
                continue
            }
            for (x, y) in zip(series, old) {
                guard x.tags == y.tags, x.values.count == y.values.count else {
                    Issue.record("\(name): series \(x.tags) differs from recorded \(y.tags)")
                    differences += 1
                    continue
                }
                for (p, q) in zip(x.values + [[0, x.total ?? -1]], y.values + [[0, y.total ?? -1]]) where p != q {
                    let close = quantile && p[0] == q[0] && abs(p[1] - q[1]) <= 0.05 * Swift.max(abs(q[1]), 1e-9)
                    if !close {
                        differences += 1
                        if differences < 20 { Issue.record("\(name) \(x.tags): \(p) recorded \(q)") }
                    }
                }
            }
        }
        report.append("answers compared with \(file): \(differences) differences")
    }

    struct Answer: Codable, Equatable {
        var tags: [String: String]
        var values: [[Double]]
        var total: Double?
    }
}
