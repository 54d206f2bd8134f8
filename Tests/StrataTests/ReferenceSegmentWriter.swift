import StrataCore
import StrataIO
@testable import Strata

/// The segment encoder as it was before the columnar flush path (`BucketRow` values throughout),
/// kept verbatim as the reference the columnar writer must match byte for byte.
enum ReferenceSegmentWriter {
    /// Encodes `rows` (at least one) as a segment of `granularity`.
    static func encode(_ rows: [BucketRow], granularity: Granularity) -> [UInt8] {
        precondition(!rows.isEmpty, "a segment holds at least one row")
        // Merge duplicate (series, start) rows, group by series in key order.
        var merger = RowMerger()
        merger.add(contentsOf: rows)
        let grouped = merger.grouped()
        var fieldNameSet = Set<String>()
        for row in rows { for field in row.fields { fieldNameSet.insert(field.name) } }
        let fieldNames = fieldNameSet.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        let fieldIndex = Dictionary(uniqueKeysWithValues: fieldNames.enumerated().map { ($1, UInt32($0)) })

        // Flatten into (series, start, field) rows.
        var flat = ReferenceFlatRows()
        var seriesEntries: [(key: [UInt8], firstRow: Int, rowCount: Int, minStart: Int64, maxStart: Int64)] = []
        for (seriesID, (key, buckets)) in grouped.enumerated() {
            let canonical = key.canonicalBytes
            let first = flat.count
            for bucket in buckets {
                let ordered = bucket.fields.sorted { fieldIndex[$0.name]! < fieldIndex[$1.name]! }
                for field in ordered where field.aggregate.count > 0 {
                    flat.append(series: UInt32(seriesID), start: bucket.start, field: fieldIndex[field.name]!, field.aggregate)
                }
            }
            seriesEntries.append((canonical, first, flat.count - first, buckets.first!.start, buckets.last!.start))
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
            let starts = flat.starts[rowStart..<rowEnd]
            groups.append((rowStart, rowEnd - rowStart, starts.min()!, starts.max()!, blocks))
            rowStart = rowEnd
        }

        // Sections.
        let fieldsOffset = writer.count
        writeSection(&writer) { section in
            section.writeUInt32(UInt32(fieldNames.count))
            for name in fieldNames { section.writeLengthPrefixed(Array(name.utf8)) }
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
                arena += entry.key
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
        writeSection(&writer) { section in encodePostings(grouped.map(\.key), into: &section) }
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
        return writer.bytes
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
    /// each with a delta-encoded ascending list of series ids.
    private static func encodePostings(_ keys: [SeriesKey], into section: inout ByteWriter) {
        var lists: [ReferencePostingKey: [UInt32]] = [:]
        for (id, key) in keys.enumerated() {
            lists[ReferencePostingKey(key: [], value: Array(key.measurement.utf8)), default: []].append(UInt32(id))
            for tag in key.tags {
                lists[ReferencePostingKey(key: Array(tag.key.utf8), value: Array(tag.value.utf8)), default: []].append(UInt32(id))
            }
        }
        let sorted = lists.keys.sorted()
        var idArea = ByteWriter(capacity: 4096)
        var arena: [UInt8] = []
        section.writeUInt32(UInt32(sorted.count))
        for postingKey in sorted {
            let ids = lists[postingKey]!
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
}

/// A postings key: tag key (empty for the measurement) and value, ordered bytewise.
struct ReferencePostingKey: Hashable, Comparable {
    var key: [UInt8]
    var value: [UInt8]

    static func < (lhs: ReferencePostingKey, rhs: ReferencePostingKey) -> Bool {
        if lhs.key != rhs.key { return lhs.key.lexicographicallyPrecedes(rhs.key) }
        return lhs.value.lexicographicallyPrecedes(rhs.value)
    }
}

/// Rows flattened into columns while encoding.
private struct ReferenceFlatRows {
    var series: [UInt32] = []
    var starts: [Int64] = []
    var fields: [UInt32] = []
    var aggregates: [FieldAggregate] = []

    var count: Int { series.count }

    mutating func append(series id: UInt32, start: Int64, field: UInt32, _ aggregate: FieldAggregate) {
        series.append(id)
        starts.append(start)
        fields.append(field)
        aggregates.append(aggregate)
    }

    func encodeColumn(_ column: SegmentLayout.Column, rows: Range<Int>) -> [UInt8] {
        var writer = ByteWriter(capacity: rows.count * 8)
        switch column {
        case .series:
            var previous: UInt32 = 0
            for i in rows {
                writer.writeUVarint(UInt64(series[i] - (i == rows.lowerBound ? 0 : previous)))
                previous = series[i]
            }
        case .start:
            var previous: Int64 = 0
            for i in rows {
                writer.writeVarint(starts[i] &- previous)
                previous = starts[i]
            }
        case .field:
            for i in rows { writer.writeUVarint(UInt64(fields[i])) }
        case .count:
            for i in rows { writer.writeUVarint(aggregates[i].count) }
        case .sum:
            for i in rows { DecimalValue.write(aggregates[i].sum, to: &writer) }
        case .min:
            for i in rows where aggregates[i].count > 1 { DecimalValue.write(aggregates[i].min, to: &writer) }
        case .max:
            for i in rows where aggregates[i].count > 1 { DecimalValue.write(aggregates[i].max, to: &writer) }
        case .digest:
            for i in rows where aggregates[i].count > 1 { aggregates[i].digest.encodeBody(into: &writer) }
        }
        return writer.bytes
    }
}
