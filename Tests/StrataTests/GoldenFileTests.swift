import Foundation
import Testing
import StrataCore
import StrataIO
@testable import Strata

/// Golden files: a small segment and a WAL file produced by the code below, committed in
/// `Tests/Golden/`. The readers must decode them to exactly these values, and encoding the same input
/// again must give the same bytes. Regenerate (only on a deliberate format change, with a version bump):
/// `STRATA_WRITE_GOLDEN=1 swift test --filter GoldenFileTests`.
@Suite struct GoldenFileTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Golden").path
    static var writing: Bool { ProcessInfo.processInfo.environment["STRATA_WRITE_GOLDEN"] == "1" }

    /// The golden segment's input: two series, two minutes, one field with several values, one with one.
    static func segmentRows() -> [BucketRow] {
        func aggregate(_ values: [Double]) -> FieldAggregate {
            var a = FieldAggregate()
            for v in values { a.add(v) }
            a.digest.compress()
            return a
        }
        let a = SeriesKey(measurement: "http_request", tags: [Tag(key: "endpoint", value: "/api/v1/orders"), Tag(key: "status", value: "200")])
        let b = SeriesKey(measurement: "http_request", tags: [Tag(key: "endpoint", value: "/api/v1/users"), Tag(key: "status", value: "503")])
        return [
            BucketRow(series: a, start: 1_763_800_020, fields: [
                NamedAggregate(name: "duration_ms", aggregate: aggregate([41.7, 12.5, 99.0, 41.7])),
                NamedAggregate(name: "resp_bytes", aggregate: aggregate([2048])),
            ]),
            BucketRow(series: a, start: 1_763_800_080, fields: [NamedAggregate(name: "duration_ms", aggregate: aggregate([7.25]))]),
            BucketRow(series: b, start: 1_763_800_080, fields: [
                NamedAggregate(name: "duration_ms", aggregate: aggregate([250, 1_000.5])),
                NamedAggregate(name: "resp_bytes", aggregate: aggregate([0.1, 1e300])),
            ]),
        ]
    }

    static func walBytes() -> [UInt8] {
        let small = WALRecord(precision: .milliseconds, defaultTimestamp: 1_763_800_000_000_000_000, receivedAt: 1_763_800_001,
                              lines: Array("cpu,host=a value=0.5 1763800000000\n".utf8))
        let large = WALRecord(precision: .nanoseconds, defaultTimestamp: 1_763_800_000_000_000_000, receivedAt: 1_763_800_002,
                              lines: Array(String(repeating: "http_request,endpoint=/api/v1/orders,status=200 duration_ms=41.7 1763800020000000000\n", count: 12).utf8))
        return WALFile.header(sequence: 3) + WALFile.frame(small) + WALFile.frame(large)
    }

    func golden(_ name: String, _ bytes: [UInt8]) throws -> [UInt8] {
        let path = Self.directory + "/" + name
        if Self.writing { try Data(bytes).write(to: URL(fileURLWithPath: path)) }
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    @Test func segmentV1() throws {
        let encoded = SegmentFile.encode(Self.segmentRows(), granularity: .minute)
        let stored = try golden("segment-v1.seg", encoded)
        #expect(stored == encoded, "re-encoding the golden input must give the committed bytes")
        let reader = try SegmentReader(path: "segment-v1.seg", storage: ByteStorage(copying: stored))
        try reader.verify()
        #expect(stored.count == 857)
        #expect(reader.granularity == .minute)
        #expect((reader.minStart, reader.maxStart) == (1_763_800_020, 1_763_800_080))
        #expect((reader.seriesCount, reader.rowCount, reader.rowGroupCount) == (2, 5, 1))
        #expect(try reader.fieldNames() == ["duration_ms", "resp_bytes"])
        #expect(try reader.allSeriesKeys().map(\.description) == [
            // Canonical keys order by their length-prefixed bytes: the shorter endpoint comes first.
            "http_request,endpoint=/api/v1/users,status=503", "http_request,endpoint=/api/v1/orders,status=200",
        ])
        #expect(try reader.postings(key: "status", value: "503") == [0])
        let group = try reader.decodeRowGroup(0)
        #expect(group.series == [0, 0, 1, 1, 1])
        #expect(group.starts == [1_763_800_080, 1_763_800_080, 1_763_800_020, 1_763_800_020, 1_763_800_080])
        #expect(group.fields == [0, 1, 0, 1, 0])
        #expect(group.counts == [2, 2, 4, 1, 1])
        #expect(group.sums == [1_250.5, 0.1 + 1e300, 41.7 + 12.5 + 99.0 + 41.7, 2048, 7.25])
        #expect(group.mins == [250, 0.1, 12.5, 2048, 7.25])
        #expect(group.maxes == [1_000.5, 1e300, 99, 2048, 7.25])
        #expect(group.digests.map { $0.quantile(0.5) } == [250, 0.1, 41.7, 2048, 7.25])
        #expect(group.digests[2].centroids == [Centroid(mean: 12.5, weight: 1), Centroid(mean: 41.7, weight: 2), Centroid(mean: 99, weight: 1)])
    }

    @Test func walV1() throws {
        let encoded = Self.walBytes()
        let stored = try golden("wal-v1.wal", encoded)
        #expect(stored == encoded)
        #expect(stored.count == 202)
        let contents = WALReader.read(ByteStorage(copying: stored))
        #expect(contents.problem == nil)
        #expect(contents.validLength == stored.count)
        #expect(contents.records.map(\.offset) == [16, 79])
        let records = contents.records.map(\.record)
        #expect(records[0].precision == .milliseconds)
        #expect(records[0].receivedAt == 1_763_800_001)
        #expect(String(decoding: records[0].lines, as: UTF8.self) == "cpu,host=a value=0.5 1763800000000\n")
        #expect(records[1].lines.count == 12 * 85)
        #expect(stored[79 + 6] == WALRecord.codecLZ4)  // the large record is stored compressed
        #expect(records[1].lines == Array(String(repeating: "http_request,endpoint=/api/v1/orders,status=200 duration_ms=41.7 1763800020000000000\n", count: 12).utf8))
    }
}
