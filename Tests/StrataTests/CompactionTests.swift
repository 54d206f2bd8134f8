import Testing
import Synchronization
import StrataCore
import StrataIO
@testable import Strata

/// One raw point as written, for brute-force expectations.
struct RawPoint {
    var series: String
    var time: Int64
    var value: Double
}

/// Exact (count, sum, min, max) per (series, bucket start) of raw points, only for times before `limit`.
func bruteForce(_ points: [RawPoint], _ granularity: Granularity, before limit: Int64 = .max) -> [String: (UInt64, Double, Double, Double)] {
    var result: [String: (UInt64, Double, Double, Double)] = [:]
    for p in points where p.time < limit {
        let key = "\(p.series)@\(granularity.bucketStart(ofSeconds: p.time))"
        if let e = result[key] {
            result[key] = (e.0 + 1, e.1 + p.value, min(e.2, p.value), max(e.3, p.value))
        } else {
            result[key] = (1, p.value, p.value, p.value)
        }
    }
    return result
}

/// The engine's rows of `granularity` in the same shape, only buckets starting before `limit`.
func stored(_ engine: Engine, _ granularity: Granularity, field: String = "v", before limit: Int64 = .max) throws -> [String: (UInt64, Double, Double, Double)] {
    var result: [String: (UInt64, Double, Double, Double)] = [:]
    for row in try engine.rows(granularity) where row.start < limit {
        guard let a = row.aggregate(field) else { continue }
        result["\(row.series)@\(row.start)"] = (a.count, a.sum, a.min, a.max)
    }
    return result
}

func sameAggregates(_ a: [String: (UInt64, Double, Double, Double)], _ b: [String: (UInt64, Double, Double, Double)]) -> Bool {
    guard a.count == b.count else { return false }
    for (key, x) in a {
        guard let y = b[key], x.0 == y.0, x.1 == y.1, x.2 == y.2, x.3 == y.3 else { return false }
    }
    return true
}

/// Writes seeded multi-day data through the engine in 10-minute steps, with late points and
/// maintenance (flush + compaction) after every step.
struct MultiDayScenario {
    var random = SeededRandom(seed: 7)
    var points: [RawPoint] = []
    let series = ["m,host=a", "m,host=b", "m,host=c,zone=x"]
    let start: Int64 = 1_763_769_600  // 2025-11-22T00:00:00Z

    /// Values are multiples of 1/4, so every sum is exact in any order.
    mutating func value() -> Double { Double(Int(random.next() % 4_000)) / 4 }

    mutating func writeStep(_ engine: Engine, from: Int64, seconds: Int64, latePoints: Int) throws {
        var text = ""
        var step: [RawPoint] = []
        for t in stride(from: from, to: from + seconds, by: 37) {
            let s = series[Int(random.next() % 3)]
            let v = value()
            text += "\(s) v=\(v) \(t)000000000\n"
            step.append(RawPoint(series: s, time: t, value: v))
        }
        for _ in 0..<latePoints {
            // Late: between 10 minutes and 30 hours old.
            let age = 600 + Int64(random.next() % 108_000)
            let t = from - age
            guard t >= start else { continue }
            let s = series[Int(random.next() % 3)]
            let v = value()
            text += "\(s) v=\(v) \(t)000000000\n"
            step.append(RawPoint(series: s, time: t, value: v))
        }
        let result = try engine.write(Array(text.utf8))
        precondition(result.isComplete, "scenario write refused: \(result)")
        points += step
    }
}

@Suite struct CompactionTests {
    static func configuration(_ dir: TemporaryDirectory, _ clock: TestClock, keepEverything: Bool = true) -> EngineConfiguration {
        var configuration = EngineConfiguration.test(dir, clock: clock)
        if keepEverything {
            for g in Granularity.allCases { configuration.retention.set(g, nil) }
        }
        return configuration
    }

    @Test func planner() {
        var manifest = Manifest()
        #expect(CompactionPlanner.nextRollup(manifest) == nil)
        let segment = Manifest.Segment(granularity: .minute, sequence: 1, minStart: 3_600, maxStart: 7_140, rowCount: 1, byteCount: 100)
        manifest.segments = [segment]
        manifest.sealedBefore = 7_200
        #expect(CompactionPlanner.nextRollup(manifest) == .rollup(from: .minute, window: 3_600..<7_200, sources: [segment]))
        manifest.setRolledUp(before: 7_200, for: .minute)
        // 5m → 1h needs a whole hour of 5m data: there is one (3600..<7200), but no 5m segment yet.
        #expect(CompactionPlanner.nextRollup(manifest) == nil)
        // Retention: expired and rolled up → dropped; not rolled up → kept.
        var retention = RetentionPolicy()
        retention.minute = 3_600
        #expect(CompactionPlanner.drops(manifest, now: 7_200 + 3_600, retention: retention) == .drop(segments: [segment]))
        manifest.setRolledUp(before: 3_600, for: .minute)
        #expect(CompactionPlanner.drops(manifest, now: 100_000, retention: retention) == nil)
    }

