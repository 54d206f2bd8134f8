import Testing
import Synchronization
import StrataCore
import StrataIO
@testable import Strata

/// A clock tests move by hand.
final class TestClock: Sendable {
    private let seconds: Mutex<Int64>
    init(_ start: Int64) { seconds = Mutex(start) }
    var now: Int64 { seconds.withLock { $0 } }
    func advance(_ delta: Int64) { seconds.withLock { $0 += delta } }
}

/// A crash simulated by the fault injector: the engine is abandoned without closing.
struct SimulatedCrash: Error {}

extension EngineConfiguration {
    static func test(_ dir: TemporaryDirectory, clock: TestClock) -> EngineConfiguration {
        var configuration = EngineConfiguration(dataDirectory: dir.path)
        configuration.clock = { clock.now }
        return configuration
    }
}

/// 2025-11-22T08:26:40Z, a minute boundary plus 40 s.
let t0: Int64 = 1_763_800_000

func lines(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Sums of count and sum of field `field` over all 1m rows the engine holds.
func totals(_ engine: Engine, field: String = "duration_ms") throws -> (count: UInt64, sum: Double) {
    var count: UInt64 = 0
    var sum = 0.0
    for row in try engine.minuteRows() {
        if let aggregate = row.aggregate(field) {
            count += aggregate.count
            sum += aggregate.sum
        }
    }
    return (count, sum)
}

@Suite struct EngineTests {
    @Test func aggregatesExactlyPerSeriesAndMinute() throws {
        let dir = TemporaryDirectory()
        let clock = TestClock(t0 + 600)
        let engine = try Engine.open(.test(dir, clock: clock), logger: .quiet)
        let result = try engine.write(lines("""
            http_request,endpoint=/a,status=200 duration_ms=10,resp_bytes=100i \(t0)000000000
            http_request,status=200,endpoint=/a duration_ms=30,resp_bytes=300i \(t0 + 10)000000000
            http_request,endpoint=/a,status=200 duration_ms=5 \(t0 + 70)000000000
            http_request,endpoint=/b,status=500 duration_ms=250 \(t0 + 15)000000000
            # a comment, then a bad line, then a blank line
            http_request,endpoint=/c duration_ms=oops \(t0)000000000

            http_request,endpoint=/b,status=500 duration_ms=350,ok=true,msg="boom" \(t0 + 16)000000000
            """))
        #expect(result.linesRead == 6)
        #expect(result.pointsAccepted == 5)
        #expect(result.parseErrors.count == 1)
        #expect(result.parseErrors.first?.line == 6)
        #expect(result.rejections == [])
        let rows = try engine.minuteRows()
        #expect(rows.count == 3)
        let minute0 = Granularity.minute.bucketStart(ofSeconds: t0)
        let a0 = try #require(rows.first { $0.series.value(of: "endpoint") == "/a" && $0.start == minute0 })
        #expect(a0.series.description == "http_request,endpoint=/a,status=200")
        #expect(a0.aggregate("duration_ms") == nil ? false : true)
        let d = try #require(a0.aggregate("duration_ms"))
        #expect((d.count, d.sum, d.min, d.max) == (2, 40, 10, 30))
        let bytes = try #require(a0.aggregate("resp_bytes"))
        #expect((bytes.count, bytes.sum, bytes.min, bytes.max) == (2, 400, 100, 300))
        let a1 = try #require(rows.first { $0.series.value(of: "endpoint") == "/a" && $0.start == minute0 + 60 })
        #expect(a1.aggregate("duration_ms")?.sum == 5)
        let b = try #require(rows.first { $0.series.value(of: "endpoint") == "/b" })
        let bd = try #require(b.aggregate("duration_ms"))
        #expect((bd.count, bd.sum, bd.min, bd.max) == (2, 600, 250, 350))
        // Booleans aggregate as 0/1; strings are counted and ignored.
        #expect(b.aggregate("ok")?.sum == 1)
        #expect(b.aggregate("msg") == nil)
        #expect(engine.statistics.stringFieldsIgnored == 1)
        #expect(engine.statistics.headSeries == 2)
    }

    @Test func futureAndOldPointsAreRejectedWithAReason() throws {
        let dir = TemporaryDirectory()
        let clock = TestClock(t0)
        var configuration = EngineConfiguration.test(dir, clock: clock)
        configuration.headLimits.maxAgeSeconds = 3_600
        let engine = try Engine.open(configuration, logger: .quiet)
        let result = try engine.write(lines("""
            m v=1 \(t0 + 60)000000000
            m v=2 \(t0 + 3_600)000000000
            m v=3 \(t0 - 7_300)000000000
            """))
        #expect(result.pointsAccepted == 1)
        #expect(result.rejections == [
            IngestRejection(line: 2, reason: .timestampInFuture(limitSeconds: 900)),
            IngestRejection(line: 3, reason: .timestampTooOld(limitSeconds: 3_600)),
        ])
        #expect(engine.statistics.rejected == ["timestamp_in_future": 1, "timestamp_too_old": 1])
    }

    /// With one shard, new series are admitted in line order; with several, the cap holds for the
    /// head as a whole and exactly one of the two new series past it is refused.
    @Test(arguments: [1, 4])
    func seriesCapRefusesNewSeriesOnly(shards: Int) throws {
        let dir = TemporaryDirectory()
        let clock = TestClock(t0)
        var configuration = EngineConfiguration.test(dir, clock: clock)
        configuration.headLimits.maxSeries = 2
        configuration.headShards = shards
        let engine = try Engine.open(configuration, logger: .quiet)
        let result = try engine.write(lines("m,k=1 v=1 \(t0)000000000\nm,k=2 v=1 \(t0)000000000\nm,k=3 v=1 \(t0)000000000\nm,k=1 v=5 \(t0)000000000"))
        #expect(result.pointsAccepted == 3)
        #expect(result.rejections.count == 1)
        #expect(result.rejections.first?.reason == .seriesLimit(limit: 2))
        if shards == 1 { #expect(result.rejections == [IngestRejection(line: 3, reason: .seriesLimit(limit: 2))]) }
        #expect([2, 3].contains(result.rejections.first?.line ?? 0))
        #expect(try totals(engine, field: "v") == (3, 7))
        #expect(engine.statistics.headSeries == 2)
        // Existing series keep ingesting; a new one is still refused.
        let more = try engine.write(lines("m,k=1 v=2 \(t0)000000000\nm,k=4 v=1 \(t0)000000000"))
        #expect(more.pointsAccepted == 1)
        #expect(more.rejections == [IngestRejection(line: 2, reason: .seriesLimit(limit: 2))])
    }

    @Test func flushWritesSegmentsAndDeletesWAL() throws {
        let dir = TemporaryDirectory()
        let clock = TestClock(t0)
        let engine = try Engine.open(.test(dir, clock: clock), logger: .quiet)
        for i in 0..<10 {
            _ = try engine.write(lines("http_request,endpoint=/e\(i % 3) duration_ms=\(i) \(t0 + Int64(i) * 30)000000000"))
        }
        // Nothing is closed yet at t0 + 300 − grace for minutes ≥ t0+180.
        clock.advance(300)
        let first = try engine.flush()
        #expect(first.segment == "1m/00000000000000000001.seg")
        #expect(try totals(engine) == (10, 45))
        clock.advance(600)
        let second = try engine.flush()
        #expect(second.segment == "1m/00000000000000000002.seg")
        #expect(engine.headRows().isEmpty)
        #expect(try totals(engine) == (10, 45))
        // Only the active WAL file remains.
        #expect(try WriteAheadLog.existingSequences(in: dir.file("wal")) == [engine.wal.activeSequence])
        try engine.close()
        let reopened = try Engine.open(.test(dir, clock: clock), logger: .quiet)
        #expect(reopened.recovery.pointsReplayed == 0)
        #expect(try totals(reopened) == (10, 45))
    }

    @Test func restartReplaysTheWALExactly() throws {
        let dir = TemporaryDirectory()
        let clock = TestClock(t0)
        do {
            let engine = try Engine.open(.test(dir, clock: clock), logger: .quiet)
            _ = try engine.write(lines("m,k=a duration_ms=1 \(t0)000000000\nm,k=b duration_ms=2 \(t0 + 60)000000000"))
            _ = try engine.write(lines("m,k=a duration_ms=4 \(t0 + 5)000000000"))
            // Abandoned without close: a crash.
        }
        let reopened = try Engine.open(.test(dir, clock: clock), logger: .quiet)
        #expect(reopened.recovery.walRecordsReplayed == 2)
        #expect(reopened.recovery.pointsReplayed == 3)
        #expect(try totals(reopened) == (3, 7))
    }

    @Test func latePointsAfterAFlushAreCountedOnce() throws {
        let dir = TemporaryDirectory()
        let clock = TestClock(t0)
        let engine = try Engine.open(.test(dir, clock: clock), logger: .quiet)
        _ = try engine.write(lines("m duration_ms=1 \(t0)000000000"))
        clock.advance(600)
        try engine.flush()
        _ = try engine.write(lines("m duration_ms=10 \(t0 + 1)000000000"))  // late: its minute is already in a segment
        #expect(try totals(engine) == (2, 11))
        let rows = try engine.minuteRows()
        #expect(rows.count == 1)
        #expect(rows[0].aggregate("duration_ms")?.max == 10)
        // Crash now: the late point is replayed, the flushed one is not.
        let reopened = try Engine.open(.test(dir, clock: clock), logger: .quiet)
        #expect(reopened.recovery.pointsReplayed == 1)
        #expect(try totals(reopened) == (2, 11))
        try reopened.flush(everything: true)
        #expect(reopened.segments(.minute).count == 2)
        #expect(try totals(reopened) == (2, 11))
    }

    /// Crash at every step of a flush, then restart: every acknowledged point is counted exactly once.
    @Test(arguments: [FaultPoint.afterWALAppend, .afterSegmentTemporaryWritten, .afterSegmentRenamed, .afterManifestPublished])
    func crashDuringFlushLosesAndDuplicatesNothing(at fault: FaultPoint) throws {
        let dir = TemporaryDirectory()
        let clock = TestClock(t0)
        var configuration = EngineConfiguration.test(dir, clock: clock)
        let armed = Mutex(false)
        configuration.faultInjector = { point in
            if point == fault, armed.withLock({ $0 }) { throw SimulatedCrash() }
        }
        let engine = try Engine.open(configuration, logger: .quiet)
        var expectedCount: UInt64 = 0
        var expectedSum = 0.0
        for i in 0..<40 {
            let value = Double(i % 7) + 0.25
            _ = try engine.write(lines("http_request,endpoint=/e\(i % 4),status=\(200 + i % 3) duration_ms=\(value) \(t0 + Int64(i) * 15)000000000"))
            expectedCount += 1
            expectedSum += value
        }
        clock.advance(420)
        armed.withLock { $0 = true }
        var crashed = false
        do {
            if fault == .afterWALAppend {
                _ = try engine.write(lines("http_request,endpoint=/late duration_ms=1000 \(t0)000000000"))
            } else {
                try engine.flush()
            }
        } catch is SimulatedCrash {
            crashed = true
        }
        #expect(crashed)
        if fault == .afterWALAppend {
            // The record reached the WAL but was never acknowledged; replay may count it (once).
            expectedCount += 1
            expectedSum += 1000
        }
        // Restart without the fault.
        let reopened = try Engine.open(.test(dir, clock: clock), logger: .quiet)
        #expect(try totals(reopened) == (expectedCount, expectedSum))
        try reopened.flush(everything: true)
        #expect(try totals(reopened) == (expectedCount, expectedSum))
        let again = try Engine.open(.test(dir, clock: clock), logger: .quiet)
        #expect(try totals(again) == (expectedCount, expectedSum))
        #expect(again.recovery.orphanSegmentsRemoved.isEmpty)
        if fault == .afterSegmentRenamed {
            #expect(reopened.recovery.orphanSegmentsRemoved == ["1m/00000000000000000001.seg"])
        }
        if fault == .afterSegmentTemporaryWritten {
            #expect(reopened.recovery.temporaryFilesRemoved == ["1m/00000000000000000001.seg.tmp"])
        }
    }

    @Test func tornWALTailIsTruncatedAndReported() throws {
        let dir = TemporaryDirectory()
        let clock = TestClock(t0)
        do {
            let engine = try Engine.open(.test(dir, clock: clock), logger: .quiet)
            _ = try engine.write(lines("m duration_ms=1 \(t0)000000000"))
            _ = try engine.write(lines("m duration_ms=2 \(t0)000000000"))
        }
        let path = dir.file("wal/" + WALFile.name(1))
        let size = try FileSystem.fileSize(path)
        let file = try File.openForAppending(path)
        try file.truncate(to: size - 3)
        let reopened = try Engine.open(.test(dir, clock: clock), logger: .quiet)
        #expect(reopened.recovery.tornTails.count == 1)
        #expect(reopened.recovery.tornTails[0].hasPrefix(path))
        #expect(try totals(reopened) == (1, 1))
        #expect(try FileSystem.fileSize(path) < size - 3)
    }

    @Test func corruptSegmentIsReportedAndOthersServed() throws {
        let dir = TemporaryDirectory()
        let clock = TestClock(t0)
        let engine = try Engine.open(.test(dir, clock: clock), logger: .quiet)
        _ = try engine.write(lines("m duration_ms=1 \(t0)000000000"))
        try engine.flush(everything: true)
        _ = try engine.write(lines("m duration_ms=2 \(t0 + 120)000000000"))
        try engine.close()
        // Damage the first segment's footer.
        let path = dir.file("1m/" + SegmentLayout.name(1))
        var bytes = try File.openForReading(path).readAll()
        bytes[bytes.count - 20] ^= 0xFF
        try FileSystem.removeFile(path)
        try File.createNew(path).writeAll(bytes)
        let reopened = try Engine.open(.test(dir, clock: clock), logger: .quiet)
        #expect(reopened.recovery.corruptSegments.count == 1)
        #expect(reopened.recovery.corruptSegments[0].contains("footer"))
        #expect(reopened.segments(.minute).count == 1)
        #expect(try totals(reopened) == (1, 2))
    }

    @Test func concurrentWritersAreAllCounted() async throws {
        let dir = TemporaryDirectory()
        let clock = TestClock(t0)
        let engine = try Engine.open(.test(dir, clock: clock), logger: .quiet)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<4 {
                group.addTask {
                    for i in 0..<50 {
                        _ = try engine.write(lines("m,w=\(writer) duration_ms=\(i) \(t0 + Int64(i))000000000"))
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try totals(engine) == (200, 4 * 1225))
    }
}

@Suite struct EngineLimitTests {
    @Test func oversizedWriteIsRefusedWhole() throws {
        let dir = TemporaryDirectory()
        let engine = try Engine.open(.test(dir, clock: TestClock(t0)), logger: .quiet)
        let line = Array("m v=1 \(t0)000000000\n".utf8)
        var big: [UInt8] = []
        big.reserveCapacity(64 << 20)
        while big.count <= WALFile.maxRecordLength { big += line }
        #expect(throws: EngineError.writeTooLarge(bytes: big.count, limit: WALFile.maxRecordLength - 64)) {
            try engine.write(big)
        }
        #expect(engine.statistics.pointsAccepted == 0)
    }

    @Test func headPastItsBucketBudgetIsFlushedEarly() throws {
        let dir = TemporaryDirectory()
        let clock = TestClock(t0 + 3_600)
        var configuration = EngineConfiguration.test(dir, clock: clock)
        configuration.headFlushBuckets = 20
        let engine = try Engine.open(configuration, logger: .quiet)
        // 19 buckets (19 minutes of one series), all closed: under the budget.
        try engine.write(lines((0..<19).map { "m,s=a v=1 \(t0 + 60 * Int64($0))000000000" }.joined(separator: "\n")))
        #expect(engine.statistics.headBuckets == 19)
        #expect(!engine.headNeedsEarlyFlush())
        // The 20th reaches it; the flush empties the head of closed minutes and keeps every point.
        try engine.write(lines("m,s=b v=2 \(t0)000000000"))
        #expect(engine.headNeedsEarlyFlush())
        try engine.flush()
        #expect(engine.statistics.headBuckets == 0)
        #expect(!engine.headNeedsEarlyFlush())
        let rows = try engine.minuteRows()
        #expect(rows.reduce(0) { $0 + ($1.aggregate("v")?.count ?? 0) } == 20)
        #expect(rows.reduce(0.0) { $0 + ($1.aggregate("v")?.sum ?? 0) } == 21)
    }

    @Test func flushWritesOneSegmentPerHourOfData() throws {
        let dir = TemporaryDirectory()
        let clock = TestClock(t0 + 4 * 3_600)
        let engine = try Engine.open(.test(dir, clock: clock), logger: .quiet)
        // Points in three different hours, flushed at once (a backfill).
        let hour = t0 / 3_600 * 3_600
        try engine.write(lines("""
            m,s=a v=1 \(hour + 10)000000000
            m,s=a v=2 \(hour + 3_600 + 10)000000000
            m,s=b v=3 \(hour + 3_600 + 20)000000000
            m,s=a v=4 \(hour + 2 * 3_600 + 3_599)000000000
            """))
        try engine.flush()
        let segments = engine.segments(.minute)
        #expect(segments.count == 3)
        #expect(segments.map(\.rowCount).sorted() == [1, 1, 2])
        let rows = try engine.minuteRows()
        #expect(rows.reduce(0.0) { $0 + ($1.aggregate("v")?.sum ?? 0) } == 10)
    }

    @Test func flushGoesInChunksOfWholeMinutes() throws {
        let dir = TemporaryDirectory()
        let clock = TestClock(t0 + 3_600)
        var configuration = EngineConfiguration.test(dir, clock: clock)
        configuration.flushChunkBuckets = 5
        let engine = try Engine.open(configuration, logger: .quiet)
        // 20 minutes × 2 series = 40 buckets, within one hour: chunks of 2 minutes (4 buckets; a third
        // minute would make 6 > 5), so 10 chunks, each its own segment.
        let minute0 = t0 / 60 * 60
        try engine.write(lines((0..<20).flatMap { m in ["a", "b"].map { "m,s=\($0) v=\(m + 1) \(minute0 + 60 * Int64(m))000000000" } }.joined(separator: "\n")))
        let result = try engine.flush()
        #expect(result.bucketRows == 40)
        #expect(engine.statistics.headBuckets == 0)
        #expect(engine.segments(.minute).count == 10)
        let rows = try engine.minuteRows()
        #expect(rows.count == 40)
        #expect(rows.reduce(0.0) { $0 + ($1.aggregate("v")?.sum ?? 0) } == 2 * 210)
        // A restart replays nothing twice: the chunks' flush marks cover exactly what they wrote.
        try engine.close()
        let reopened = try Engine.open(configuration, logger: .quiet)
        #expect(try reopened.minuteRows().count == 40)
        #expect(reopened.statistics.headBuckets == 0)
    }
}
