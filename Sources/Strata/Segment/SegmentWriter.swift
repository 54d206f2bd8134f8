import StrataCore
import StrataIO

/// Encodes bucket rows of one granularity into segment-file bytes, and publishes them crash-safely.
///
/// Spec: `Formats/segment.md`. Rows of the same (series, bucket) are merged; rows are stored sorted by
/// series key, then bucket start, then field name.
enum SegmentWriter {
    /// What an encoded segment holds, for the manifest and logs.
    struct Summary: Sendable, Equatable {
        var minStart: Int64
        var maxStart: Int64
        var seriesCount: Int
        var rowCount: Int
        var byteCount: Int
    }

    /// Encodes `rows` (at least one) as a segment of `granularity`.
    static func encode(_ rows: [BucketRow], granularity: Granularity) -> (bytes: [UInt8], summary: Summary) {
        precondition(!rows.isEmpty, "a segment holds at least one row")
        return encode(RowColumns(rows).merged(), granularity: granularity)
    }

    /// Encodes field rows (at least one) in segment order, as ``RowColumns/merged(rebucketTo:)`` leaves
    /// them, as a segment of `granularity`; with `indices`, only those rows (ascending, as
    /// ``RowColumns/windows(_:)`` gives them). Rows counting no value are left out (their series and
    /// field names are still listed).
    static func encode(_ rows: RowColumns, only indices: [Int32]? = nil, granularity: Granularity) -> (bytes: [UInt8], summary: Summary) {
        let n = indices?.count ?? rows.count
        precondition(n > 0, "a segment holds at least one row")
        assert(rows.isCanonical, "rows not in segment order")
        @inline(__always) func row(_ k: Int) -> Int { indices.map { Int($0[k]) } ?? k }
        // Dense segment ids: series and fields in the order of their (ascending) ids among the rows.
        var fieldID = [UInt32](repeating: UInt32.max, count: rows.fieldNames.count)
        for k in 0..<n where rows.fields[row(k)] != RowColumns.noField { fieldID[Int(rows.fields[row(k)])] = 0 }
        var fieldNames: [[UInt8]] = []
        for id in fieldID.indices where fieldID[id] == 0 {
            fieldID[id] = UInt32(fieldNames.count)
            fieldNames.append(rows.fieldNames[id])
        }
        var flat = FlatRows(rows)
        var seriesEntries: [(id: UInt32, firstRow: Int, rowCount: Int, minStart: Int64, maxStart: Int64)] = []
        var k = 0
        while k < n {
            let series = rows.series[row(k)]
            let first = flat.count
            let minStart = rows.starts[row(k)]
            var maxStart = minStart
            while k < n && rows.series[row(k)] == series {
                let i = row(k)
                maxStart = rows.starts[i]
                if rows.fields[i] != RowColumns.noField && rows.counts[i] > 0 {
                    flat.append(row: i, series: UInt32(seriesEntries.count), field: fieldID[Int(rows.fields[i])])
                }
                k += 1
            }
            seriesEntries.append((series, first, flat.count - first, minStart, maxStart))
        }

        var writer = ByteWriter(capacity: 1 << 16)
        let minStart = seriesEntries.map(\.minStart).min()!
        let maxStart = seriesEntries.map(\.maxStart).max()!
        writeHeader(&writer, granularity: granularity, minStart: minStart, maxStart: maxStart)

        // Column blocks, row group by row group.
        var groups: [(firstRow: Int, rowCount: Int, minStart: Int64, maxStart: Int64, blocks: [(offset: UInt64, length: UInt32)])] = []
        var rowStart = 0
        while rowStart < flat.count {
            let rowEnd = min(rowStart + SegmentLayout.rowsPerGroup, flat.count)
            var blocks: [(offset: UInt64, length: UInt32)] = []
            for column in SegmentLayout.Column.allCases {
                let raw = flat.encodeColumn(column, rows: rowStart..<rowEnd)
                let offset = writer.count
                writeColumnBlock(&writer, raw)
                blocks.append((UInt64(offset), UInt32(writer.count - offset)))
            }
            var groupMin = Int64.max, groupMax = Int64.min
            for k in rowStart..<rowEnd {
                let start = rows.starts[Int(flat.rows[k])]
                groupMin = min(groupMin, start)
                groupMax = max(groupMax, start)
            }
            groups.append((rowStart, rowEnd - rowStart, groupMin, groupMax, blocks))
            rowStart = rowEnd
        }

        // Sections.
        let fieldsOffset = writer.count
        writeSection(&writer) { section in
            section.writeUInt32(UInt32(fieldNames.count))
            for name in fieldNames { section.writeLengthPrefixed(name) }
        }
        let seriesOffset = writer.count
        writeSection(&writer) { section in
            // count, then count + 1 fixed entries (the last a sentinel), then the LZ4-compressed key arena.
            section.writeUInt32(UInt32(seriesEntries.count))
            var arena: [UInt8] = []
            for entry in seriesEntries {
                section.writeUInt32(UInt32(arena.count))
                section.writeUInt32(UInt32(entry.firstRow))
                section.writeUInt32(UInt32(entry.minStart - minStart))
                section.writeUInt32(UInt32(entry.maxStart - minStart))
                rows.withKey(entry.id) { arena.append(contentsOf: $0) }
            }
            section.writeUInt32(UInt32(arena.count))
            section.writeUInt32(UInt32(flat.count))
            section.writeUInt32(0)
            section.writeUInt32(0)
            let compressed = LZ4.compress(arena)
            let useLZ4 = !arena.isEmpty && compressed.count < arena.count
            section.writeUInt8(useLZ4 ? SegmentLayout.codecLZ4 : SegmentLayout.codecNone)
            section.writeUInt32(UInt32(arena.count))
            section.writeUInt32(UInt32(useLZ4 ? compressed.count : arena.count))
            section.writeBytes(useLZ4 ? compressed : arena)
        }
        let postingsOffset = writer.count
        writeSection(&writer) { section in encodePostings(rows, seriesEntries.map(\.id), into: &section) }
        let rowGroupsOffset = writer.count
        writeSection(&writer) { section in
            section.writeUInt32(UInt32(groups.count))
            for group in groups {
                section.writeUInt32(UInt32(group.firstRow))
                section.writeUInt32(UInt32(group.rowCount))
                section.writeInt64(group.minStart)
                section.writeInt64(group.maxStart)
                for block in group.blocks {
                    section.writeUInt64(block.offset)
                    section.writeUInt32(block.length)
                }
            }
        }

        // Footer.
        let footerStart = writer.count
        writer.writeUInt64(UInt64(fieldsOffset))
        writer.writeUInt64(UInt64(seriesOffset))
        writer.writeUInt64(UInt64(postingsOffset))
        writer.writeUInt64(UInt64(rowGroupsOffset))
        writer.writeUInt32(UInt32(seriesEntries.count))
        writer.writeUInt32(UInt32(groups.count))
        writer.writeUInt32(UInt32(fieldNames.count))
        writer.writeUInt32(0)
        writer.writeUInt64(UInt64(flat.count))
        writer.writeChecksum(from: footerStart)
        writer.writeUInt32(SegmentLayout.magic)
        let summary = Summary(minStart: minStart, maxStart: maxStart, seriesCount: seriesEntries.count,
                              rowCount: flat.count, byteCount: writer.count)
        return (writer.bytes, summary)
    }

