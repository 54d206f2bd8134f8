import Synchronization
import StrataCore
import StrataIO

/// A read-only, memory-mapped segment file.
///
/// Opening maps the file and validates only the header and footer (constant work, whatever the
/// segment's size). Each index section is checksum-verified the first time it is used; column blocks
/// are verified every time they are decoded. Every failure is a ``CorruptionError`` naming the file and
/// the block. Spec: `Formats/segment.md`.
public final class SegmentReader: Sendable {
    /// The file's path.
    public let path: String
    /// The granularity of the rows.
    public let granularity: Granularity
    /// First and last bucket start (Unix seconds).
    public let minStart: Int64
    public let maxStart: Int64
    /// Number of series, rows (series × bucket × field) and row groups.
    public let seriesCount: Int
    public let rowCount: Int
    public let rowGroupCount: Int
    /// The file size in bytes.
    public var byteCount: Int { storage.count }

    let storage: ByteStorage
    private let sections: [Range<Int>]  // payload ranges: fields, series, postings, row groups
    private let verified = Atomic<UInt8>(0)
    private let keyArenaCache = Mutex<ByteStorage?>(nil)
    private let postingCache = Mutex<(entries: [PostingEntry], idArea: ByteReader)?>(nil)
    private let fieldNameCache = Mutex<[String]?>(nil)
    private let rowGroupCache = Mutex<[RowGroupEntry]?>(nil)
    let fieldCount: Int
    /// This reader's key in ``ColumnCache`` (unique for the life of the process).
    let cacheID = SegmentReader.nextCacheID.add(1, ordering: .relaxed).newValue
    private static let nextCacheID = Atomic<UInt64>(0)

    enum Section: Int, CaseIterable, CustomStringConvertible {
        case fields, series, postings, rowGroups
        var description: String {
            switch self {
            case .fields: "fields section"
            case .series: "series section"
            case .postings: "postings section"
            case .rowGroups: "row groups section"
            }
        }
    }

    /// Maps and validates the segment at `path`.
    public convenience init(path: String) throws {
        let file = try File.openForReading(path)
        try self.init(path: path, storage: file.map())
    }

    /// Validates a segment held in `storage` (the header and footer only).
    init(path: String, storage: ByteStorage) throws(CorruptionError) {
        self.path = path
        self.storage = storage
        func fail(_ location: String, _ cause: FormatError) -> CorruptionError {
            CorruptionError(file: path, location: location, cause: cause)
        }
        guard storage.count >= SegmentLayout.headerLength + SegmentLayout.footerLength else {
            throw fail("file", .truncated(offset: 0, needed: SegmentLayout.headerLength + SegmentLayout.footerLength, available: storage.count))
        }
        var header = storage.reader(0..<SegmentLayout.headerLength)
        do throws(FormatError) {
            let magic = try header.readUInt32()
            guard magic == SegmentLayout.magic else { throw .badMagic(offset: 0, found: UInt64(magic), expected: UInt64(SegmentLayout.magic)) }
            let version = try header.readUInt8()
            guard version == SegmentLayout.version else { throw .unsupportedVersion(offset: 4, found: version, supported: SegmentLayout.version) }
            let granularityByte = try header.readUInt8()
            guard let granularity = Granularity(rawValue: granularityByte) else {
                throw .invalidValue(offset: 5, reason: "unknown granularity \(granularityByte)")
            }
            try header.skip(2)
            minStart = try header.readInt64()
            maxStart = try header.readInt64()
            try header.skip(4)
            try header.verifyChecksum(of: 0..<28)
            self.granularity = granularity
        } catch {
            throw fail("header", error)
        }
        let footerStart = storage.count - SegmentLayout.footerLength
        var footer = storage.reader(footerStart..<storage.count)
        do throws(FormatError) {
            var offsets: [Int] = []
            for _ in 0..<4 { offsets.append(Int(truncatingIfNeeded: try footer.readUInt64())) }
            seriesCount = Int(try footer.readUInt32())
            rowGroupCount = Int(try footer.readUInt32())
            fieldCount = Int(try footer.readUInt32())
            try footer.skip(4)
            rowCount = Int(truncatingIfNeeded: try footer.readUInt64())
            try footer.verifyChecksum(of: footerStart..<(footerStart + 56))
            let magic = try footer.readUInt32()
            guard magic == SegmentLayout.magic else {
                throw .badMagic(offset: footerStart + 60, found: UInt64(magic), expected: UInt64(SegmentLayout.magic))
            }
            var ranges: [Range<Int>] = []
            for offset in offsets {
                guard offset >= SegmentLayout.headerLength, offset + 8 <= footerStart else {
                    throw .invalidValue(offset: footerStart, reason: "section offset \(offset) outside the file")
                }
                var lengthReader = storage.reader(offset..<(offset + 4))
                let length = Int(try lengthReader.readUInt32())
                guard offset + 4 + length + 4 <= footerStart else {
                    throw .invalidValue(offset: offset, reason: "section of \(length) bytes runs past the footer")
                }
                ranges.append((offset + 4)..<(offset + 4 + length))
            }
            sections = ranges
        } catch {
            throw fail("footer", error)
        }
    }

