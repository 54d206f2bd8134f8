import Testing
import StrataCore
import StrataIO
@testable import Strata

/// The head split into shards (``ShardedHead``): the same aggregates as one head, one shard per
/// series whatever the tag order, shared series caps, and writes racing flushes losing nothing.
@Suite("Sharded head")
struct ShardedHeadTests {
    static let start: Int64 = 1_763_799_960  // a whole minute

    static func parse(_ text: String) -> ParsedBatch {
        var batch = ParsedBatch()
        LineProtocolParser().parse(Array(text.utf8), defaultTimestamp: 0, into: &batch)
        precondition(batch.errors.isEmpty, "\(batch.errors)")
        return batch
    }

    static func apply(_ batch: ParsedBatch, to head: ShardedHead) -> (rejections: [IngestRejection], pointsAccepted: Int) {
        head.apply(batch, keys: SeriesKeyBatch(batch), partition: head.partition(batch), nowSeconds: start + 86_400, walFile: 1)
    }

    static func sorted(_ rows: [BucketRow]) -> [BucketRow] {
        rows.sorted { $0.series != $1.series ? $0.series < $1.series : $0.start < $1.start }
    }

    @Test("four shards hold exactly the rows one head holds, digests included")
    func shardsAggregateLikeOneHead() throws {
        var text = ColumnarFlushTests.firstHeadText()
        // Every tag order of one series, in one batch: one series, one bucket.
        let tags = ["endpoint=/x", "method=GET", "key=k", "status=200"]
        for (i, order) in [[0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2], [2, 0, 3, 1]].enumerated() {
            text += "http_request,\(order.map { tags[$0] }.joined(separator: ",")) duration_ms=\(i + 1) \((Self.start + 60) * 1_000_000_000)\n"
        }
        let batch = Self.parse(text)
        var single = Head(limits: HeadLimits())
        #expect(single.apply(batch, nowSeconds: Self.start + 86_400, walFile: 1).isEmpty)
        let sharded = ShardedHead(shardCount: 4, limits: HeadLimits())
        let applied = Self.apply(batch, to: sharded)
        #expect(applied.rejections.isEmpty)
        #expect(applied.pointsAccepted == batch.points.count)

        #expect(sharded.seriesCount == single.seriesCount)
        #expect(sharded.bucketCount == single.bucketCount)
        #expect(sharded.statistics == single.statistics)
        #expect(sharded.budget.total == single.seriesCount)
        #expect(Self.sorted(sharded.rows()) == Self.sorted(single.rows()))
        let x = sharded.rows().filter { $0.series.value(of: "endpoint") == "/x" }
        #expect(x.count == 1)
        #expect(x.first?.aggregate("duration_ms")?.count == 4)
        #expect(x.first?.aggregate("duration_ms")?.sum == 10)
        // Every shard got a share of the 4,600 points' series.
        let partition = try #require(sharded.partition(batch))
        #expect(partition.count == 4)
        #expect(partition.map(\.count).reduce(0, +) == batch.points.count)
        #expect(partition.allSatisfy { $0.count > batch.points.count / 8 })
    }

    @Test("tag order does not change the shard hash; a different tag does")
    func seriesHashIgnoresTagOrder() {
        let batch = Self.parse("m,a=1,b=2,c=3 v=1 0\nm,c=3,a=1,b=2 v=1 0\nm,a=1,b=2,c=4 v=1 0\nm,a=1,b=3,c=2 v=1 0\n")
        let hashes = batch.bytes.withUnsafeBytes { text in
            batch.tags.withUnsafeBufferPointer { tags in batch.points.map { ShardedHead.seriesHash($0, text: text, tags: tags) } }
        }
        #expect(hashes[0] == hashes[1])
        #expect(hashes[0] != hashes[2])
        #expect(hashes[0] != hashes[3])  // values swapped between keys
    }

    @Test("the series caps hold across shards and drained series are given back")
    func capsAreSharedAndReleased() {
        var limits = HeadLimits()
        limits.maxSeries = 10
        limits.maxSeriesPerMeasurement = 6
        let head = ShardedHead(shardCount: 4, limits: limits)
        var text = ""
        for i in 0..<8 { text += "a,k=\(i) v=1 \(Self.start * 1_000_000_000)\n" }
        for i in 0..<8 { text += "b,k=\(i) v=1 \(Self.start * 1_000_000_000)\n" }
        let first = Self.apply(Self.parse(text), to: head)
        #expect(first.pointsAccepted == 10)
        #expect(head.seriesCount == 10)
        // Which six are refused, and for which cap, follows the shards; the caps themselves hold.
        #expect(first.rejections.count == 6)
        let allowed: [IngestRejection.Reason] = [.seriesLimit(limit: 10), .measurementSeriesLimit(measurement: "a", limit: 6),
                                                 .measurementSeriesLimit(measurement: "b", limit: 6)]
        #expect(first.rejections.allSatisfy { allowed.contains($0.reason) })
        let series = head.rows().map { $0.series.measurement }
        #expect(series.filter { $0 == "a" }.count <= 6)
        #expect(series.filter { $0 == "b" }.count <= 6)
        #expect(first.rejections.map(\.line) == first.rejections.map(\.line).sorted())

        // A drain drops every series: the budget is whole again.
        let drained = head.drainBuckets(before: Int64.max)
        #expect(drained.count == 4)
        #expect(drained.reduce(0) { $0 + $1.count } == 10)
        #expect(head.seriesCount == 0)
        #expect(head.budget.total == 0)
        let second = Self.apply(Self.parse(text), to: head)
        #expect(second.pointsAccepted == 10)
        #expect(head.budget.total == 10)
    }

    @Test("writers racing flushes and a crash lose and double nothing", arguments: [1, 4])
    func writersRacingFlushesLoseNothing(shards: Int) async throws {
        let dir = TemporaryDirectory()
        let clock = TestClock(t0)
        var configuration = EngineConfiguration.test(dir, clock: clock)
        configuration.headShards = shards
        configuration.walRollSize = 4_096  // writers roll the WAL too
        let engine = try Engine.open(configuration, logger: .quiet)
        let writers = 4, writes = 60, linesPerWrite = 20
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    for w in 0..<writes {
                        var text = ""
                        for l in 0..<linesPerWrite {
                            // Minutes spread back from the clock, so flushes find closed minutes.
                            let seconds = clock.now - Int64((w * linesPerWrite + l) % 900)
                            text += "m,writer=\(writer),s=\(l % 7) duration_ms=\(l + 1) \(seconds)000000000\n"
                        }
                        _ = try engine.write(lines(text))
                    }
                }
            }
            group.addTask {
                for _ in 0..<20 {
                    clock.advance(30)
                    try engine.flush()
                }
            }
            try await group.waitForAll()
        }
        let perWrite = (count: UInt64(linesPerWrite), sum: Double(linesPerWrite * (linesPerWrite + 1) / 2))
        let expected = (count: perWrite.count * UInt64(writers * writes), sum: perWrite.sum * Double(writers * writes))
        #expect(try totals(engine) == expected)
        #expect(engine.segments(.minute).count > 1)
        // Crash (no close): segments plus WAL replay give the same totals.
        let reopened = try Engine.open(configuration, logger: .quiet)
        #expect(try totals(reopened) == expected)
        try reopened.close()
    }
}
