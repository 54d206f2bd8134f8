import StrataCore

/// Field rows, one (series, bucket start, field) aggregate each, held in columns: the flush and
/// compaction path from the head (or segment readers) to the segment writer.
///
/// Unlike ``BucketRow`` there is no object per row: series keys are canonical bytes in one arena and
/// field names one small table, both referenced by integer ids; a row is an index into plain arrays.
/// Building, sorting and dropping ``BucketRow`` values (strings, arrays, retain/release) was most of
/// what a flush or rollup cost.
///
/// Ids are local to one value. Two series ids (or field ids) may name the same key (name) when
/// batches were concatenated with ``append(_:)``; ``merged(rebucketTo:)`` unifies them.
///
/// A row holding a single value may carry an empty placeholder digest: its digest is the one-value
/// digest of its sum (``digest(at:)``), which the segment writer never stores and merges rebuild.
struct RowColumns: Sendable {
    /// Canonical series keys, back to back: key `i` is `keyArena[keyOffsets[i]..<keyOffsets[i + 1]]`.
    private(set) var keyArena: [UInt8] = []
    private(set) var keyOffsets: [Int] = [0]
    /// Field names (UTF-8 bytes) by field id.
    private(set) var fieldNames: [[UInt8]] = []

    /// The rows' columns.
    private(set) var series: [UInt32] = []
    private(set) var starts: [Int64] = []
    private(set) var fields: [UInt32] = []
    private(set) var counts: [UInt64] = []
    private(set) var sums: [Double] = []
    private(set) var mins: [Double] = []
    private(set) var maxes: [Double] = []
    /// Digests are stored apart, only for rows that have one (`digestSlots[i]` indexes
    /// `storedDigests`, -1: none): most rows hold one value and need none, and a column of digests
    /// would retain and release every row's digest at every copy.
    private(set) var digestSlots: [Int32] = []
    private(set) var storedDigests: [TDigest] = []

    /// Field id of a row that only records a bucket (a ``BucketRow`` without fields): it names the
    /// series and start in the segment's series entry but stores no field row.
    static let noField = UInt32.max

    init() {}

    /// Number of rows.
    var count: Int { series.count }
    var isEmpty: Bool { series.isEmpty }
    /// Number of series ids.
    var seriesCount: Int { keyOffsets.count - 1 }

    /// Adds a series key; returns its id (no deduplication).
    @discardableResult
    mutating func addSeries(_ key: [UInt8]) -> UInt32 {
        keyArena.append(contentsOf: key)
        keyOffsets.append(keyArena.count)
        return UInt32(keyOffsets.count - 2)
    }

    /// Adds a series key given as a buffer; returns its id (no deduplication).
    @discardableResult
    mutating func addSeries(_ key: UnsafeRawBufferPointer) -> UInt32 {
        keyArena.append(contentsOf: key)
        keyOffsets.append(keyArena.count)
        return UInt32(keyOffsets.count - 2)
    }

    /// Adds a field name; returns its id (no deduplication).
    @discardableResult
    mutating func addField(_ name: [UInt8]) -> UInt32 {
        fieldNames.append(name)
        return UInt32(fieldNames.count - 1)
    }

    mutating func reserveCapacity(_ rows: Int) {
        series.reserveCapacity(rows)
        starts.reserveCapacity(rows)
        fields.reserveCapacity(rows)
        counts.reserveCapacity(rows)
        sums.reserveCapacity(rows)
        mins.reserveCapacity(rows)
        maxes.reserveCapacity(rows)
        digestSlots.reserveCapacity(rows)
    }

    /// Appends one row.
    @inline(__always)
    mutating func append(series id: UInt32, start: Int64, field: UInt32, count: UInt64, sum: Double, min: Double, max: Double, digest: TDigest) {
        series.append(id)
        starts.append(start)
        fields.append(field)
        counts.append(count)
        sums.append(sum)
        mins.append(min)
        maxes.append(max)
        // An empty default digest is what a missing one reads as (a placeholder of a one-value row,
        // or the digest of an empty row).
        if digest.count == 0 && digest.compression == TDigest.defaultCompression {
            digestSlots.append(-1)
        } else {
            digestSlots.append(Int32(storedDigests.count))
            storedDigests.append(digest)
        }
    }

