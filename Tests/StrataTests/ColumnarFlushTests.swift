import Foundation
import Testing
import StrataCore
import StrataIO
@testable import Strata

/// The columnar flush path (head buckets → ``RowColumns`` → segment writer) against the row path it
/// replaced (``BucketRow`` values, ``Projector/rows(_:_:)``, ``RowMerger`` and the reference encoder):
/// for the same head, every segment a flush writes must be byte-identical.
@Suite("Columnar flush")
struct ColumnarFlushTests {
    static let start: Int64 = 1_763_799_960  // a whole minute

    /// The segments the row path wrote for `baseRows` (the flush code before the columnar path).
    static func referenceSegments(_ baseRows: [BucketRow], projections: [Projection],
                                  rolledUpBefore: (Granularity) -> Int64) -> [(Granularity, [UInt8])] {
        let rows = baseRows + Projector.rows(baseRows, projections)
        var outputs: [(Granularity, [BucketRow])] = [(.minute, rows)]
        for from in [Granularity.minute, .fiveMinutes, .hour] {
            let rolled = rolledUpBefore(from)
            let late = rows.filter { $0.start < rolled }
            guard !late.isEmpty else { continue }
            var merger = RowMerger(rebucketTo: from.coarser!)
            merger.add(contentsOf: late)
            outputs.append((from.coarser!, merger.result()))
        }
        outputs = outputs.flatMap { granularity, rows in
            let width = CompactionPlanner.mergeWindow(granularity)
            let byWindow = Dictionary(grouping: rows) { CompactionPlanner.floor($0.start, width) }
            return byWindow.keys.sorted().map { (granularity, byWindow[$0]!) }
        }
        return outputs.map { ($0.0, ReferenceSegmentWriter.encode($0.1, granularity: $0.0)) }
    }

    static func apply(_ text: String, to head: inout Head) {
        var batch = ParsedBatch()
        LineProtocolParser().parse(Array(text.utf8), defaultTimestamp: 0, into: &batch)
        precondition(batch.errors.isEmpty, "\(batch.errors)")
        let rejected = head.apply(batch, nowSeconds: start + 86_400, walFile: 1)
        precondition(rejected.isEmpty, "\(rejected)")
    }

    /// Three hours of the API workload (4,000 requests), plus a series with 600 values in one
    /// minute (a lossy digest), signed zeros and a non-default field.
    static func firstHeadText() -> String {
        var options = APIWorkload.Options()
        options.startNanoseconds = start * 1_000_000_000
        options.spacingNanoseconds = 3 * 3_600 * 1_000_000_000 / 4_000
        var workload = APIWorkload(options)
        var bytes: [UInt8] = []
        workload.appendLines(4_000, to: &bytes)
        var text = String(decoding: bytes, as: UTF8.self)
        for i in 0..<600 {
            text += "http_request,endpoint=/hot,method=GET,key=key-1,status=200 duration_ms=\(Double(i % 997) * 1.37 + 0.01) \((start + 600 + Int64(i % 60)) * 1_000_000_000)\n"
        }
        text += "http_request,endpoint=/zero,method=GET,key=key-2,status=503 duration_ms=-0.0 \((start + 60) * 1_000_000_000)\n"
        text += "http_request,endpoint=/zero,method=GET,key=key-2,status=503 duration_ms=-0.0,other=1i \((start + 120) * 1_000_000_000)\n"
        text += "http_request,endpoint=/zero,method=GET,key=key-2,status=503 duration_ms=0.0 \((start + 120) * 1_000_000_000)\n"
        text += "cpu,host=a value=0.5 \((start + 60) * 1_000_000_000)\n"
        return text
    }

    /// Late points for minutes the first drain took (so two drained sets hold the same buckets), and
    /// later ones.
    static func secondHeadText() -> String {
        var options = APIWorkload.Options()
        options.startNanoseconds = (start + 1_800) * 1_000_000_000
        options.spacingNanoseconds = 3 * 3_600 * 1_000_000_000 / 1_000
        options.seed = 7
        var workload = APIWorkload(options)
        var bytes: [UInt8] = []
        workload.appendLines(1_000, to: &bytes)
        var text = String(decoding: bytes, as: UTF8.self)
        text += "http_request,endpoint=/zero,method=GET,key=key-2,status=503 duration_ms=-0.0 \((start + 60) * 1_000_000_000)\n"
        for i in 0..<300 {
            text += "http_request,endpoint=/hot,method=GET,key=key-1,status=200 duration_ms=\(Double(i) * 3.1) \((start + 630) * 1_000_000_000)\n"
        }
        return text
    }