    /// An open window is merged early once it holds more files than its granularity's cap: 4 hourly
    /// 1h files of the current day stay, the 5th triggers a merge of all five; 1m allows 12.
    @Test func openWindowsAreMergedPastTheirCap() {
        func segments(_ granularity: Granularity, count: Int, every seconds: Int64) -> [Manifest.Segment] {
            (0..<count).map { i in
                let start = 86_400 * 10 + Int64(i) * seconds
                return Manifest.Segment(
                    granularity: granularity, sequence: UInt64(i + 1), minStart: start, maxStart: start, rowCount: 1, byteCount: 100)
            }
        }
        var manifest = Manifest()
        manifest.sealedBefore = 86_400 * 10 + 6 * 3_600  // the day's 1h window and the hour's 1m window are open
        manifest.segments = segments(.hour, count: 4, every: 3_600)
        #expect(CompactionPlanner.merges(manifest).isEmpty)
        manifest.segments = segments(.hour, count: 5, every: 3_600)
        #expect(CompactionPlanner.merges(manifest) == [.merge(granularity: .hour, sources: manifest.segments)])
        manifest.sealedBefore = 86_400 * 10
        manifest.segments = segments(.minute, count: 12, every: 60)
        #expect(CompactionPlanner.merges(manifest).isEmpty)
        manifest.segments = segments(.minute, count: 13, every: 60)
        #expect(CompactionPlanner.merges(manifest) == [.merge(granularity: .minute, sources: manifest.segments)])
    }

    /// The rollup invariant over three days with late points and a restart in the middle: at 5m, 1h and
    /// 1d, count/sum/min/max of every rolled-up bucket equal the brute force over the raw points.
    @Test func rollupsMatchRawDataExactly() throws {
        let dir = TemporaryDirectory()
        var scenario = MultiDayScenario()
        let clock = TestClock(scenario.start)
        var engine = try Engine.open(Self.configuration(dir, clock), logger: .quiet)
        let days: Int64 = 3
        var t = scenario.start
        var step = 0
        while t < scenario.start + days * 86_400 {
            try scenario.writeStep(engine, from: t, seconds: 600, latePoints: step % 5 == 0 ? 6 : 0)
            t += 600
            clock.advance(600)
            try engine.maintenanceStep()
            step += 1
            if step == 200 {
                // Crash-restart in the middle: abandon the engine without closing it.
                engine = try Engine.open(Self.configuration(dir, clock), logger: .quiet)
            }
        }
        clock.advance(3 * 86_400)
        try engine.flush(everything: true)
        try engine.compact()
        let manifest = engine.currentManifest
        #expect(manifest.rolledUp(before: .minute) >= scenario.start + days * 86_400)
        // Rolled up through the end of the data (and the empty days after it).
        #expect(manifest.rolledUp(before: .hour) >= scenario.start + days * 86_400)
        let expected1m = bruteForce(scenario.points, .minute)
        #expect(sameAggregates(try stored(engine, .minute), expected1m))
        for granularity in [Granularity.fiveMinutes, .hour, .day] {
            let limit = manifest.rolledUp(before: granularity.finer!)
            let expected = bruteForce(scenario.points, granularity, before: limit)
            let actual = try stored(engine, granularity, before: limit)
            #expect(sameAggregates(actual, expected), "granularity \(granularity)")
            #expect(actual.values.reduce(0) { $0 + $1.0 } == UInt64(scenario.points.filter { $0.time < limit }.count))
        }
        // Daily digests against exact quantiles of the raw values.
        for row in try engine.rows(.day) {
            let values = scenario.points.filter { "\(SeriesKey(measurement: "m", tags: []).measurement)" == row.series.measurement
                && row.series.description == $0.series && Granularity.day.bucketStart(ofSeconds: $0.time) == row.start }.map(\.value).sorted()
            let digest = try #require(row.aggregate("v")).digest
            #expect(digest.count == UInt64(values.count))
            for q in [0.5, 0.9, 0.95, 0.99, 0.999] {
                let estimate = digest.quantile(q)
                let below = Double(values.filter { $0 < estimate }.count) / Double(values.count)
                let atOrBelow = Double(values.filter { $0 <= estimate }.count) / Double(values.count)
                let error = q < below ? below - q : (q > atOrBelow ? q - atOrBelow : 0)
                #expect(error <= 1e-2, "rank error \(error) at q=\(q) for \(row.series) day \(row.start)")
            }
        }
        // The number of files stays bounded: one per closed merge window per granularity, plus open windows.
        let counts = Dictionary(grouping: manifest.segments, by: \.granularity).mapValues(\.count)
        let cap = CompactionPlanner.maxSegmentsPerOpenWindow
        #expect(counts[.minute, default: 0] <= Int(days) * 24 + cap(.minute))
        #expect(counts[.fiveMinutes, default: 0] <= Int(days) * 4 + cap(.fiveMinutes))  // 6-hour windows
        #expect(counts[.hour, default: 0] <= Int(days) + cap(.hour))
        #expect(counts[.day, default: 0] <= 1 + cap(.day))
    }