    /// Writes `bytes` to `path` crash-safely: `path.tmp`, fsync, rename, fsync the directory.
    static func publish(_ bytes: [UInt8], to path: String) throws(IOError) {
        try FileSystem.writeAtomically(bytes, to: path)
    }

    private static func writeHeader(_ writer: inout ByteWriter, granularity: Granularity, minStart: Int64, maxStart: Int64) {
        writer.writeUInt32(SegmentLayout.magic)
        writer.writeUInt8(SegmentLayout.version)
        writer.writeUInt8(granularity.rawValue)
        writer.writeUInt16(0)
        writer.writeInt64(minStart)
        writer.writeInt64(maxStart)
        writer.writeUInt32(0)
        writer.writeChecksum(from: 0)
    }

    /// `codec <1b> | rawLength <4b> | storedLength <4b> | stored | crc32c <4b>`; LZ4 when it saves bytes.
    private static func writeColumnBlock(_ writer: inout ByteWriter, _ raw: [UInt8]) {
        let compressed = LZ4.compress(raw)
        let useLZ4 = !raw.isEmpty && compressed.count < raw.count
        let start = writer.count
        writer.writeUInt8(useLZ4 ? SegmentLayout.codecLZ4 : SegmentLayout.codecNone)
        writer.writeUInt32(UInt32(raw.count))
        let stored = useLZ4 ? compressed : raw
        writer.writeUInt32(UInt32(stored.count))
        writer.writeBytes(stored)
        writer.writeChecksum(from: start)
    }

