import Testing
import StrataCore
import StrataIO
@testable import Strata

/// Builds bucket rows by hand for segment tests.
enum RowFixtures {
    static func aggregate(_ values: [Double]) -> FieldAggregate {
        var aggregate = FieldAggregate()
        for value in values { aggregate.add(value) }
        aggregate.digest.compress()
        return aggregate
    }

    static func row(_ measurement: String, _ tags: [(String, String)], start: Int64, _ fields: [(String, [Double])]) -> BucketRow {
        BucketRow(series: SeriesKey(measurement: measurement, tags: tags.map { Tag(key: $0.0, value: $0.1) }), start: start,
                  fields: fields.map { NamedAggregate(name: $0.0, aggregate: aggregate($0.1)) })
    }

    /// Three series over two minutes, one with two fields.
    static let small: [BucketRow] = [
        row("http_request", [("endpoint", "/a"), ("status", "200")], start: 1_763_800_020, [("duration_ms", [41.7, 12.5, 99]), ("resp_bytes", [2048, 512])]),
        row("http_request", [("endpoint", "/a"), ("status", "200")], start: 1_763_800_080, [("duration_ms", [7])]),
        row("http_request", [("endpoint", "/b"), ("status", "500")], start: 1_763_800_020, [("duration_ms", [250, 300])]),
        row("cpu", [("host", "a")], start: 1_763_800_080, [("value", [0.5])]),
    ]
}

@Suite struct SegmentTests {
    func writeSegment(_ rows: [BucketRow], in dir: TemporaryDirectory, name: String = "s.seg") throws -> SegmentReader {
        let (bytes, _) = SegmentWriter.encode(rows, granularity: .minute)
        let path = dir.file(name)
        try SegmentWriter.publish(bytes, to: path)
        return try SegmentReader(path: path)
    }