    @Test("a flush writes byte-identical segments through the columnar and the row path")
    func flushSegmentsMatchTheRowPath() throws {
        var head = Head(limits: HeadLimits())
        Self.apply(Self.firstHeadText(), to: &head)
        let first = head.drainBuckets(before: Self.start + 7_200)
        Self.apply(Self.secondHeadText(), to: &head)
        let second = head.drainBuckets(before: Int64.max)
        #expect(head.bucketCount == 0)

        // Windows already rolled up, so late rows go to 5m, 1h and 1d deltas too.
        let rolled: [Granularity: Int64] = [.minute: Self.start + 5_400, .fiveMinutes: Self.start + 3_600, .hour: Self.start + 3_600]
        let rolledUpBefore = { (g: Granularity) in rolled[g] ?? Int64.min }
        let projections = Projection.httpRequestDefaults

        let baseRows = first.rows() + second.rows()
        #expect(baseRows.count == first.count + second.count)
        let reference = Self.referenceSegments(baseRows, projections: projections, rolledUpBefore: rolledUpBefore)

        var base = first.columns()
        base.append(second.columns())
        let columnar = Engine.flushSegments(base, projections: projections, rolledUpBefore: rolledUpBefore)
            .map { ($0.granularity, SegmentWriter.encode($0.rows, only: $0.indices, granularity: $0.granularity)) }

        #expect(columnar.map(\.0) == reference.map(\.0))
        #expect(columnar.map(\.0).map(\.name) == ["1m", "1m", "1m", "1m", "5m", "1h", "1d"])
        for (index, (granularity, encoded)) in columnar.enumerated() where index < reference.count {
            #expect(encoded.bytes == reference[index].1, "segment \(index) (\(granularity.name)) differs")
            #expect(encoded.summary.byteCount == reference[index].1.count)
        }

        // Spot checks of exact values: the hot series' minute (two drained sets merged), its projection.
        let reader = try SegmentReader(path: "mem.seg", storage: ByteStorage(copying: columnar[0].1.bytes))
        let hot = try reader.allRows().filter { $0.series.value(of: "endpoint") == "/hot" && $0.start == Self.start + 600 }
        // The base series and its endpoint_method and endpoint_status_class projections, each with the
        // 600 values of the first drain and the 300 of the second (kept small: these tests run in debug
        // builds, and long synchronous tests starve the suite's async server tests on a 2-core machine).
        #expect(hot.map { $0.series.value(of: Projection.tagKey) ?? "base" } == ["base", "endpoint_method", "endpoint_status_class"])
        #expect(hot.map { $0.aggregate("duration_ms")!.count } == [900, 900, 900])
        #expect(hot.map { $0.aggregate("duration_ms")!.max } == Array(repeating: 299 * 3.1, count: 3))
    }

    @Test("encoding bucket rows goes through the columnar writer and matches the row encoder")
    func bucketRowEncodingMatchesTheRowEncoder() throws {
        func aggregate(_ values: [Double]) -> FieldAggregate {
            var a = FieldAggregate()
            for v in values { a.add(v) }
            return a
        }
        let a = SeriesKey(measurement: "m", tags: [Tag(key: "k", value: "a")])
        let b = SeriesKey(measurement: "m", tags: [Tag(key: "k", value: "b"), Tag(key: "z", value: "1")])
        let c = SeriesKey(measurement: "cpu", tags: [])
        let rows = [
            BucketRow(series: b, start: 120, fields: [NamedAggregate(name: "x", aggregate: aggregate([1, 2, 3]))]),
            BucketRow(series: a, start: 60, fields: [NamedAggregate(name: "y", aggregate: aggregate([4])),
                                                     NamedAggregate(name: "empty", aggregate: FieldAggregate())]),
            BucketRow(series: a, start: 60, fields: [NamedAggregate(name: "y", aggregate: aggregate([5, -0.0]))]),
            BucketRow(series: c, start: 0, fields: []),
            BucketRow(series: b, start: 60, fields: [NamedAggregate(name: "é", aggregate: aggregate([7]))]),
        ]
        let encoded = SegmentWriter.encode(rows, granularity: .minute)
        #expect(encoded.bytes == ReferenceSegmentWriter.encode(rows, granularity: .minute))
        #expect(encoded.summary == SegmentWriter.Summary(minStart: 0, maxStart: 120, seriesCount: 3, rowCount: 3, byteCount: encoded.bytes.count))
    }