    /// Retention with an injectable clock: past each retention, exactly the expired, rolled-up files go,
    /// and the coarser granularities still answer for that time.
    @Test func retentionDropsOnlyExpiredRolledUpFiles() throws {
        let dir = TemporaryDirectory()
        var scenario = MultiDayScenario()
        let clock = TestClock(scenario.start)
        var configuration = Self.configuration(dir, clock, keepEverything: false)
        configuration.retention.minute = 2 * 3_600
        configuration.retention.fiveMinutes = 6 * 3_600
        configuration.retention.hour = 2 * 86_400
        configuration.retention.day = nil
        let engine = try Engine.open(configuration, logger: .quiet)
        var t = scenario.start
        while t < scenario.start + 86_400 {
            try scenario.writeStep(engine, from: t, seconds: 600, latePoints: 0)
            t += 600
            clock.advance(600)
            try engine.maintenanceStep()
        }
        clock.advance(600)
        try engine.flush(everything: true)
        try engine.compact()
        let now = clock.now
        let manifest = engine.currentManifest
        for segment in manifest.segments {
            if let keep = configuration.retention.seconds(segment.granularity) {
                // Nothing still listed is both expired and rolled up.
                let expired = segment.maxStart + segment.granularity.seconds <= now - keep
                #expect(!(expired && segment.maxStart < manifest.rolledUp(before: segment.granularity)), "\(segment.relativePath) should be gone")
            }
        }
        // 1m keeps only about the last 2 hours; older minutes are gone from 1m...
        let oldestMinute = try engine.rows(.minute).map(\.start).min() ?? .max
        #expect(oldestMinute >= now - 2 * 3_600 - 3_600)
        // ...but the day still answers for all of it, exactly.
        let dayLimit = manifest.rolledUp(before: .hour)
        let expectedDay = bruteForce(scenario.points, .day, before: dayLimit)
        #expect(!expectedDay.isEmpty)
        #expect(sameAggregates(try stored(engine, .day, before: dayLimit), expectedDay))
        let hourLimit = manifest.rolledUp(before: .fiveMinutes)
        #expect(sameAggregates(try stored(engine, .hour, before: hourLimit), bruteForce(scenario.points, .hour, before: hourLimit)))
        // Every file on disk is listed, and every listed file is on disk.
        var onDisk: Set<String> = []
        for g in Granularity.allCases {
            for name in try FileSystem.listDirectory(dir.file(g.name)) { onDisk.insert(g.name + "/" + name) }
        }
        #expect(onDisk == Set(manifest.segments.map(\.relativePath)))
        #expect(engine.compactionStatistics.totals.drops > 0)
        #expect(engine.compactionStatistics.totals.bytesDropped > 0)
    }

    /// Crash at each step of a compaction, restart, compact again: every point counted exactly once at
    /// every granularity, no orphan files left.
    @Test(arguments: [FaultPoint.afterSegmentTemporaryWritten, .afterSegmentRenamed, .compactionAfterSegmentsWritten,
                      .compactionAfterManifestPublished, .compactionAfterSourcesDeleted])
    func crashDuringCompaction(at fault: FaultPoint) throws {
        let dir = TemporaryDirectory()
        var scenario = MultiDayScenario()
        let clock = TestClock(scenario.start)
        var configuration = Self.configuration(dir, clock)
        let armed = Mutex(false)
        configuration.faultInjector = { point in
            if point == fault, armed.withLock({ $0 }) { throw SimulatedCrash() }
        }
        let engine = try Engine.open(configuration, logger: .quiet)
        var t = scenario.start
        while t < scenario.start + 5 * 3_600 {
            try scenario.writeStep(engine, from: t, seconds: 600, latePoints: 1)
            t += 600
            clock.advance(600)
            try engine.flush()
        }
        clock.advance(3_600)
        try engine.flush(everything: true)
        armed.withLock { $0 = true }
        #expect(throws: SimulatedCrash.self) { try engine.compact() }
        let reopened = try Engine.open(Self.configuration(dir, clock), logger: .quiet)
        if fault == .afterSegmentRenamed || fault == .compactionAfterSegmentsWritten {
            #expect(!reopened.recovery.orphanSegmentsRemoved.isEmpty)
        }
        try reopened.compact()
        let manifest = reopened.currentManifest
        #expect(sameAggregates(try stored(reopened, .minute), bruteForce(scenario.points, .minute)))
        for granularity in [Granularity.fiveMinutes, .hour] {
            let limit = manifest.rolledUp(before: granularity.finer!)
            #expect(limit > scenario.start)
            #expect(sameAggregates(try stored(reopened, granularity, before: limit), bruteForce(scenario.points, granularity, before: limit)),
                    "granularity \(granularity)")
        }
        var onDisk: Set<String> = []
        for g in Granularity.allCases {
            for name in try FileSystem.listDirectory(dir.file(g.name)) { onDisk.insert(g.name + "/" + name) }
        }
        #expect(onDisk == Set(manifest.segments.map(\.relativePath)))
    }
}
