import StrataCore
import StrataIO

/// Builds projection rows from base rows.
enum Projector {
    /// The rows of every projection of `projections` for base rows `rows`, merged per (series, bucket).
    /// Rows of projection series are never projected again.
    static func rows(_ rows: [BucketRow], _ projections: [Projection]) -> [BucketRow] {
        guard !projections.isEmpty else { return [] }
        var merger = RowMerger()
        for row in rows {
            for projection in projections {
                guard let key = projection.key(for: row.series) else { continue }
                merger.add(BucketRow(series: key, start: row.start, fields: row.fields))
            }
        }
        return merger.result()
    }

    /// The field rows of every projection of `projections` for base field rows `base`, merged per
    /// (series, bucket, field), in segment order (``RowColumns/merged(rebucketTo:)``). Rows of
    /// projection series are never projected again.
    ///
    /// The same result as ``rows(_:_:)`` for the same rows: each projection row merges its base rows
    /// in their order in `base`. Projection keys are computed once per base series, and rows are
    /// folded into their projection row through a hash table, so nothing is allocated per row.
    /// ``columns(_:_:)`` for a flush: with at least ``concurrentMinimumRows`` base rows, the
    /// projections are split in two halves folded on two threads, and their rows concatenated (not
    /// merged: each projection has series of its own, so the halves never share a row, and the flush
    /// merges all its rows once anyway).
    static func columnsConcurrently(_ base: RowColumns, _ projections: [Projection]) -> RowColumns {
        guard projections.count > 1, base.count >= concurrentMinimumRows else { return columns(base, projections) }
        let halves = [0, 1].map { half in projections.indices.filter { $0 % 2 == half }.map { projections[$0] } }
        var (rows, second) = onTwoThreads { half in columns(base, halves[half]) }
        rows.append(second)
        return rows
    }

    /// Base rows from which ``columnsConcurrently(_:_:)`` uses two threads.
    static let concurrentMinimumRows = 2_048

    static func columns(_ base: RowColumns, _ projections: [Projection]) -> RowColumns {
        guard !projections.isEmpty, !base.isEmpty else { return RowColumns() }
        var result = RowColumns()
        // Projection series of each base series (per projection; -1: none), interned by key bytes.
        var projectionIDs: [HashableBytes: UInt32] = [:]
        var seriesProjections = [Int32](repeating: -1, count: base.seriesCount * projections.count)
        var used = [Bool](repeating: false, count: base.seriesCount)
        for id in base.series { used[Int(id)] = true }
        let keyBuilder = ProjectionKeys(projections)
        for id in 0..<base.seriesCount where used[id] {
            for (p, projected) in keyBuilder.keys(for: base.key(UInt32(id))).enumerated() {
                guard let bytes = projected else { continue }
                let projectionID: UInt32
                if let existing = projectionIDs[HashableBytes(bytes)] {
                    projectionID = existing
                } else {
                    projectionID = result.addSeries(bytes)
                    projectionIDs[HashableBytes(bytes)] = projectionID
                }
                seriesProjections[id * projections.count + p] = Int32(projectionID)
            }
        }
        // One field id per distinct name.
        var fieldByName: [[UInt8]: UInt32] = [:]
        let fieldIDs = base.fieldNames.map { name in
            if let existing = fieldByName[name] { return existing }
            let id = result.addField(name)
            fieldByName[name] = id
            return id
        }
        // Fold: first row of each (projection series, start, field) is copied, later ones merged in.
        var slots = SlotTable(capacity: base.count)
        var accumulators: [FieldAggregate] = []
        for i in 0..<base.count where base.fields[i] != RowColumns.noField {
            let seriesBase = Int(base.series[i]) * projections.count
            for p in 0..<projections.count {
                let projectionID = seriesProjections[seriesBase + p]
                guard projectionID >= 0 else { continue }
                let slot = ProjectionSlot(series: UInt32(projectionID), field: fieldIDs[Int(base.fields[i])], start: base.starts[i])
                let found = slots.findOrInsert(slot)
                if !found.inserted {
                    let existing = found.index
                    accumulators.withUnsafeMutableBufferPointer { accumulators in
                        // A one-value row's digest is built only once a second row merges into it.
                        let a = Int(existing)
                        if accumulators[a].count == 1 && accumulators[a].digest.count == 0 {
                            accumulators[a].digest = RowColumns.singleValueDigest(accumulators[a].min)
                        }
                        base.merge(row: i, into: &accumulators[a])
                    }
                } else {
                    accumulators.append(FieldAggregate(count: base.counts[i], sum: base.sums[i], min: base.mins[i], max: base.maxes[i],
                                                       digest: base.storedDigest(at: i)))
                }
            }
        }
        result.reserveCapacity(accumulators.count)
        for (slot, a) in zip(slots.keys, accumulators) {
            result.append(series: slot.series, start: slot.start, field: slot.field, count: a.count, sum: a.sum, min: a.min, max: a.max, digest: a.digest)
        }
        return result.merged()
    }

    /// The derived tags that `measurement`'s projections define, by name.
    static func derivedTags(_ projections: [Projection], measurement: String) -> [String: DerivedTag] {
        var result: [String: DerivedTag] = [:]
        for projection in projections where projection.measurement == measurement {
            for tag in projection.derived { result[tag.name] = tag }
        }
        return result
    }
}

/// A projection row being folded: projection series, field and bucket start.
private struct ProjectionSlot: Hashable {
    var series: UInt32
    var field: UInt32
    var start: Int64
}

/// Open-addressing table from projection slots to their index in insertion order (a Swift
/// `Dictionary` hashes each key with SipHash, which was a tenth of a flush).
private struct SlotTable {
    /// The keys, in insertion order (index = value).
    private(set) var keys: [ProjectionSlot] = []
    /// `index + 1` of the key in each slot; 0: empty.
    private var table: [Int32]
    private var mask: Int

    init(capacity: Int) {
        var size = 1024
        while size < capacity * 2 { size <<= 1 }
        table = [Int32](repeating: 0, count: size)
        mask = size - 1
    }

    @inline(__always)
    private static func hash(_ slot: ProjectionSlot) -> Int {
        var h = (UInt64(slot.series) << 32 | UInt64(slot.field)) &* 0x9E37_79B9_7F4A_7C15
        h ^= UInt64(bitPattern: slot.start) &* 0xC2B2_AE3D_27D4_EB4F
        h ^= h >> 29
        return Int(truncatingIfNeeded: h)
    }

    /// The index of `slot`, inserted (with the next index) when new.
    @inline(__always)
    mutating func findOrInsert(_ slot: ProjectionSlot) -> (index: Int, inserted: Bool) {
        var position = Self.hash(slot) & mask
        while true {
            let entry = table[position]
            if entry == 0 { break }
            if keys[Int(entry - 1)] == slot { return (Int(entry - 1), false) }
            position = (position + 1) & mask
        }
        keys.append(slot)
        table[position] = Int32(keys.count)
        if keys.count * 2 > table.count { grow() }
        return (keys.count - 1, true)
    }

    private mutating func grow() {
        table = [Int32](repeating: 0, count: table.count * 2)
        mask = table.count - 1
        for (index, key) in keys.enumerated() {
            var position = Self.hash(key) & mask
            while table[position] != 0 { position = (position + 1) & mask }
            table[position] = Int32(index + 1)
        }
    }
}