    @Test("rollups and merges read segment columns and write byte-identical segments to the row path")
    func compactionMatchesTheRowPath() throws {
        var head = Head(limits: HeadLimits())
        Self.apply(Self.firstHeadText(), to: &head)
        let first = head.drainBuckets(before: Self.start + 7_200)
        Self.apply(Self.secondHeadText(), to: &head)
        let second = head.drainBuckets(before: Int64.max)
        // Two flushes' worth of 1m segments (the second overlaps the first: late rows).
        let segments = try [first, second].flatMap { set in
            try Engine.flushSegments(set.columns(), projections: Projection.httpRequestDefaults, rolledUpBefore: { _ in Int64.min })
                .enumerated().map { index, output in
                    let bytes = SegmentWriter.encode(output.rows, only: output.indices, granularity: output.granularity).bytes
                    return try SegmentReader(path: "s\(index).seg", storage: ByteStorage(copying: bytes))
                }
        }
        #expect(segments.count == 7)

        // Rollup of one hour, 1m → 5m.
        let window = (Self.start + 1_800)..<(Self.start + 5_400)
        var merger = RowMerger(rebucketTo: .fiveMinutes)
        var referenceRowsRead = 0
        for segment in segments {
            let rows = try segment.rows(in: window)
            referenceRowsRead += rows.count
            merger.add(contentsOf: rows)
        }
        var columns = RowColumns()
        var rowsRead = 0
        for segment in segments { rowsRead += try columns.append(segment, in: window) }
        #expect(rowsRead == referenceRowsRead)
        #expect(rowsRead == 6_738)
        let rolled = SegmentWriter.encode(columns.merged(rebucketTo: .fiveMinutes), granularity: .fiveMinutes)
        #expect(rolled.bytes == ReferenceSegmentWriter.encode(merger.result(), granularity: .fiveMinutes))
        #expect(rolled.summary.minStart == Self.start + 1_740 && rolled.summary.maxStart == Self.start + 5_340)

        // Merge of every segment, whole.
        var all = RowMerger()
        for segment in segments { all.add(contentsOf: try segment.allRows()) }
        var allColumns = RowColumns()
        for segment in segments { try allColumns.append(segment) }
        #expect(SegmentWriter.encode(allColumns.merged(), granularity: .minute).bytes == ReferenceSegmentWriter.encode(all.result(), granularity: .minute))
    }

    @Test("projection keys built on key bytes equal Projection.key(for:)")
    func projectionKeysMatchTheStringPath() throws {
        let projections = Projection.httpRequestDefaults + [
            // A derived tag named like a kept tag (the derived value wins) and tags listed out of order.
            Projection(name: "odd", measurement: "http_request", tags: ["status", "a", "endpoint"],
                       derived: [DerivedTag(name: "status", source: "status", rule: .statusClass)]),
            Projection(name: "cpu", measurement: "cpu", tags: ["host"]),
        ]
        let keys = [
            SeriesKey(measurement: "http_request", tags: [Tag(key: "endpoint", value: "/a"), Tag(key: "status", value: "503"), Tag(key: "key", value: "k1")]),
            SeriesKey(measurement: "http_request", tags: [Tag(key: "status", value: "20"), Tag(key: "method", value: "GET")]),
            SeriesKey(measurement: "http_request", tags: [Tag(key: "status", value: "2x0")]),
            SeriesKey(measurement: "http_request", tags: []),
            SeriesKey(measurement: "http_request", tags: [Tag(key: Projection.tagKey, value: "total")]),
            SeriesKey(measurement: "http_request", tags: [Tag(key: "endpoint", value: "/é"), Tag(key: "status", value: "404")]),
            SeriesKey(measurement: "cpu", tags: [Tag(key: "host", value: String(repeating: "h", count: 200))]),
            SeriesKey(measurement: "mem", tags: [Tag(key: "host", value: "a")]),
        ]
        let builder = ProjectionKeys(projections)
        for key in keys {
            let expected = projections.map { $0.key(for: key)?.canonicalBytes }
            #expect(builder.keys(for: key.canonicalBytes) == expected, "\(key)")
        }
        let first = builder.keys(for: keys[0].canonicalBytes)
        #expect(try SeriesKey(canonical: first[5]!).description == "http_request,__projection=odd,endpoint=/a,status=5xx")
        #expect(first[6] == nil)
    }
}
