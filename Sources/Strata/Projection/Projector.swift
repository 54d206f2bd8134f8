import StrataCore
import StrataIO

/// Builds projection rows from base rows.
enum Projector {
    /// The rows of every projection of `projections` for base rows `rows`, merged per (series, bucket),
    /// sorted by series then start. Rows of projection series are never projected again. Each
    /// projection is folded as ``ProjectionPlan`` says: from `rows`, or from the (sorted) rows of
    /// another projection.
    static func rows(_ rows: [BucketRow], _ projections: [Projection]) -> [BucketRow] {
        guard !projections.isEmpty else { return [] }
        let plan = ProjectionPlan(projections)
        var merger = RowMerger()
        for row in rows {
            for p in plan.roots {
                guard let key = projections[p].key(for: row.series) else { continue }
                merger.add(BucketRow(series: key, start: row.start, fields: row.fields))
            }
        }
        var folded = merger.result()
        for p in plan.derived {
            let parent = projections[plan.parents[p]!].name
            var child = RowMerger()
            for row in folded where row.series.value(of: Projection.tagKey) == parent {
                child.add(BucketRow(series: projections[p].key(forSeriesOf: row.series), start: row.start, fields: row.fields))
            }
            folded += child.result()
        }
        var all = RowMerger()
        all.add(contentsOf: folded)
        return all.result()
    }

    /// The field rows of every projection of `projections` for base field rows `base`, merged per
    /// (series, bucket, field), in segment order (``RowColumns/merged(rebucketTo:)``). Rows of
    /// projection series are never projected again.
    ///
    /// The same result as ``rows(_:_:)`` for the same rows: the roots of the ``ProjectionPlan`` fold
    /// the base rows in their order in `base`, every other projection the rows of the projection it
    /// folds from in segment order. Projection keys are computed once per source series, and rows are
    /// folded into their projection row through a hash table, so nothing is allocated per row.
    static func columns(_ base: RowColumns, _ projections: [Projection]) -> RowColumns {
        projectionRows(base, projections, concurrently: false).merged()
    }

    /// ``columns(_:_:)`` for a flush: with at least ``concurrentMinimumRows`` base rows, the roots are
    /// split in two halves folded on two threads; and each projection's rows are merged, but the
    /// projections' rows are only concatenated (each projection has series of its own, so they never
    /// share a row, and the flush merges all its rows once anyway).
    static func columnsConcurrently(_ base: RowColumns, _ projections: [Projection]) -> RowColumns {
        projectionRows(base, projections, concurrently: base.count >= concurrentMinimumRows)
    }

    /// Base rows from which ``columnsConcurrently(_:_:)`` uses two threads.
    static let concurrentMinimumRows = 2_048

    /// Every projection's rows, each projection's in segment order, one projection after another.
    private static func projectionRows(_ base: RowColumns, _ projections: [Projection], concurrently: Bool) -> RowColumns {
        guard !projections.isEmpty, !base.isEmpty else { return RowColumns() }
        let plan = ProjectionPlan(projections)
        var result: RowColumns
        if concurrently && plan.roots.count > 1 {
            let halves = [0, 1].map { half in plan.roots.indices.filter { $0 % 2 == half }.map { projections[plan.roots[$0]] } }
            var second: RowColumns
            (result, second) = onTwoThreads { half in foldBase(base, halves[half]) }
            result.append(second)
        } else {
            result = foldBase(base, plan.roots.map { projections[$0] })
        }
        for p in plan.derived {
            let parent = projections[plan.parents[p]!].name
            let source = result
            let child = fold(source, targets: 1) { id in
                // Projection keys were built by the flush; decoding them cannot fail.
                guard let key = try? SeriesKey(canonical: source.key(id)), key.value(of: Projection.tagKey) == parent else { return [nil] }
                return [projections[p].key(forSeriesOf: key).canonicalBytes]
            }
            result.append(child)
        }
        return result
    }

    /// The rows of `projections`, each folded from the base rows `base`.
    private static func foldBase(_ base: RowColumns, _ projections: [Projection]) -> RowColumns {
        guard !projections.isEmpty else { return RowColumns() }
        let keyBuilder = ProjectionKeys(projections)
        return fold(base, targets: projections.count) { id in keyBuilder.keys(for: base.key(id)) }
    }

    /// Folds every row of `source` into the rows of `targets` target series sets: `keys(s)` gives, per
    /// target, the key of the series a row of source series `s` goes to (nil: none). Rows merge in
    /// their order in `source`; the result is merged (segment order).
    private static func fold(_ source: RowColumns, targets: Int, keys: (UInt32) -> [[UInt8]?]) -> RowColumns {
        var result = RowColumns()
        // Target series of each source series (per target; -1: none), interned by key bytes.
        var targetIDs: [HashableBytes: UInt32] = [:]
        var seriesTargets = [Int32](repeating: -1, count: source.seriesCount * targets)
        var used = [Bool](repeating: false, count: source.seriesCount)
        for id in source.series { used[Int(id)] = true }
        for id in 0..<source.seriesCount where used[id] {
            for (t, target) in keys(UInt32(id)).enumerated() {
                guard let bytes = target else { continue }
                let targetID: UInt32
                if let existing = targetIDs[HashableBytes(bytes)] {
                    targetID = existing
                } else {
                    targetID = result.addSeries(bytes)
                    targetIDs[HashableBytes(bytes)] = targetID
                }
                seriesTargets[id * targets + t] = Int32(targetID)
            }
        }
        // One field id per distinct name.
        var fieldByName: [[UInt8]: UInt32] = [:]
        let fieldIDs = source.fieldNames.map { name in
            if let existing = fieldByName[name] { return existing }
            let id = result.addField(name)
            fieldByName[name] = id
            return id
        }
        // Fold: first row of each (target series, start, field) is copied, later ones merged in.
        var slots = SlotTable(capacity: source.count)
        var accumulators: [FieldAggregate] = []
        for i in 0..<source.count where source.fields[i] != RowColumns.noField {
            let seriesBase = Int(source.series[i]) * targets
            for t in 0..<targets {
                let targetID = seriesTargets[seriesBase + t]
                guard targetID >= 0 else { continue }
                let slot = ProjectionSlot(series: UInt32(targetID), field: fieldIDs[Int(source.fields[i])], start: source.starts[i])
                let found = slots.findOrInsert(slot)
                if !found.inserted {
                    let existing = found.index
                    accumulators.withUnsafeMutableBufferPointer { accumulators in
                        // A one-value row's digest is built only once a second row merges into it.
                        let a = Int(existing)
                        if accumulators[a].count == 1 && accumulators[a].digest.count == 0 {
                            accumulators[a].digest = RowColumns.singleValueDigest(accumulators[a].min)
                        }
                        source.merge(row: i, into: &accumulators[a])
                    }
                } else {
                    accumulators.append(FieldAggregate(count: source.counts[i], sum: source.sums[i], min: source.mins[i], max: source.maxes[i],
                                                       digest: source.storedDigest(at: i)))
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
