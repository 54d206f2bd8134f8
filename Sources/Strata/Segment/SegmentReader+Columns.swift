import StrataCore
import StrataIO

/// Column-at-a-time decoding of row groups, and the cached column access queries use.
/// Spec: `Formats/segment.md` § Column block.
extension SegmentReader {
    /// Which columns a scan needs (start, field and count are always decoded).
    struct ColumnSet: OptionSet, Sendable {
        let rawValue: UInt8
        static let sums = ColumnSet(rawValue: 1)
        static let mins = ColumnSet(rawValue: 2)
        static let maxes = ColumnSet(rawValue: 4)
        static let digests = ColumnSet(rawValue: 8)
    }

    /// Decoded columns of one row group; a column not asked for is empty.
    struct RowGroupColumns: Sendable {
        var starts: [Int64]
        var fields: [UInt32]
        var counts: [UInt64]
        var sums: [Double] = []
        var mins: [Double] = []
        var maxes: [Double] = []
        var digests: DigestColumn?
    }

    /// The columns of row group `index` (whose entry is `entry`) that `wanted` names, plus start,
    /// field and count, through `cache`: each block is verified and decoded once while it stays cached.
    func columns(_ index: Int, _ entry: RowGroupEntry, _ wanted: ColumnSet, cache: ColumnCache = .shared) throws(CorruptionError) -> RowGroupColumns {
        func cached(_ column: SegmentLayout.Column, _ decode: () throws(CorruptionError) -> ColumnCache.Values) throws(CorruptionError) -> ColumnCache.Values {
            try cache.values(ColumnCache.Key(segment: cacheID, index: Int32(index), column: UInt8(column.rawValue)), decode: decode)
        }
        guard case let .int64s(starts) = try cached(.start, { () throws(CorruptionError) in .int64s(try decodeStarts(entry, group: index)) }),
              case let .uint32s(fields) = try cached(.field, { () throws(CorruptionError) in .uint32s(try decodeFields(entry, group: index)) }),
              case let .uint64s(counts) = try cached(.count, { () throws(CorruptionError) in .uint64s(try decodeCounts(entry, group: index)) })
        else { preconditionFailure("column cache type mismatch") }
        var result = RowGroupColumns(starts: starts, fields: fields, counts: counts)
        guard !wanted.isEmpty else { return result }
        // min, max and digest columns are laid out by the counts and default to the sums.
        guard case let .doubles(sums) = try cached(.sum, { () throws(CorruptionError) in .doubles(try decodeSums(entry, group: index)) })
        else { preconditionFailure("column cache type mismatch") }
        result.sums = sums
        if wanted.contains(.mins) {
            guard case let .doubles(mins) = try cached(.min, { () throws(CorruptionError) in
                .doubles(try decodeExtremes(.min, entry, group: index, counts: counts, sums: sums))
            }) else { preconditionFailure("column cache type mismatch") }
            result.mins = mins
        }
        if wanted.contains(.maxes) {
            guard case let .doubles(maxes) = try cached(.max, { () throws(CorruptionError) in
                .doubles(try decodeExtremes(.max, entry, group: index, counts: counts, sums: sums))
            }) else { preconditionFailure("column cache type mismatch") }
            result.maxes = maxes
        }
        if wanted.contains(.digests) {
            guard case let .digests(digests) = try cached(.digest, { () throws(CorruptionError) in
                .digests(try decodeDigests(entry, group: index, counts: counts, sums: sums))
            }) else { preconditionFailure("column cache type mismatch") }
            result.digests = digests
        }
        return result
    }

    /// The rows of field `field` whose bucket starts lie in `window` of the series `series` (ids
    /// ascending, with their entries), merged in row order into one summary of the columns `wanted`
    /// names (counts always), through `cache`. Nil when the ids do not fit a cache key (more than
    /// 2^31 series or 255 fields).
    func groupSummary(_ series: [(id: Int, entry: SeriesEntry)], field: UInt32, window: Range<Int64>, _ wanted: ColumnSet,
                      cache: ColumnCache = .shared) throws(CorruptionError) -> SeriesSummary? {
        guard let first = series.first, let last = series.last, last.id < Int(Int32.max), field < 255 else { return nil }
        var key = ColumnCache.Key(segment: cacheID, index: Int32(first.id), column: UInt8(field), kind: 1 + wanted.rawValue, window: window)
        if series.count > 1 { key.members = series.map { Int32($0.id) } }
        let values = try cache.values(key) { () throws(CorruptionError) in
            .summary(try summarize(series.map { $0.entry.firstRow..<($0.entry.firstRow + $0.entry.rowCount) },
                                   field: field, window: window, wanted, cache: cache))
        }
        guard case let .summary(summary) = values else { preconditionFailure("column cache type mismatch") }
        return summary
    }