    /// A reader over a section's payload, verifying its CRC on first use.
    func section(_ section: Section) throws(CorruptionError) -> ByteReader {
        let range = sections[section.rawValue]
        let bit = UInt8(1) << UInt8(section.rawValue)
        if verified.load(ordering: .acquiring) & bit == 0 {
            var crcReader = storage.reader(range.upperBound..<(range.upperBound + 4))
            do throws(FormatError) {
                try crcReader.verifyChecksum(of: range)
            } catch {
                throw CorruptionError(file: path, location: section.description, cause: error)
            }
            verified.bitwiseOr(bit, ordering: .releasing)
        }
        return storage.reader(range)
    }

    private func corruption(_ location: String, _ cause: FormatError) -> CorruptionError {
        CorruptionError(file: path, location: location, cause: cause)
    }

    // MARK: - Fields

    /// The field names, in field-id order.
    public func fieldNames() throws(CorruptionError) -> [String] {
        if let cached = fieldNameCache.withLock({ $0 }) { return cached }
        let names = try decodeFieldNames()
        fieldNameCache.withLock { $0 = names }
        return names
    }

    private func decodeFieldNames() throws(CorruptionError) -> [String] {
        var reader = try section(.fields)
        do throws(FormatError) {
            let count = Int(try reader.readUInt32())
            var names: [String] = []
            for _ in 0..<count { names.append(try reader.readString(try reader.readLength(limit: reader.remaining))) }
            return names
        } catch {
            throw corruption("fields section", error)
        }
    }

    // MARK: - Series

    /// One series-section entry.
    public struct SeriesEntry: Sendable, Equatable {
        public var firstRow: Int
        public var rowCount: Int
        public var minStart: Int64
        public var maxStart: Int64
    }

    /// The key of series `id` (0 ..< seriesCount).
    public func seriesKey(_ id: Int) throws(CorruptionError) -> SeriesKey {
        var keyReader = try seriesKeyReader(id)
        do throws(FormatError) {
            return try SeriesKey(canonical: &keyReader)
        } catch {
            throw corruption("series section, series \(id)", error)
        }
    }

    /// The canonical key bytes of series `id` (``SeriesKey/canonicalBytes``), without parsing them:
    /// equal to another segment's bytes exactly when the keys are equal.
    func seriesKeyBytes(_ id: Int) throws(CorruptionError) -> [UInt8] {
        let reader = try seriesKeyReader(id)
        return reader.remainingBytes
    }

    /// A reader over series `id`'s canonical key in the key arena.
    private func seriesKeyReader(_ id: Int) throws(CorruptionError) -> ByteReader {
        var reader = try section(.series)
        let arena = try keyArena()
        do throws(FormatError) {
            let (entry, next) = try seriesEntryPair(&reader, id)
            var e = entry, n = next
            let keyOffset = Int(try e.readUInt32())
            let keyEnd = Int(try n.readUInt32())
            guard keyOffset <= keyEnd, keyEnd <= arena.count else {
                throw .invalidValue(offset: entry.offset, reason: "series key \(keyOffset)..<\(keyEnd) outside the key arena of \(arena.count) bytes")
            }
            return arena.reader(keyOffset..<keyEnd)
        } catch {
            throw corruption("series section, series \(id)", error)
        }
    }