    /// Appends row `i` of `other`, whose series and field ids are already valid here.
    @inline(__always)
    private mutating func appendRow(_ other: RowColumns, _ i: Int, series id: UInt32, start: Int64, field: UInt32) {
        append(series: id, start: start, field: field, count: other.counts[i], sum: other.sums[i], min: other.mins[i],
               max: other.maxes[i], digest: other.storedDigest(at: i))
    }

    /// Appends every row of `other`, after this value's rows (its series and fields get new ids).
    mutating func append(_ other: RowColumns) {
        let seriesBase = UInt32(seriesCount)
        let fieldBase = UInt32(fieldNames.count)
        let arenaBase = keyArena.count
        keyArena.append(contentsOf: other.keyArena)
        keyOffsets.append(contentsOf: other.keyOffsets.dropFirst().map { $0 + arenaBase })
        fieldNames.append(contentsOf: other.fieldNames)
        reserveCapacity(count + other.count)
        series.append(contentsOf: other.series.map { $0 + seriesBase })
        starts.append(contentsOf: other.starts)
        fields.append(contentsOf: other.fields.map { $0 == Self.noField ? $0 : $0 + fieldBase })
        counts.append(contentsOf: other.counts)
        sums.append(contentsOf: other.sums)
        mins.append(contentsOf: other.mins)
        maxes.append(contentsOf: other.maxes)
        let digestBase = Int32(storedDigests.count)
        digestSlots.append(contentsOf: other.digestSlots.map { $0 < 0 ? $0 : $0 + digestBase })
        storedDigests.append(contentsOf: other.storedDigests)
    }

    /// The rows accepted by `include` (by index), in order, with the same series and field tables.
    func filter(_ include: (Int) -> Bool) -> RowColumns {
        var result = RowColumns()
        result.keyArena = keyArena
        result.keyOffsets = keyOffsets
        result.fieldNames = fieldNames
        for i in 0..<count where include(i) { result.appendRow(self, i, series: series[i], start: starts[i], field: fields[i]) }
        return result
    }

    /// Calls `body` with series `id`'s canonical key bytes.
    @inline(__always)
    func withKey<R>(_ id: UInt32, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try keyArena.withUnsafeBytes { arena in
            try body(UnsafeRawBufferPointer(rebasing: arena[keyOffsets[Int(id)]..<keyOffsets[Int(id) + 1]]))
        }
    }

    /// A copy of series `id`'s canonical key.
    func key(_ id: UInt32) -> [UInt8] { Array(keyArena[keyOffsets[Int(id)]..<keyOffsets[Int(id) + 1]]) }

    /// Row `i`'s digest (the one-value digest of its value when it holds a placeholder; the value is
    /// read from `min`, which keeps the sign of -0.0 where the sum does not).
    func digest(at i: Int) -> TDigest {
        let slot = digestSlots[i]
        if slot >= 0 { return storedDigests[Int(slot)] }
        return counts[i] == 1 ? Self.singleValueDigest(mins[i]) : TDigest()
    }

    /// Row `i`'s digest as stored: an empty digest when the row holds a placeholder.
    @inline(__always)
    func storedDigest(at i: Int) -> TDigest {
        let slot = digestSlots[i]
        return slot >= 0 ? storedDigests[Int(slot)] : TDigest()
    }

    /// Row `i`'s aggregate.
    func aggregate(at i: Int) -> FieldAggregate {
        FieldAggregate(count: counts[i], sum: sums[i], min: mins[i], max: maxes[i], digest: digest(at: i))
    }

    /// `acc.merge(aggregate(at: i))` (``FieldAggregate/merge(_:)``), without building the digest of a
    /// one-value row: its value goes in as one centroid.
    @inline(__always)
    func merge(row i: Int, into acc: inout FieldAggregate) {
        guard counts[i] > 0 else { return }
        if counts[i] == 1 && digestSlots[i] < 0 && acc.digest.count > 0 {
            acc.count += 1
            acc.sum += sums[i]
            if mins[i] < acc.min { acc.min = mins[i] }
            if maxes[i] > acc.max { acc.max = maxes[i] }
            // Merging a one-value digest into a non-empty one is adding the value (same centroid, same
            // counters, lossless unchanged), without the slice append.
            acc.digest.add(mins[i])
        } else {
            acc.merge(aggregate(at: i))
        }
    }