    /// `len <4b> | payload | crc32c <4b>` with the CRC over the payload.
    private static func writeSection(_ writer: inout ByteWriter, _ body: (inout ByteWriter) -> Void) {
        var section = ByteWriter(capacity: 4096)
        body(&section)
        writer.writeUInt32(UInt32(section.count))
        let start = writer.count
        writer.writeBytes(section.bytes)
        writer.writeChecksum(from: start)
    }

    /// Postings: one entry per measurement (empty key) and per tag key=value, sorted by key then value,
    /// each with a delta-encoded ascending list of series ids. `seriesIDs[i]` is the row id of segment
    /// series `i`. Distinct measurements and tag pairs are interned by their bytes in the key arena, so
    /// nothing is allocated per series.
    private static func encodePostings(_ rows: RowColumns, _ seriesIDs: [UInt32], into section: inout ByteWriter) {
        var measurements = ByteKeyTable(capacity: 16)
        var pairs = ByteKeyTable(capacity: 1024)
        // Posting list of each interned measurement / pair.
        var measurementLists: [[UInt32]] = []
        var pairLists: [[UInt32]] = []
        rows.keyArena.withUnsafeBytes { arena in
            for (segmentID, id) in seriesIDs.enumerated() {
                let start = rows.keyOffsets[Int(id)], end = rows.keyOffsets[Int(id) + 1]
                var position = start
                // Canonical key: measurement, then key/value pairs, each UVarint length-prefixed.
                let measurementLength = readUVarint(arena, &position)
                let measurement = position..<(position + measurementLength)
                position += measurementLength
                let m = measurements.insert(rows.keyArena, range: measurement)
                if m.inserted { measurementLists.append([]) }
                measurementLists[Int(m.id)].append(UInt32(segmentID))
                while position < end {
                    let pairStart = position
                    position += readUVarint(arena, &position)
                    position += readUVarint(arena, &position)
                    let p = pairs.insert(rows.keyArena, range: pairStart..<position)
                    if p.inserted { pairLists.append([]) }
                    pairLists[Int(p.id)].append(UInt32(segmentID))
                }
            }
        }
        var lists: [(key: PostingKey, ids: [UInt32])] = []
        for id in 0..<measurements.count {
            lists.append((PostingKey(key: [], value: measurements.key(UInt32(id))), measurementLists[id]))
        }
        for id in 0..<pairs.count {
            let bytes = pairs.key(UInt32(id))
            let (key, value) = bytes.withUnsafeBytes { raw -> ([UInt8], [UInt8]) in
                var position = 0
                let keyLength = readUVarint(raw, &position)
                let key = Array(raw[position..<(position + keyLength)])
                position += keyLength
                let valueLength = readUVarint(raw, &position)
                return (key, Array(raw[position..<(position + valueLength)]))
            }
            lists.append((PostingKey(key: key, value: value), pairLists[id]))
        }
        lists.sort { $0.key < $1.key }
        var idArea = ByteWriter(capacity: 4096)
        var arena: [UInt8] = []
        section.writeUInt32(UInt32(lists.count))
        for (postingKey, ids) in lists {
            section.writeUInt32(UInt32(arena.count))
            section.writeUInt32(UInt32(postingKey.key.count))
            arena += postingKey.key
            section.writeUInt32(UInt32(arena.count))
            section.writeUInt32(UInt32(postingKey.value.count))
            arena += postingKey.value
            section.writeUInt32(UInt32(idArea.count))
            section.writeUInt32(UInt32(ids.count))
            var previous: UInt32 = 0
            for (i, id) in ids.enumerated() {
                idArea.writeUVarint(UInt64(i == 0 ? id : id - previous))
                previous = id
            }
        }
        section.writeUInt32(UInt32(idArea.count))
        section.writeBytes(idArea.bytes)
        section.writeBytes(arena)
    }