    /// The row range and time range of series `id`.
    public func seriesEntry(_ id: Int) throws(CorruptionError) -> SeriesEntry {
        var reader = try section(.series)
        do throws(FormatError) {
            var (e, n) = try seriesEntryPair(&reader, id)
            try e.skip(4)
            try n.skip(4)
            let firstRow = Int(try e.readUInt32())
            let nextRow = Int(try n.readUInt32())
            guard firstRow <= nextRow, nextRow <= rowCount else {
                throw .invalidValue(offset: e.offset, reason: "series rows \(firstRow)..<\(nextRow) outside \(rowCount) rows")
            }
            return SeriesEntry(firstRow: firstRow, rowCount: nextRow - firstRow,
                               minStart: minStart + Int64(try e.readUInt32()), maxStart: minStart + Int64(try e.readUInt32()))
        } catch {
            throw corruption("series section, series \(id)", error)
        }
    }

    /// Readers over entry `id` and entry `id + 1` (the next one, or the sentinel).
    private func seriesEntryPair(_ section: inout ByteReader, _ id: Int) throws(FormatError) -> (ByteReader, ByteReader) {
        guard id >= 0 && id < seriesCount else { throw .invalidValue(offset: section.offset, reason: "series id \(id) out of range") }
        let start = section.offset + 4 + id * SegmentLayout.seriesEntryLength
        let length = SegmentLayout.seriesEntryLength
        return (try section.reader(at: start..<(start + length)), try section.reader(at: (start + length)..<(start + 2 * length)))
    }

    /// The decompressed series key arena, decoded on first use and kept.
    private func keyArena() throws(CorruptionError) -> ByteStorage {
        if let cached = keyArenaCache.withLock({ $0 }) { return cached }
        var reader = try section(.series)
        do throws(FormatError) {
            try reader.skip(4 + (seriesCount + 1) * SegmentLayout.seriesEntryLength)
            let codec = try reader.readUInt8()
            let rawLength = Int(try reader.readUInt32())
            let storedLength = Int(try reader.readUInt32())
            guard storedLength == reader.remaining else {
                throw .invalidValue(offset: reader.offset, reason: "key arena of \(storedLength) bytes in \(reader.remaining)")
            }
            let stored = try reader.readSlice(storedLength)
            let bytes: [UInt8]
            switch codec {
            case SegmentLayout.codecNone:
                guard rawLength == storedLength else { throw .invalidValue(offset: reader.offset, reason: "raw length differs from stored length") }
                var copy = stored
                bytes = try copy.readBytes(storedLength)
            case SegmentLayout.codecLZ4:
                bytes = try LZ4.decompress(stored, originalSize: rawLength)
            default:
                throw .invalidValue(offset: reader.offset, reason: "unknown codec \(codec)")
            }
            let storage = ByteStorage(copying: bytes)
            keyArenaCache.withLock { $0 = storage }
            return storage
        } catch {
            throw corruption("series section, key arena", error)
        }
    }

    /// Every series key, in id order.
    public func allSeriesKeys() throws(CorruptionError) -> [SeriesKey] {
        var keys: [SeriesKey] = []
        keys.reserveCapacity(seriesCount)
        for id in 0..<seriesCount { keys.append(try seriesKey(id)) }
        return keys
    }

    // MARK: - Postings

    /// One postings entry: tag key (empty for the measurement), value, and the list location.
    struct PostingEntry: Sendable {
        var key: [UInt8]
        var value: [UInt8]
        var listOffset: Int
        var listCount: Int
    }

    /// Every postings entry, in (key, value) order.
    func postingEntries() throws(CorruptionError) -> (entries: [PostingEntry], idArea: ByteReader) {
        if let cached = postingCache.withLock({ $0 }) { return cached }
        let decoded = try decodePostingEntries()
        postingCache.withLock { $0 = decoded }
        return decoded
    }