    /// The compressed digest of one value, as the head builds it.
    static func singleValueDigest(_ value: Double) -> TDigest {
        var digest = TDigest()
        digest.add(value)
        digest.compress()
        return digest
    }
}

// MARK: - Conversions

extension RowColumns {
    /// The rows of `bucketRows`, one per field (a row without fields becomes a ``noField`` row).
    init(_ bucketRows: [BucketRow]) {
        self.init()
        var seriesIDs: [SeriesKey: UInt32] = [:]
        var fieldIDs: [String: UInt32] = [:]
        reserveCapacity(bucketRows.count * 3)
        for row in bucketRows {
            let seriesID: UInt32
            if let existing = seriesIDs[row.series] {
                seriesID = existing
            } else {
                seriesID = addSeries(row.series.canonicalBytes)
                seriesIDs[row.series] = seriesID
            }
            if row.fields.isEmpty {
                append(series: seriesID, start: row.start, field: Self.noField, count: 0, sum: 0, min: .infinity, max: -.infinity, digest: TDigest())
            }
            for field in row.fields {
                let fieldID: UInt32
                if let existing = fieldIDs[field.name] {
                    fieldID = existing
                } else {
                    fieldID = addField(Array(field.name.utf8))
                    fieldIDs[field.name] = fieldID
                }
                let a = field.aggregate
                append(series: seriesID, start: row.start, field: fieldID, count: a.count, sum: a.sum, min: a.min, max: a.max, digest: a.digest)
            }
        }
    }

    /// The rows as bucket rows (fields of consecutive rows of one series and start together).
    func bucketRows() -> [BucketRow] {
        var keys: [UInt32: SeriesKey] = [:]
        let names = fieldNames.map { String(decoding: $0, as: UTF8.self) }
        var result: [BucketRow] = []
        var lastSeries = UInt32.max
        for i in 0..<count {
            let id = series[i]
            let key: SeriesKey
            if let cached = keys[id] {
                key = cached
            } else {
                // Keys come from the head, segments or SeriesKey values: decoding cannot fail.
                key = (try? SeriesKey(canonical: self.key(id))) ?? SeriesKey(measurement: "", tags: [])
                keys[id] = key
            }
            let field = fields[i] == Self.noField ? nil : NamedAggregate(name: names[Int(fields[i])], aggregate: aggregate(at: i))
            if let last = result.last, lastSeries == id, last.start == starts[i] {
                if let field { result[result.count - 1].fields.append(field) }
            } else {
                result.append(BucketRow(series: key, start: starts[i], fields: field.map { [$0] } ?? []))
            }
            lastSeries = id
        }
        for i in result.indices { result[i].fields.sort { $0.name < $1.name } }
        return result
    }
}

// MARK: - Sorting and merging

extension RowColumns {
    /// Whether the rows are in segment order, as ``merged(rebucketTo:)`` leaves them: series ids
    /// ascending in canonical-key order, field ids ascending in name order, each used id distinct, rows
    /// sorted by (series, start, field) with no two rows of the same (series, start, field).
    var isCanonical: Bool {
        for i in 1..<max(1, count) {
            if series[i - 1] != series[i] {
                if series[i - 1] > series[i] { return false }
            } else if starts[i - 1] != starts[i] {
                if starts[i - 1] > starts[i] { return false }
            } else if fields[i - 1] >= fields[i] {
                return false
            }
        }
        let usedSeries = Array(Set(series)).sorted()
        for (a, b) in zip(usedSeries, usedSeries.dropFirst()) where withKey(a, { x in withKey(b, { y in compareBytes(x, y) }) }) >= 0 {
            return false
        }
        let usedFields = Array(Set(fields.filter { $0 != Self.noField })).sorted()
        for (a, b) in zip(usedFields, usedFields.dropFirst()) where !fieldNames[Int(a)].lexicographicallyPrecedes(fieldNames[Int(b)]) {
            return false
        }
        return true
    }