    /// Reads a UVarint at `position` of a canonical key (keys come from the head, segments or
    /// ``SeriesKey``, so they are well formed) and moves past it.
    @inline(__always)
    private static func readUVarint(_ bytes: UnsafeRawBufferPointer, _ position: inout Int) -> Int {
        var value = 0
        var shift = 0
        while true {
            let byte = bytes[position]
            position += 1
            value |= Int(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
    }
}

/// A postings key: tag key (empty for the measurement) and value, ordered bytewise.
struct PostingKey: Hashable, Comparable {
    var key: [UInt8]
    var value: [UInt8]

    static func < (lhs: PostingKey, rhs: PostingKey) -> Bool {
        if lhs.key != rhs.key { return lhs.key.lexicographicallyPrecedes(rhs.key) }
        return lhs.value.lexicographicallyPrecedes(rhs.value)
    }
}

/// The stored rows of a segment being encoded: indices into its ``RowColumns`` (rows counting no
/// value are left out) with their segment series and field ids.
private struct FlatRows {
    let source: RowColumns
    var rows: [Int32] = []
    var series: [UInt32] = []
    var fields: [UInt32] = []

    init(_ source: RowColumns) {
        self.source = source
        rows.reserveCapacity(source.count)
        series.reserveCapacity(source.count)
        fields.reserveCapacity(source.count)
    }

    var count: Int { rows.count }

    mutating func append(row: Int, series id: UInt32, field: UInt32) {
        rows.append(Int32(row))
        series.append(id)
        fields.append(field)
    }

    func encodeColumn(_ column: SegmentLayout.Column, rows range: Range<Int>) -> [UInt8] {
        var writer = ByteWriter(capacity: range.count * 8)
        switch column {
        case .series:
            var previous: UInt32 = 0
            for i in range {
                writer.writeUVarint(UInt64(series[i] - (i == range.lowerBound ? 0 : previous)))
                previous = series[i]
            }
        case .start:
            var previous: Int64 = 0
            for i in range {
                let start = source.starts[Int(rows[i])]
                writer.writeVarint(start &- previous)
                previous = start
            }
        case .field:
            for i in range { writer.writeUVarint(UInt64(fields[i])) }
        case .count:
            for i in range { writer.writeUVarint(source.counts[Int(rows[i])]) }
        case .sum:
            for i in range { DecimalValue.write(source.sums[Int(rows[i])], to: &writer) }
        case .min:
            for i in range where source.counts[Int(rows[i])] > 1 { DecimalValue.write(source.mins[Int(rows[i])], to: &writer) }
        case .max:
            for i in range where source.counts[Int(rows[i])] > 1 { DecimalValue.write(source.maxes[Int(rows[i])], to: &writer) }
        case .digest:
            for i in range where source.counts[Int(rows[i])] > 1 { source.digest(at: Int(rows[i])).encodeBody(into: &writer) }
        }
        return writer.bytes
    }
}