    /// Decodes the postings entries (cached by ``postingEntries()``: the segment never changes).
    private func decodePostingEntries() throws(CorruptionError) -> (entries: [PostingEntry], idArea: ByteReader) {
        var reader = try section(.postings)
        do throws(FormatError) {
            let count = Int(try reader.readUInt32())
            let entriesStart = reader.offset
            try reader.skip(count * SegmentLayout.postingEntryLength)
            let idAreaLength = Int(try reader.readUInt32())
            let idArea = try reader.readSlice(idAreaLength)
            let arenaStart = reader.offset
            var entryReader = try reader.reader(at: entriesStart..<(entriesStart + count * SegmentLayout.postingEntryLength))
            var entries: [PostingEntry] = []
            entries.reserveCapacity(count)
            for _ in 0..<count {
                let keyOffset = Int(try entryReader.readUInt32()), keyLength = Int(try entryReader.readUInt32())
                let valueOffset = Int(try entryReader.readUInt32()), valueLength = Int(try entryReader.readUInt32())
                let listOffset = Int(try entryReader.readUInt32()), listCount = Int(try entryReader.readUInt32())
                var key = try reader.reader(at: (arenaStart + keyOffset)..<(arenaStart + keyOffset + keyLength))
                var value = try reader.reader(at: (arenaStart + valueOffset)..<(arenaStart + valueOffset + valueLength))
                entries.append(PostingEntry(key: try key.readBytes(keyLength), value: try value.readBytes(valueLength),
                                            listOffset: listOffset, listCount: listCount))
            }
            return (entries, idArea)
        } catch {
            throw corruption("postings section", error)
        }
    }