    /// The rows sorted by (series key, start, field name) with rows of the same (series, start, field)
    /// merged, optionally re-bucketed to `granularity` first; series and field ids are renumbered so
    /// that equal keys (names) share one id, in ascending key (name) order. Rows that merge are merged
    /// in their order here, so the result is the one ``RowMerger`` computes for the same rows.
    func merged(rebucketTo granularity: Granularity? = nil) -> RowColumns {
        let n = count
        guard n > 0 else { return RowColumns() }
        // Series ranks: distinct keys in byte order (equal keys share a rank).
        let seriesRank = ranks(seriesCount) { a, b in withKey(UInt32(a)) { x in withKey(UInt32(b)) { y in compareBytes(x, y) } } }
        let fieldRank = ranks(fieldNames.count) { a, b in
            fieldNames[a].withUnsafeBytes { x in fieldNames[b].withUnsafeBytes { y in compareBytes(x, y) } }
        }
        let rowStarts: [Int64] = granularity.map { g in starts.map { g.bucketStart(ofSeconds: $0) } } ?? starts
        @inline(__always) func rank(ofField field: UInt32) -> Int32 { field == Self.noField ? Int32.max : fieldRank.ranks[Int(field)] }

        // Stable counting sort by series rank, then each series' rows by (start, field rank, position).
        var offsets = [Int](repeating: 0, count: seriesRank.distinct + 1)
        for i in 0..<n { offsets[Int(seriesRank.ranks[Int(series[i])]) + 1] += 1 }
        for r in 0..<seriesRank.distinct { offsets[r + 1] += offsets[r] }
        var order = [Int32](repeating: 0, count: n)
        var cursor = offsets
        for i in 0..<n {
            let r = Int(seriesRank.ranks[Int(series[i])])
            order[cursor[r]] = Int32(i)
            cursor[r] += 1
        }
        for r in 0..<seriesRank.distinct where offsets[r + 1] - offsets[r] > 1 {
            let range = offsets[r]..<offsets[r + 1]
            func before(_ a: Int32, _ b: Int32) -> Bool {
                let sa = rowStarts[Int(a)], sb = rowStarts[Int(b)]
                if sa != sb { return sa < sb }
                let fa = rank(ofField: fields[Int(a)]), fb = rank(ofField: fields[Int(b)])
                if fa != fb { return fa < fb }
                return a < b
            }
            var sorted = true
            for k in range.dropFirst() where !before(order[k - 1], order[k]) {
                sorted = false
                break
            }
            if !sorted { order[range].sort(by: before) }
        }

        // Output tables: the used ranks, in order.
        var result = RowColumns()
        var seriesOut = [Int32](repeating: -1, count: seriesRank.distinct)
        var fieldOut = [Int32](repeating: -1, count: fieldRank.distinct)
        var usedField = [Bool](repeating: false, count: fieldRank.distinct)
        for i in 0..<n where fields[i] != Self.noField { usedField[Int(fieldRank.ranks[Int(fields[i])])] = true }
        for r in 0..<fieldRank.distinct where usedField[r] {
            fieldOut[r] = Int32(result.addField(fieldNames[Int(fieldRank.representative[r])]))
        }
        result.reserveCapacity(n)

        // Fold runs of the same (series, start, field), in order.
        var k = 0
        while k < n {
            let i = Int(order[k])
            let r = Int(seriesRank.ranks[Int(series[i])])
            if seriesOut[r] < 0 { seriesOut[r] = Int32(withKey(UInt32(seriesRank.representative[r])) { result.addSeries($0) }) }
            let fr = rank(ofField: fields[i])
            let fieldID = fields[i] == Self.noField ? Self.noField : UInt32(fieldOut[Int(fr)])
            var end = k + 1
            while end < n {
                let j = Int(order[end])
                guard seriesRank.ranks[Int(series[j])] == r, rowStarts[j] == rowStarts[i], rank(ofField: fields[j]) == fr else { break }
                end += 1
            }
            if end == k + 1 {
                result.appendRow(self, i, series: UInt32(seriesOut[r]), start: rowStarts[i], field: fieldID)
            } else {
                var acc = aggregate(at: i)
                for position in (k + 1)..<end { merge(row: Int(order[position]), into: &acc) }
                result.append(series: UInt32(seriesOut[r]), start: rowStarts[i], field: fieldID, count: acc.count, sum: acc.sum,
                              min: acc.min, max: acc.max, digest: acc.digest)
            }
            k = end
        }
        return result
    }