    @Test func roundTripsRowsExactly() throws {
        let dir = TemporaryDirectory()
        let reader = try writeSegment(RowFixtures.small, in: dir)
        #expect(reader.granularity == .minute)
        #expect(reader.minStart == 1_763_800_020)
        #expect(reader.maxStart == 1_763_800_080)
        #expect(reader.seriesCount == 3)
        #expect(reader.rowCount == 5)  // (series, bucket, field) rows
        #expect(try reader.fieldNames() == ["duration_ms", "resp_bytes", "value"])
        #expect(try reader.allSeriesKeys().map(\.description) == [
            "cpu,host=a", "http_request,endpoint=/a,status=200", "http_request,endpoint=/b,status=500",
        ])
        let rows = try reader.allRows()
        #expect(rows.count == 4)
        let a1 = try #require(rows.first { $0.series.value(of: "endpoint") == "/a" && $0.start == 1_763_800_020 })
        let duration = try #require(a1.aggregate("duration_ms"))
        #expect(duration.count == 3)
        #expect(duration.sum == 41.7 + 12.5 + 99)
        #expect(duration.min == 12.5)
        #expect(duration.max == 99)
        #expect(duration.digest.count == 3)
        #expect(a1.aggregate("resp_bytes")?.sum == 2560)
        #expect(rows == RowFixtures.small.sorted { ($0.series, $0.start) < ($1.series, $1.start) })
    }

    @Test func postingsSelectSeries() throws {
        let dir = TemporaryDirectory()
        let reader = try writeSegment(RowFixtures.small, in: dir)
        #expect(try reader.postings(key: "", value: "http_request") == [1, 2])
        #expect(try reader.postings(key: "", value: "cpu") == [0])
        #expect(try reader.postings(key: "status", value: "500") == [2])
        #expect(try reader.postings(key: "status", value: "404") == [])
        #expect(try reader.postings(key: "endpoint", value: "/a") == [1])
        let rows = try reader.rows(series: 1, in: 1_763_800_060..<1_763_800_120)
        #expect(rows.count == 1)
        #expect(rows[0].aggregate("duration_ms")?.sum == 7)
        #expect(try reader.seriesEntry(1) == SegmentReader.SeriesEntry(firstRow: 1, rowCount: 3, minStart: 1_763_800_020, maxStart: 1_763_800_080))
    }

    @Test func duplicateBucketsAreMerged() throws {
        let dir = TemporaryDirectory()
        let first = RowFixtures.row("m", [("k", "v")], start: 60, [("f", [1, 2])])
        let late = RowFixtures.row("m", [("k", "v")], start: 60, [("f", [10])])
        let reader = try writeSegment([first, late], in: dir)
        let rows = try reader.allRows()
        #expect(rows.count == 1)
        #expect(rows[0].aggregate("f")?.count == 3)
        #expect(rows[0].aggregate("f")?.sum == 13)
        #expect(rows[0].aggregate("f")?.max == 10)
    }

    @Test func manyRowGroups() throws {
        let dir = TemporaryDirectory()
        var rows: [BucketRow] = []
        for s in 0..<300 {
            for minute in 0..<40 {
                rows.append(RowFixtures.row("m", [("s", String(s))], start: Int64(minute * 60), [("f", [Double(s), Double(minute)])]))
            }
        }
        let reader = try writeSegment(rows, in: dir)
        #expect(reader.rowCount == 12_000)
        #expect(reader.rowGroupCount == 2)
        try reader.verify()
        let decoded = try reader.allRows()
        #expect(decoded.count == 12_000)
        #expect(decoded.reduce(0) { $0 + $1.aggregate("f")!.sum } == rows.reduce(0) { $0 + $1.aggregate("f")!.sum })
    }

    /// Flips one bit in every region of the file in turn: each flip is caught by a checksum and named.
    @Test func everyBitFlipIsDetected() throws {
        let dir = TemporaryDirectory()
        let (bytes, _) = SegmentWriter.encode(RowFixtures.small, granularity: .minute)
        var undetected: [Int] = []
        for offset in stride(from: 0, to: bytes.count, by: 3) {
            var damaged = bytes
            damaged[offset] ^= 0x04
            do {
                let reader = try SegmentReader(path: "damaged.seg", storage: ByteStorage(copying: damaged))
                try reader.verify()
                undetected.append(offset)
            } catch {
                #expect(error.file == "damaged.seg")
                #expect(!error.location.isEmpty)
            }
        }
        #expect(undetected == [])
        _ = dir
    }

    @Test func truncationAndBadMagicAreNamed() throws {
        let (bytes, _) = SegmentWriter.encode(RowFixtures.small, granularity: .minute)
        #expect(throws: CorruptionError.self) { try SegmentReader(path: "cut.seg", storage: ByteStorage(copying: bytes.prefix(bytes.count - 10))) }
        var wrongMagic = bytes
        wrongMagic[0] = 0x58
        do {
            _ = try SegmentReader(path: "x.seg", storage: ByteStorage(copying: wrongMagic))
            Issue.record("bad magic accepted")
        } catch {
            #expect(error.location == "header")
            #expect(error.cause == .badMagic(offset: 0, found: 0x4753_5458, expected: 0x4753_5453))
        }
        var futureVersion = bytes
        futureVersion[4] = 9
        do {
            _ = try SegmentReader(path: "v.seg", storage: ByteStorage(copying: futureVersion))
            Issue.record("unknown version accepted")
        } catch {
            #expect(error.cause == .unsupportedVersion(offset: 4, found: 9, supported: 1))
        }
    }

    @Test func damagedColumnBlockIsNamedByBlock() throws {
        let (bytes, _) = SegmentWriter.encode(RowFixtures.small, granularity: .minute)
        let clean = try SegmentReader(path: "ok.seg", storage: ByteStorage(copying: bytes))
        let entry = try clean.rowGroup(0)
        let countBlock = entry.blocks[SegmentLayout.Column.count.rawValue]
        var damaged = bytes
        damaged[countBlock.offset + 9] ^= 0xFF
        let reader = try SegmentReader(path: "bad.seg", storage: ByteStorage(copying: damaged))
        // Header, footer and index still validate: the damage is found only where it is read.
        #expect(try reader.allSeriesKeys().count == 3)
        do {
            _ = try reader.allRows()
            Issue.record("damage not detected")
        } catch {
            #expect(error.location == "row group 0 column count (block at offset \(countBlock.offset))")
            guard case .checksumMismatch = error.cause else { Issue.record("expected a checksum mismatch, got \(error.cause)"); return }
        }
    }
}