    /// The ascending ids of the series whose tag `key` equals `value` (`key` empty: whose measurement is `value`).
    public func postings(key: String, value: String) throws(CorruptionError) -> [UInt32] {
        let (entries, idArea) = try postingEntries()
        let target = PostingKey(key: Array(key.utf8), value: Array(value.utf8))
        var low = 0, high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if PostingKey(key: entries[mid].key, value: entries[mid].value) < target { low = mid + 1 } else { high = mid }
        }
        guard low < entries.count, entries[low].key == target.key, entries[low].value == target.value else { return [] }
        return try decodeList(entries[low], idArea)
    }

    /// Every (tag key, value) → ids pair; measurements have the empty key.
    public func allPostings() throws(CorruptionError) -> [(key: String, value: String, ids: [UInt32])] {
        let (entries, idArea) = try postingEntries()
        var result: [(key: String, value: String, ids: [UInt32])] = []
        for entry in entries {
            result.append((String(decoding: entry.key, as: UTF8.self), String(decoding: entry.value, as: UTF8.self), try decodeList(entry, idArea)))
        }
        return result
    }

    /// The ascending series ids of one postings entry (delta-decoded, each checked against the series count).
    func decodeList(_ entry: PostingEntry, _ idArea: ByteReader) throws(CorruptionError) -> [UInt32] {
        do throws(FormatError) {
            var reader = try idArea.reader(at: (idArea.offset + entry.listOffset)..<idArea.end)
            var ids: [UInt32] = []
            ids.reserveCapacity(entry.listCount)
            var previous: UInt64 = 0
            for i in 0..<entry.listCount {
                let delta = try reader.readUVarint()
                let id = i == 0 ? delta : previous + delta
                guard id < UInt64(seriesCount) else { throw .invalidValue(offset: reader.offset, reason: "series id \(id) out of range") }
                ids.append(UInt32(id))
                previous = id
            }
            return ids
        } catch {
            throw corruption("postings section", error)
        }
    }

    // MARK: - Row groups

    /// Where a row group's rows and column blocks are.
    public struct RowGroupEntry: Sendable, Equatable {
        public var firstRow: Int
        public var rowCount: Int
        public var minStart: Int64
        public var maxStart: Int64
        /// (absolute offset, length) of each column block, in column order.
        var blocks: [(offset: Int, length: Int)]

        public static func == (a: RowGroupEntry, b: RowGroupEntry) -> Bool {
            a.firstRow == b.firstRow && a.rowCount == b.rowCount && a.minStart == b.minStart && a.maxStart == b.maxStart
                && a.blocks.map(\.offset) == b.blocks.map(\.offset) && a.blocks.map(\.length) == b.blocks.map(\.length)
        }
    }

    /// Every row group's entry, in order (decoded on first use and kept).
    public func rowGroupEntries() throws(CorruptionError) -> [RowGroupEntry] {
        if let cached = rowGroupCache.withLock({ $0 }) { return cached }
        var entries: [RowGroupEntry] = []
        entries.reserveCapacity(rowGroupCount)
        for index in 0..<rowGroupCount { entries.append(try rowGroup(index)) }
        rowGroupCache.withLock { $0 = entries }
        return entries
    }

    /// Row group `index`'s entry.
    public func rowGroup(_ index: Int) throws(CorruptionError) -> RowGroupEntry {
        let reader = try section(.rowGroups)
        do throws(FormatError) {
            guard index >= 0 && index < rowGroupCount else { throw .invalidValue(offset: reader.offset, reason: "row group \(index) out of range") }
            let start = reader.offset + 4 + index * SegmentLayout.rowGroupEntryLength
            var e = try reader.reader(at: start..<(start + SegmentLayout.rowGroupEntryLength))
            var entry = RowGroupEntry(firstRow: Int(try e.readUInt32()), rowCount: Int(try e.readUInt32()),
                                      minStart: try e.readInt64(), maxStart: try e.readInt64(), blocks: [])
            for _ in SegmentLayout.Column.allCases {
                let offset = Int(truncatingIfNeeded: try e.readUInt64())
                let length = Int(try e.readUInt32())
                guard offset >= SegmentLayout.headerLength, offset + length <= storage.count - SegmentLayout.footerLength else {
                    throw .invalidValue(offset: start, reason: "column block at \(offset) outside the file")
                }
                entry.blocks.append((offset, length))
            }
            return entry
        } catch {
            throw corruption("row groups section, row group \(index)", error)
        }
    }

    /// The raw (decompressed, checksum-verified) bytes of one column block of row group `index`.
    func columnBytes(_ entry: RowGroupEntry, group index: Int, _ column: SegmentLayout.Column) throws(CorruptionError) -> [UInt8] {
        let (offset, length) = entry.blocks[column.rawValue]
        do throws(FormatError) {
            guard length >= 13 else { throw .invalidValue(offset: offset, reason: "column block of \(length) bytes") }
            var reader = storage.reader(offset..<(offset + length))
            let codec = try reader.readUInt8()
            let rawLength = Int(try reader.readUInt32())
            let storedLength = Int(try reader.readUInt32())
            guard storedLength == length - 13 else {
                throw .invalidValue(offset: offset + 5, reason: "stored length \(storedLength) does not fit block of \(length) bytes")
            }
            let stored = try reader.readSlice(storedLength)
            try reader.verifyChecksum(of: offset..<(offset + length - 4))
            switch codec {
            case SegmentLayout.codecNone:
                guard rawLength == storedLength else { throw .invalidValue(offset: offset + 1, reason: "raw length differs from stored length") }
                var copy = stored
                return try copy.readBytes(storedLength)
            case SegmentLayout.codecLZ4:
                return try LZ4.decompress(stored, originalSize: rawLength)
            default:
                throw .invalidValue(offset: offset, reason: "unknown codec \(codec)")
            }
        } catch {
            throw corruption("row group \(index) column \(column) (block at offset \(offset))", error)
        }
    }

    /// Decodes row group `index` into columns. With `digestWanted`, only rows it accepts (by series id
    /// and field id) get their digest decoded; the others get an empty placeholder digest.
    public func decodeRowGroup(_ index: Int, digests: Bool = true,
                               digestWanted: ((_ series: UInt32, _ field: UInt32) -> Bool)? = nil) throws(CorruptionError) -> DecodedRowGroup {
        let entry = try rowGroup(index)
        var group = DecodedRowGroup(firstRow: entry.firstRow, rowCount: entry.rowCount)
        let n = entry.rowCount
        func decode(_ column: SegmentLayout.Column, _ body: (inout ByteReader) throws(FormatError) -> Void) throws(CorruptionError) {
            let bytes = try columnBytes(entry, group: index, column)
            var reader = ByteReader(bytes: bytes)
            do throws(FormatError) {
                try body(&reader)
                guard reader.isAtEnd else { throw .invalidValue(offset: reader.offset, reason: "\(reader.remaining) bytes left over") }
            } catch {
                throw corruption("row group \(index) column \(column)", error)
            }
        }
        group.series = try decodeSeriesIDs(entry, group: index)
        group.starts = try decodeStarts(entry, group: index)
        group.fields = try decodeFields(entry, group: index)
        group.counts = try decodeCounts(entry, group: index)
        group.sums = try decodeSums(entry, group: index)
        // min, max and digest are stored only for rows counting more than one value; a single value
        // is its own sum, min, max and (one-centroid) digest.
        group.mins = try decodeExtremes(.min, entry, group: index, counts: group.counts, sums: group.sums)
        group.maxes = try decodeExtremes(.max, entry, group: index, counts: group.counts, sums: group.sums)
        if digests {
            try decode(.digest) { r throws(FormatError) in
                for i in 0..<n {
                    if let digestWanted, !digestWanted(group.series[i], group.fields[i]) {
                        if group.counts[i] > 1 { try TDigest.skipBody(&r) }
                        group.digests.append(TDigest())
                    } else if group.counts[i] > 1 {
                        let digest = try TDigest(decodingBody: &r)
                        guard digest.count == group.counts[i] else {
                            throw .invalidValue(offset: r.offset, reason: "digest counts \(digest.count) values, row counts \(group.counts[i])")
                        }
                        group.digests.append(digest)
                    } else {
                        var single = TDigest()
                        single.add(group.sums[i])
                        group.digests.append(single)
                    }
                }
            }
        }
        return group
    }

    /// Every row of the segment, as bucket rows (fields of one series and bucket together).
    public func allRows() throws(CorruptionError) -> [BucketRow] {
        try rows { _ in true }
    }

    /// The rows whose bucket start lies in `range` (rows outside it are skipped before they are built).
    public func rows(in range: Range<Int64>) throws(CorruptionError) -> [BucketRow] {
        try rows { range.contains($0) }
    }

    /// The rows of series `id` whose bucket start lies in `range`.
    public func rows(series id: Int, in range: Range<Int64>) throws(CorruptionError) -> [BucketRow] {
        let entry = try seriesEntry(id)
        guard entry.rowCount > 0, entry.maxStart >= range.lowerBound, entry.minStart < range.upperBound else { return [] }
        return try rows(rowRange: entry.firstRow..<(entry.firstRow + entry.rowCount)) { range.contains($0) }
    }

    private func rows(rowRange: Range<Int>? = nil, where include: (Int64) -> Bool) throws(CorruptionError) -> [BucketRow] {
        let names = try fieldNames()
        var keys: [Int: SeriesKey] = [:]
        var result: [BucketRow] = []
        for index in 0..<rowGroupCount {
            let entry = try rowGroup(index)
            if let rowRange, entry.firstRow >= rowRange.upperBound || entry.firstRow + entry.rowCount <= rowRange.lowerBound { continue }
            let group = try decodeRowGroup(index)
            for i in 0..<group.rowCount {
                let row = group.firstRow + i
                if let rowRange, !rowRange.contains(row) { continue }
                guard include(group.starts[i]) else { continue }
                let seriesID = Int(group.series[i])
                if keys[seriesID] == nil { keys[seriesID] = try seriesKey(seriesID) }
                let field = NamedAggregate(name: names[Int(group.fields[i])], aggregate: group.aggregate(at: i))
                if let last = result.last, last.start == group.starts[i], last.series == keys[seriesID]! {
                    result[result.count - 1].fields.append(field)
                } else {
                    result.append(BucketRow(series: keys[seriesID]!, start: group.starts[i], fields: [field]))
                }
            }
        }
        return result
    }

    /// Verifies every checksum in the file (header, footer, sections, every column block) and decodes
    /// every block. Throws the first problem found.
    public func verify() throws(CorruptionError) {
        for section in Section.allCases { _ = try self.section(section) }
        _ = try fieldNames()
        _ = try allSeriesKeys()
        _ = try allPostings()
        for index in 0..<rowGroupCount { _ = try decodeRowGroup(index) }
    }
}

/// The columns of one decoded row group.
public struct DecodedRowGroup: Sendable {
    public var firstRow: Int
    public var rowCount: Int
    public var series: [UInt32] = []
    public var starts: [Int64] = []
    public var fields: [UInt32] = []
    public var counts: [UInt64] = []
    public var sums: [Double] = []
    public var mins: [Double] = []
    public var maxes: [Double] = []
    /// Empty when decoded without digests.
    public var digests: [TDigest] = []

    init(firstRow: Int, rowCount: Int) {
        self.firstRow = firstRow
        self.rowCount = rowCount
    }

    /// Row `i`'s aggregate (with an empty digest when digests were not decoded).
    public func aggregate(at i: Int) -> FieldAggregate {
        FieldAggregate(count: counts[i], sum: sums[i], min: mins[i], max: maxes[i], digest: digests.isEmpty ? TDigest() : digests[i])
    }
}