    /// Like ``groupSummary(_:field:window:_:cache:)`` for each of `windows` (ascending, disjoint):
    /// one summary per window of the rows of `series` starting in it, all built in one pass over
    /// the rows when any is not cached. Nil when the ids do not fit a cache key.
    func groupSummaries(_ series: [(id: Int, entry: SeriesEntry)], field: UInt32, windows: [Range<Int64>], _ wanted: ColumnSet,
                        cache: ColumnCache = .shared) throws(CorruptionError) -> [SeriesSummary]? {
        guard let first = series.first, let last = series.last, last.id < Int(Int32.max), field < 255 else { return nil }
        let members = series.count > 1 ? series.map { Int32($0.id) } : []
        let keys = windows.map {
            ColumnCache.Key(segment: cacheID, index: Int32(first.id), column: UInt8(field), kind: 1 + wanted.rawValue, window: $0, members: members)
        }
        let values = try cache.values(keys) { () throws(CorruptionError) in
            try summarize(series.map { $0.entry.firstRow..<($0.entry.firstRow + $0.entry.rowCount) },
                          field: field, windows: windows, wanted, cache: cache).map { .summary($0) }
        }
        return values.map {
            guard case let .summary(summary) = $0 else { preconditionFailure("column cache type mismatch") }
            return summary
        }
    }

    /// Merges the rows in `ranges` (ascending, disjoint) of field `field` into one summary per
    /// window of `windows` (ascending, disjoint) holding their start, in row order.
    private func summarize(_ ranges: [Range<Int>], field: UInt32, windows: [Range<Int64>], _ wanted: ColumnSet,
                           cache: ColumnCache) throws(CorruptionError) -> [SeriesSummary] {
        var summaries = Array(repeating: SeriesSummary(), count: windows.count)
        guard let low = windows.first?.lowerBound, let high = windows.last?.upperBound else { return summaries }
        var next = 0
        for (index, entry) in try rowGroupEntries().enumerated() {
            let groupRows = entry.firstRow..<(entry.firstRow + entry.rowCount)
            while next < ranges.count && ranges[next].upperBound <= groupRows.lowerBound { next += 1 }
            guard next < ranges.count, ranges[next].lowerBound < groupRows.upperBound else { continue }
            let columns = try self.columns(index, entry, wanted, cache: cache)
            var k = next
            while k < ranges.count && ranges[k].lowerBound < groupRows.upperBound {
                let rows = ranges[k]
                for i in (Swift.max(rows.lowerBound, groupRows.lowerBound) - groupRows.lowerBound)..<(Swift.min(rows.upperBound, groupRows.upperBound) - groupRows.lowerBound)
                where columns.fields[i] == field {
                    let start = columns.starts[i]
                    guard start >= low && start < high else { continue }
                    // The last window starting at or before `start` (binary search).
                    var a = 0, b = windows.count
                    while b - a > 1 {
                        let m = (a + b) / 2
                        if windows[m].lowerBound <= start { a = m } else { b = m }
                    }
                    guard windows[a].contains(start) else { continue }
                    summaries[a].count += columns.counts[i]
                    if !columns.sums.isEmpty { summaries[a].sum += columns.sums[i] }
                    if !columns.mins.isEmpty, columns.mins[i] < summaries[a].min { summaries[a].min = columns.mins[i] }
                    if !columns.maxes.isEmpty, columns.maxes[i] > summaries[a].max { summaries[a].max = columns.maxes[i] }
                    if let d = columns.digests {
                        summaries[a].digest.merge(centroids: d.centroids(of: i), count: columns.counts[i], sum: columns.sums[i],
                                                  min: d.minimums[i], max: d.maximums[i], lossless: d.lossless[i])
                    }
                }
                k += 1
            }
        }
        for w in summaries.indices { summaries[w].digest.compress() }
        return summaries
    }

    /// Merges the rows in `ranges` (ascending, disjoint) of field `field` starting in `window`, in row order.
    private func summarize(_ ranges: [Range<Int>], field: UInt32, window: Range<Int64>, _ wanted: ColumnSet,
                           cache: ColumnCache) throws(CorruptionError) -> SeriesSummary {
        try summarize(ranges, field: field, windows: [window], wanted, cache: cache)[0]
    }