    /// The row indices of each merge window (`floor(start, width)`), windows ascending, each list
    /// ascending (so rows in segment order stay so); nil when every row lies in one window.
    func windows(_ width: Int64) -> [[Int32]]? {
        var windowOf: [Int64: Int] = [:]
        var windows: [Int64] = []
        var members: [[Int32]] = []
        for i in 0..<count {
            let window = CompactionPlanner.floor(starts[i], width)
            let w: Int
            if let existing = windowOf[window] {
                w = existing
            } else {
                w = windows.count
                windowOf[window] = w
                windows.append(window)
                members.append([])
            }
            members[w].append(Int32(i))
        }
        if windows.count <= 1 { return nil }
        return windows.indices.sorted { windows[$0] < windows[$1] }.map { members[$0] }
    }

    /// Rows `indices`, in that order, with the same series and field tables.
    func rows(at indices: [Int32]) -> RowColumns {
        var result = RowColumns()
        result.keyArena = keyArena
        result.keyOffsets = keyOffsets
        result.fieldNames = fieldNames
        result.reserveCapacity(indices.count)
        for index in indices {
            let i = Int(index)
            result.appendRow(self, i, series: series[i], start: starts[i], field: fields[i])
        }
        return result
    }

    /// Dense ranks of `count` items under the three-way comparison `compare` (equal items share a
    /// rank), with one representative item per rank.
    private func ranks(_ count: Int, _ compare: (Int, Int) -> Int) -> (ranks: [Int32], representative: [Int], distinct: Int) {
        let sorted = (0..<count).sorted { compare($0, $1) < 0 }
        var ranks = [Int32](repeating: 0, count: count)
        var representative: [Int] = []
        for (position, item) in sorted.enumerated() {
            if position == 0 || compare(sorted[position - 1], item) != 0 { representative.append(item) }
            ranks[item] = Int32(representative.count - 1)
        }
        return (ranks, representative, representative.count)
    }
}

// MARK: - Reading segments

extension RowColumns {
    /// Appends the rows of `segment` whose bucket start lies in `range` (every row when nil), in file
    /// order, straight from its decoded columns; returns how many bucket rows (runs of one series and
    /// start) that was, the count ``SegmentReader/rows(in:)`` would have returned.
    @discardableResult
    mutating func append(_ segment: SegmentReader, in range: Range<Int64>? = nil) throws(CorruptionError) -> Int {
        let fieldBase = UInt32(fieldNames.count)
        for name in try segment.fieldNames() { addField(Array(name.utf8)) }
        var seriesIDs = [Int32](repeating: -1, count: segment.seriesCount)
        var bucketRows = 0
        var lastSeries = UInt32.max, lastStart = Int64.min
        for index in 0..<segment.rowGroupCount {
            let entry = try segment.rowGroup(index)
            if let range, entry.maxStart < range.lowerBound || entry.minStart >= range.upperBound { continue }
            let group = try segment.decodeRowGroup(index)
            reserveCapacity(count + group.rowCount)
            for i in 0..<group.rowCount {
                let start = group.starts[i]
                if let range, !range.contains(start) { continue }
                let local = Int(group.series[i])
                if seriesIDs[local] < 0 { seriesIDs[local] = Int32(addSeries(try segment.seriesKeyBytes(local))) }
                let id = UInt32(seriesIDs[local])
                if id != lastSeries || start != lastStart { bucketRows += 1 }
                lastSeries = id
                lastStart = start
                append(series: id, start: start, field: fieldBase + group.fields[i], count: group.counts[i], sum: group.sums[i],
                       min: group.mins[i], max: group.maxes[i], digest: group.digests[i])
            }
        }
        return bucketRows
    }
}
