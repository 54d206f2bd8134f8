import Foundation
import Testing
@testable import Strata
import StrataCore

/// The head's 1-minute aggregation against a naive reference: every (series, minute, field) gets
/// exactly the count, sum, min and max of its values, whatever the order of points, tags and minutes,
/// across drains (which rebuild the head's tables) and table growth.
@Suite("Head aggregation")
struct HeadTests {
    struct Cell: Hashable {
        var series: String
        var minute: Int64
        var field: String
    }

    struct Expected {
        var count: UInt64 = 0
        var sum: Double = 0
        var min = Double.infinity
        var max = -Double.infinity
        var values: [Double] = []
    }

    /// Random points over `seriesCount` series and `minutes` minutes, in random time order, with tags in
    /// random order; returns the line-protocol text and the reference aggregates.
    static func generate(points: Int, seriesCount: Int, minutes: Int64, seed: UInt64) -> ([UInt8], [Cell: Expected]) {
        var random = SeededRandom(seed: seed)
        var text = ""
        var expected: [Cell: Expected] = [:]
        let start: Int64 = 1_763_800_020
        for _ in 0..<points {
            let s = Int(random.next() % UInt64(seriesCount))
            let minute = (start / 60 + Int64(random.next() % UInt64(minutes))) * 60
            let second = minute + Int64(random.next() % 60)
            var tags = ["endpoint=/e\(s % 37)", "key=k\(s / 37)", "zone=z\(s % 3)"]
            if random.next() % 2 == 0 { tags.reverse() }
            if random.next() % 5 == 0 { tags.swapAt(0, 1) }
            let duration = Double(random.next() % 100_000) / 10
            let bytes = Int(random.next() % 5000)
            var fields = ["duration_ms=\(duration)", "bytes=\(bytes)i", "note=\"x\""]
            if random.next() % 3 == 0 { fields.reverse() }
            text += "req,\(tags.joined(separator: ",")) \(fields.joined(separator: ",")) \(second)000000000\n"
            let series = "req,endpoint=/e\(s % 37),key=k\(s / 37),zone=z\(s % 3)"
            for (field, value) in [("duration_ms", duration), ("bytes", Double(bytes))] {
                var cell = expected[Cell(series: series, minute: minute, field: field), default: Expected()]
                cell.count += 1
                cell.sum += value
                cell.min = Swift.min(cell.min, value)
                cell.max = Swift.max(cell.max, value)
                cell.values.append(value)
                expected[Cell(series: series, minute: minute, field: field)] = cell
            }
        }
        return (Array(text.utf8), expected)
    }

    static func cells(_ rows: [BucketRow]) -> [Cell: FieldAggregate] {
        var result: [Cell: FieldAggregate] = [:]
        for row in rows {
            let series = row.series.measurement + row.series.tags.map { ",\($0.key)=\($0.value)" }.joined()
            for field in row.fields {
                let cell = Cell(series: series, minute: row.start, field: field.name)
                #expect(result[cell] == nil, "bucket \(cell) emitted twice")
                result[cell] = field.aggregate
            }
        }
        return result
    }

    static func check(_ actual: [Cell: FieldAggregate], _ expected: [Cell: Expected], digestsInArrivalOrder: Bool = false) {
        #expect(actual.count == expected.count)
        for (cell, want) in expected {
            guard let got = actual[cell] else {
                Issue.record("missing bucket \(cell)")
                continue
            }
            #expect(got.count == want.count, "\(cell)")
            #expect(got.min == want.min && got.max == want.max, "\(cell)")
            #expect(abs(got.sum - want.sum) <= 1e-9 * max(1, abs(want.sum)), "\(cell)")
            #expect(got.digest.count == want.count, "\(cell)")
            // Small buckets keep every value in the digest: the median is exact.
            if want.count <= 50 {
                let sorted = want.values.sorted()
                #expect(got.digest.min == sorted.first && got.digest.max == sorted.last, "\(cell)")
            }
            // The digest is exactly the one that adding the values one by one, as they arrived, gives
            // (whether they stayed inline in the head or went through its digest batches).
            if digestsInArrivalOrder {
                var reference = TDigest()
                for value in want.values { reference.add(value) }
                reference.compress()
                #expect(got.digest == reference, "\(cell): \(want.count) values")
            }
        }
    }

    @Test("every (series, minute, field) aggregate is exact, in any point and tag order",
          arguments: [(points: 60_000, series: 5_000, minutes: Int64(30)), (points: 60_000, series: 40, minutes: Int64(3)),
                      (points: 20_000, series: 2_000, minutes: Int64(2))])
    func exactAggregates(shape: (points: Int, series: Int, minutes: Int64)) throws {
        let (text, expected) = Self.generate(points: shape.points, seriesCount: shape.series, minutes: shape.minutes, seed: 7)
        var aggregator = MinuteAggregator()
        var batch = ParsedBatch()
        LineProtocolParser().parse(text, defaultTimestamp: 0, into: &batch)
        #expect(batch.errors.isEmpty)
        let rejected = aggregator.add(batch, nowSeconds: 1_763_900_000)
        #expect(rejected.isEmpty)
        #expect(aggregator.pointsAccepted == shape.points)
        #expect(aggregator.seriesCount <= shape.series)
        let buckets = Set(expected.keys.map { "\($0.series)@\($0.minute)" }).count
        #expect(aggregator.bucketCount == buckets)
        Self.check(Self.cells(aggregator.rows()), expected, digestsInArrivalOrder: true)
    }