    /// Decodes one column block of row group `index` with `body` (called once per row), checking
    /// that the block holds exactly the group's rows.
    func decodeColumn<T>(_ entry: RowGroupEntry, group index: Int, _ column: SegmentLayout.Column,
                         _ body: (_ reader: inout ByteReader, _ row: Int) throws(FormatError) -> T) throws(CorruptionError) -> [T] {
        let bytes = try columnBytes(entry, group: index, column)
        var reader = ByteReader(bytes: bytes)
        var values: [T] = []
        values.reserveCapacity(entry.rowCount)
        do throws(FormatError) {
            for row in 0..<entry.rowCount { values.append(try body(&reader, row)) }
            guard reader.isAtEnd else { throw .invalidValue(offset: reader.offset, reason: "\(reader.remaining) bytes left over") }
        } catch {
            throw CorruptionError(file: path, location: "row group \(index) column \(column)", cause: error)
        }
        return values
    }

    /// The series column: ids, delta-encoded from the group's first row.
    func decodeSeriesIDs(_ entry: RowGroupEntry, group index: Int) throws(CorruptionError) -> [UInt32] {
        var previous: UInt64 = 0
        let limit = UInt64(seriesCount)
        return try decodeColumn(entry, group: index, .series) { r, i throws(FormatError) in
            let v = try r.readUVarint()
            previous = i == 0 ? v : previous &+ v
            guard previous < limit else { throw .invalidValue(offset: r.offset, reason: "series id \(previous) out of range") }
            return UInt32(previous)
        }
    }

    /// The start column: each row's difference to the previous row's start.
    func decodeStarts(_ entry: RowGroupEntry, group index: Int) throws(CorruptionError) -> [Int64] {
        var previous: Int64 = 0
        return try decodeColumn(entry, group: index, .start) { r, _ throws(FormatError) in
            previous = previous &+ (try r.readVarint())
            return previous
        }
    }

    /// The field column: field ids below the segment's field count.
    func decodeFields(_ entry: RowGroupEntry, group index: Int) throws(CorruptionError) -> [UInt32] {
        let limit = UInt64(fieldCount)
        return try decodeColumn(entry, group: index, .field) { r, _ throws(FormatError) in
            let v = try r.readUVarint()
            guard v < limit else { throw .invalidValue(offset: r.offset, reason: "field id \(v) out of range") }
            return UInt32(v)
        }
    }

    /// The count column: every row counts at least one value.
    func decodeCounts(_ entry: RowGroupEntry, group index: Int) throws(CorruptionError) -> [UInt64] {
        try decodeColumn(entry, group: index, .count) { r, _ throws(FormatError) in
            let count = try r.readUVarint()
            guard count > 0 else { throw .invalidValue(offset: r.offset, reason: "a row counts no value") }
            return count
        }
    }

    /// The sum column.
    func decodeSums(_ entry: RowGroupEntry, group index: Int) throws(CorruptionError) -> [Double] {
        try decodeColumn(entry, group: index, .sum) { r, _ throws(FormatError) in try DecimalValue.read(from: &r) }
    }

    /// The min or max column: stored only for rows counting more than one value (a single value is
    /// its own min and max).
    func decodeExtremes(_ column: SegmentLayout.Column, _ entry: RowGroupEntry, group index: Int,
                        counts: [UInt64], sums: [Double]) throws(CorruptionError) -> [Double] {
        try decodeColumn(entry, group: index, column) { r, i throws(FormatError) in
            counts[i] > 1 ? try DecimalValue.read(from: &r) : sums[i]
        }
    }

    /// The digest column, flattened (see ``DigestColumn``); each stored digest is fully validated
    /// and must count exactly its row's values.
    func decodeDigests(_ entry: RowGroupEntry, group index: Int, counts: [UInt64], sums: [Double]) throws(CorruptionError) -> DigestColumn {
        var column = DigestColumn()
        column.offsets.reserveCapacity(entry.rowCount + 1)
        column.minimums.reserveCapacity(entry.rowCount)
        column.maximums.reserveCapacity(entry.rowCount)
        let lossless = try decodeColumn(entry, group: index, .digest) { r, i throws(FormatError) in
            if counts[i] > 1 {
                let digest = try TDigest(decodingBody: &r)
                guard digest.count == counts[i] else {
                    throw .invalidValue(offset: r.offset, reason: "digest counts \(digest.count) values, row counts \(counts[i])")
                }
                column.centroids.append(contentsOf: digest.centroids)
                column.minimums.append(digest.min)
                column.maximums.append(digest.max)
                column.offsets.append(Int32(column.centroids.count))
                return digest.isExact
            }
            // Ingest stores only finite values, so a single value is one centroid of weight 1.
            column.centroids.append(Centroid(mean: sums[i], weight: 1))
            column.minimums.append(sums[i])
            column.maximums.append(sums[i])
            column.offsets.append(Int32(column.centroids.count))
            return true
        }
        column.lossless = lossless
        return column
    }
}