    @Test("draining in several steps, with writes between, loses and duplicates nothing")
    func drainsRebuildTheHead() throws {
        let (text, expected) = Self.generate(points: 40_000, seriesCount: 3_000, minutes: 20, seed: 11)
        var batch = ParsedBatch()
        LineProtocolParser().parse(text, defaultTimestamp: 0, into: &batch)
        // Feed the points in four parts (split on line boundaries), draining older minutes between them.
        var aggregator = MinuteAggregator()
        var rows: [BucketRow] = []
        let lines = text.split(separator: 0x0A, omittingEmptySubsequences: true)
        let start: Int64 = 1_763_800_020 / 60 * 60
        for part in 0..<4 {
            var partBatch = ParsedBatch()
            let slice = lines[(part * lines.count / 4)..<((part + 1) * lines.count / 4)]
            LineProtocolParser().parse(Array(slice.joined(separator: [0x0A])), defaultTimestamp: 0, into: &partBatch)
            #expect(aggregator.add(partBatch, nowSeconds: 1_763_900_000).isEmpty)
            rows += aggregator.drain(before: start + Int64(part + 1) * 240)
        }
        rows += aggregator.drain(before: Int64.max)
        #expect(aggregator.bucketCount == 0)
        // A bucket drained early and written to again comes out twice; merged, it must equal the reference.
        var merged: [String: BucketRow] = [:]
        for row in rows {
            let id = "\(row.series)@\(row.start)"
            if var existing = merged[id] {
                existing.merge(row)
                merged[id] = existing
            } else {
                merged[id] = row
            }
        }
        Self.check(Self.cells(Array(merged.values)), expected)
        #expect(batch.points.count == 40_000)
    }

    @Test("tag order does not matter; string-only points are accepted without a bucket")
    func canonicalKeys() throws {
        var aggregator = MinuteAggregator()
        var batch = ParsedBatch()
        let text = """
        m,b=3,a=1 v=1 1763800000000000000
        m,a=1,b=3 v=2 1763800001000000000
        m,b=2,a=1,b=3 v=100 1763800001000000000
        m,b=3,a=1 v=4i,s="x" 1763800002000000000
        m,a=1 s="only strings" 1763800003000000000

        """
        LineProtocolParser().parse(Array(text.utf8), defaultTimestamp: 0, into: &batch)
        #expect(batch.errors.map(\.line) == [3])  // the parser refuses repeated tag keys
        #expect(aggregator.add(batch, nowSeconds: 1_763_800_100).isEmpty)
        let rows = aggregator.rows()
        #expect(rows.count == 1)
        #expect(rows.first?.series == SeriesKey(measurement: "m", tags: [Tag(key: "a", value: "1"), Tag(key: "b", value: "3")]))
        let v = rows.first?.aggregate("v")
        #expect(v?.count == 3 && v?.sum == 7 && v?.min == 1 && v?.max == 4)
        #expect(aggregator.pointsAccepted == 4)
    }

    /// Every order of four tags for each of 300 series (7,200 input-order keys: more than the head keeps
    /// as aliases, so later orders take the canonical lookup), with long tag values on some series:
    /// each series still gets exactly its own points.
    @Test("tag orders beyond the alias budget and long tag values still find their series")
    func manyTagOrders() throws {
        func permutations(_ items: [String]) -> [[String]] {
            guard items.count > 1 else { return [items] }
            return items.indices.flatMap { i in
                var rest = items
                let first = rest.remove(at: i)
                return permutations(rest).map { [first] + $0 }
            }
        }
        let seriesCount = 300
        var text = ""
        var expectedSums: [String: Double] = [:]
        for s in 0..<seriesCount {
            let long = s % 10 == 0 ? String(repeating: "x", count: 150 + s) : "\(s)"
            let tags = ["a=\(s % 7)", "b=\(long)", "c=\(s / 7)", "d=z"]
            for (n, order) in permutations(tags).enumerated() {
                text += "m,\(order.joined(separator: ",")) v=\(n + s) 1763800000000000000\n"
                expectedSums["m,\(tags.joined(separator: ","))", default: 0] += Double(n + s)
            }
        }
        var batch = ParsedBatch()
        LineProtocolParser().parse(Array(text.utf8), defaultTimestamp: 0, into: &batch)
        #expect(batch.errors.isEmpty && batch.points.count == seriesCount * 24)
        var aggregator = MinuteAggregator()
        #expect(aggregator.add(batch, nowSeconds: 1_763_800_100).isEmpty)
        // Twice: the second pass finds most orders through aliases, the rest through canonical keys.
        #expect(aggregator.add(batch, nowSeconds: 1_763_800_100).isEmpty)
        #expect(aggregator.seriesCount == seriesCount)
        let rows = aggregator.rows()
        #expect(rows.count == seriesCount)
        for row in rows {
            let name = row.series.measurement + row.series.tags.map { ",\($0.key)=\($0.value)" }.joined()
            let v = row.aggregate("v")
            #expect(v?.count == 48, "\(name)")
            #expect(v?.sum == 2 * (expectedSums[name] ?? -1), "\(name)")
        }
    }
}
