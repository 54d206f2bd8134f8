import CStrataSupport
import StrataCore
import StrataIO

/// The in-memory 1-minute aggregation: parsed points go to series (measurement + canonical sorted tag
/// set → a dense head-local id), and each (series, UTC minute) keeps one ``FieldAggregate`` per numeric
/// field.
///
/// Not thread-safe on its own: the ``Engine`` serialises access. Boolean fields aggregate as 0/1; string
/// fields are not aggregated and are counted in ``Statistics/stringFieldsIgnored``; NaN and infinite
/// values are counted in ``Statistics/nonFiniteValuesIgnored``.
struct Head: Sendable {
    /// Counters since the head was created.
    struct Statistics: Sendable, Equatable {
        var pointsAccepted = 0
        var valuesAggregated = 0
        var stringFieldsIgnored = 0
        var nonFiniteValuesIgnored = 0
        var rejected: [IngestRejection.Reason: Int] = [:]
    }

    private(set) var statistics = Statistics()
    var limits: HeadLimits
    /// The series caps, shared with the other shards of the same head (see ``SeriesBudget``).
    let budget: SeriesBudget

    /// Canonical series key → head-local series id, with each series' most recent bucket.
    private var series = HeadSeriesTable()
    /// Measurement of each series, and this head's series per measurement (what it gives back to the
    /// budget when a drain drops series).
    private var seriesMeasurement: [String] = []
    private var seriesPerMeasurement: [String: Int] = [:]
    /// Field name → head-local field id.
    private var fieldNames = ByteKeyTable(capacity: 64)
    private var fieldCache = FieldKeyCache()
    private var bucketIndex = HeadBucketIndex()
    private var buckets = HeadArray<HeadBucket>(capacity: 4096)
    /// Count, sum, min and max of every bucket's fields, chained per bucket in field order (see
    /// ``HeadBucket``); a new bucket's fields are allocated side by side, so they share cache lines.
    private var summaries = HeadArray<FieldSummary>(capacity: 16_384)
    /// The t-digests of the states with more values than fit inline (``FieldSummary/digest``), made by
    /// ``foldPendingValues()``.
    private var digests: [TDigest] = []
    /// Values beyond the inline ones of their state, not yet in its digest: digest updates are batched
    /// and applied in state order (``foldPendingValues()``), which turns one random memory access per
    /// value into a sequential pass.
    private var pending = HeadArray<PendingValue>(capacity: 1 << 16)
    /// Pending values are folded into digests once this many accumulate (64 MiB of them): each fold
    /// passes over every state of the head and grows the digests it adds to, so fewer, larger folds
    /// cost less on a live stream whose minutes hold hundreds of thousands of states.
    static let foldThreshold = 1 << 22
    /// Scratch: per point of the current chunk, its series id, then its bucket index (-1: skipped).
    private var chunkSeries = HeadArray<Int32>(capacity: Head.chunkSize)
    /// Scratch for canonical keys of points with new series or tag orders.
    private var canonicalScratch = HeadArray<UInt8>(capacity: 1_024)
    private var tagOrderScratch = HeadArray<Int32>(capacity: 64)
    /// Field ids of the current point's fields (`UInt32.max` for string fields): reused while points
    /// repeat the previous point's field keys, as nearly all do.
    private var pointFieldIDs: [UInt32] = []

    init(limits: HeadLimits, budget: SeriesBudget = SeriesBudget()) {
        self.limits = limits
        self.budget = budget
    }

    /// Zeroes the counters (after WAL replay, so they count only this run's writes).
    mutating func resetStatistics() { statistics = Statistics() }

    /// Number of series the head has seen.
    var seriesCount: Int { series.count }
    /// Number of open (series, minute) buckets.
    var bucketCount: Int { buckets.count }

    /// Aggregates every point of `batch`; returns the points refused (future/old timestamps, series caps).
    /// - Parameters:
    ///   - keys: the batch's series keys, when the caller built them already (outside its lock).
    ///   - nowSeconds: the engine clock, Unix seconds.
    ///   - walFile: the WAL file the batch was logged in (see ``HeadBucket/firstWALFile``).
    ///   - skippingMinutesBefore: on WAL replay, points of minutes before this are already in segments
    ///     and are skipped silently.
    ///   - only: the indices (ascending) of the points to aggregate, when not all of them (a shard's
    ///     share of the batch, see ``ShardedHead``).
    mutating func apply(
        _ batch: ParsedBatch, keys: SeriesKeyBatch? = nil, only: HeadArray<Int32>? = nil, nowSeconds: Int64, walFile: UInt64,
        skippingMinutesBefore: Int64 = Int64.min
    ) -> [IngestRejection] {
        let keys = keys ?? SeriesKeyBatch(batch)
        precondition(keys.count == batch.points.count, "series keys of another batch")
        var rejections: [IngestRejection] = []
        batch.bytes.withUnsafeBytes { bytes in
            batch.points.withUnsafeBufferPointer { points in
                batch.tags.withUnsafeBufferPointer { tags in
                    batch.fields.withUnsafeBufferPointer { fields in
                        let text = BatchText(bytes: bytes, points: points, tags: tags, fields: fields)
                        if let only {
                            only.withUnsafeBufferPointer { indices in
                                applyPoints(batch, text, keys, PointSelection(indices: indices), nowSeconds: nowSeconds, walFile: walFile,
                                            skippingMinutesBefore: skippingMinutesBefore, rejections: &rejections)
                            }
                        } else {
                            applyPoints(batch, text, keys, PointSelection(all: batch.points.count), nowSeconds: nowSeconds,
                                        walFile: walFile, skippingMinutesBefore: skippingMinutesBefore, rejections: &rejections)
                        }
                    }
                }
            }
        }
        return rejections
    }

    /// Points are taken in chunks, each in passes that first prefetch what the next pass reads (hash
    /// slots; keys and series records; latest buckets; field states), so the cache misses of a chunk's
    /// points overlap instead of following one another.
    private mutating func applyPoints(
        _ batch: ParsedBatch, _ text: BatchText, _ keys: SeriesKeyBatch, _ selection: PointSelection, nowSeconds: Int64, walFile: UInt64,
        skippingMinutesBefore: Int64, rejections: inout [IngestRejection]
    ) {
        let maxFuture = limits.maxFutureSeconds
        let maxAge = limits.maxAgeSeconds
        var previousFieldStart = -1
        let points = text.points
        var chunkStart = 0
        // Positions in the selection; `selection[p]` is the point's index in the batch.
        while chunkStart < selection.count {
            let chunkEnd = min(chunkStart + Self.chunkSize, selection.count)
            for p in chunkStart..<chunkEnd {
                let i = selection[p]
                series.prefetchSlot(hash: keys.hashes[i])
                strata_prefetch(text.points.baseAddress! + i)
                strata_prefetch(text.bytes.baseAddress! + Int(keys.starts[i]))
            }
            for p in chunkStart..<chunkEnd {
                let i = selection[p]
                series.prefetchSeries(hash: keys.hashes[i])
                // A point's fields span two or three cache lines; its key usually two.
                let fieldStart = Int(text.points[i].fieldStart), fieldCount = Int(text.points[i].fieldCount)
                strata_prefetch(text.fields.baseAddress! + fieldStart)
                if fieldCount > 1 { strata_prefetch(text.fields.baseAddress! + (fieldStart + fieldCount - 1)) }
                strata_prefetch(text.bytes.baseAddress! + (Int(keys.ends[i]) - 1))
            }
            // Checks and series resolution, in point order (rejections and series admission are ordered).
            chunkSeries.removeAll()
            for p in chunkStart..<chunkEnd {
                let i = selection[p]
                let point = points[i]
                chunkSeries.append(-1)
                let seconds = Granularity.minute.bucketStart(ofNanoseconds: point.timestamp)
                if seconds < skippingMinutesBefore { continue }
                if point.timestamp / 1_000_000_000 > nowSeconds + maxFuture {
                    reject(&rejections, line: point.line, .timestampInFuture(limitSeconds: maxFuture))
                    continue
                }
                if let maxAge, seconds + 60 <= nowSeconds - maxAge {
                    reject(&rejections, line: point.line, .timestampTooOld(limitSeconds: maxAge))
                    continue
                }
                if !text.hasNumericField(point) {
                    statistics.stringFieldsIgnored += Int(point.fieldCount)
                    statistics.pointsAccepted += 1
                    continue
                }
                let seriesID: UInt32
                if let existing = series.id(of: keys.key(i, in: text.bytes), hash: keys.hashes[i]) {
                    seriesID = existing
                } else {
                    let resolved = resolveSeries(point, i, batch, text, keys)
                    guard let id = resolved.id else {
                        reject(&rejections, line: point.line, resolved.refusal!)
                        continue
                    }
                    seriesID = id
                }
                chunkSeries[p - chunkStart] = Int32(seriesID)
                let record = series.records[Int(seriesID)]
                strata_prefetch(buckets.address(Int(record.recentBucket)))
                // A point off its series' latest bucket looks up or inserts in the bucket index.
                if record.recentMinute != seconds { bucketIndex.prefetch(series: seriesID, minute: seconds) }
            }
            // Buckets.
            for p in chunkStart..<chunkEnd where chunkSeries[p - chunkStart] >= 0 {
                let seconds = Granularity.minute.bucketStart(ofNanoseconds: points[selection[p]].timestamp)
                let bucket = bucketFor(series: UInt32(chunkSeries[p - chunkStart]), minute: seconds, walFile: walFile)
                chunkSeries[p - chunkStart] = Int32(bucket)
                let first = buckets[bucket].firstState
                if first >= 0 { strata_prefetch(summaries.address(Int(first))) }
            }
            // Fields.
            for p in chunkStart..<chunkEnd where chunkSeries[p - chunkStart] >= 0 {
                let i = selection[p]
                let fieldStart = Int(points[i].fieldStart)
                let fieldCount = Int(points[i].fieldCount)
                if previousFieldStart < 0 || !text.sameFieldKeys(fieldStart, previousFieldStart, count: fieldCount, previousCount: pointFieldIDs.count) {
                    resolveFieldIDs(text, fieldStart: fieldStart, count: fieldCount)
                }
                previousFieldStart = fieldStart
                aggregateFields(text, fieldStart: fieldStart, into: Int(chunkSeries[p - chunkStart]))
                statistics.pointsAccepted += 1
            }
            chunkStart = chunkEnd
        }
    }

    /// Points per prefetch chunk (see ``applyPoints``).
    static let chunkSize = 16

    private mutating func reject(_ list: inout [IngestRejection], line: Int32, _ reason: IngestRejection.Reason) {
        list.append(IngestRejection(line: Int(line), reason: reason))
        statistics.rejected[reason, default: 0] += 1
    }

    /// Fills `pointFieldIDs` for the fields at `fieldStart..<fieldStart + count`.
    private mutating func resolveFieldIDs(_ text: BatchText, fieldStart: Int, count: Int) {
        pointFieldIDs.removeAll(keepingCapacity: true)
        for i in fieldStart..<(fieldStart + count) {
            let field = text.fields[i]
            guard field.kind != .string else {
                pointFieldIDs.append(UInt32.max)
                continue
            }
            let key = text.bytes(field.key)
            let fieldID: UInt32
            if let cached = fieldCache.id(of: key) {
                fieldID = cached
            } else {
                fieldID = fieldNames.insert(Array(key), range: 0..<key.count).id
                fieldCache.insert(key, id: fieldID)
            }
            pointFieldIDs.append(fieldID)
        }
    }

    /// The series of point `index`, whose input-order key the series table does not know: found by
    /// its canonical key (then the input-order key becomes an alias), or admitted as a new series.
    @inline(never)
    private mutating func resolveSeries(
        _ point: ParsedPoint, _ index: Int, _ batch: ParsedBatch, _ text: BatchText, _ keys: SeriesKeyBatch
    ) -> (id: UInt32?, refusal: IngestRejection.Reason?) {
        let inputKey = keys.key(index, in: text.bytes)
        canonicalScratch.removeAll()
        SeriesKeyBatch.appendCanonicalKey(point, text: text.bytes, tags: text.tags, to: canonicalScratch, order: tagOrderScratch)
        let canonical = canonicalScratch.bytes(0..<canonicalScratch.count)
        let isCanonical = bytesEqual(canonical, inputKey)
        let canonicalHash = isCanonical ? keys.hashes[index] : HeadSeriesTable.hash(canonical)
        let seriesID: UInt32
        if !isCanonical, let existing = series.id(of: canonical, hash: canonicalHash) {
            seriesID = existing
        } else {
            if let refusal = admitNewSeries(point, in: batch) { return (nil, refusal) }
            seriesID = series.insert(canonical, hash: canonicalHash)
            seriesMeasurement.append(batch.string(point.measurement))
        }
        // Bounded: a client that sends every tag order of every series gets the canonical lookup above
        // for orders beyond the first alias per series, not an ever-growing table.
        if !isCanonical && series.aliasCount < series.count + Self.spareAliases {
            series.insertAlias(inputKey, hash: keys.hashes[index], id: seriesID)
        }
        return (seriesID, nil)
    }

    /// Aliases allowed beyond one per series (see ``resolveSeries``).
    static let spareAliases = 4_096

    private mutating func admitNewSeries(_ point: ParsedPoint, in batch: ParsedBatch) -> IngestRejection.Reason? {
        let tagStart = Int(point.tagStart)
        for i in tagStart..<(tagStart + Int(point.tagCount)) where batch.string(batch.tags[i].key) == Projection.tagKey {
            return .reservedTag(key: Projection.tagKey)
        }
        let measurement = batch.string(point.measurement)
        if let refusal = budget.admit(measurement: measurement, limits: limits) { return refusal }
        seriesPerMeasurement[measurement, default: 0] += 1
        return nil
    }

    /// The bucket of (`seriesID`, `minute`), created when missing. A series' record holds its latest
    /// bucket, which is where nearly every point goes; a later minute is a new bucket without a lookup
    /// (no bucket of the series is later than its latest), and only earlier minutes search the index.
    @inline(__always)
    private mutating func bucketFor(series seriesID: UInt32, minute: Int64, walFile: UInt64) -> Int {
        let s = Int(seriesID)
        let recent = series.records[s]
        if recent.recentMinute == minute { return Int(recent.recentBucket) }
        if minute < recent.recentMinute, let existing = bucketIndex.bucket(series: seriesID, minute: minute) {
            return Int(existing)
        }
        let index = buckets.count
        buckets.append(HeadBucket(series: seriesID, minute: minute, firstWALFile: walFile))
        bucketIndex.insert(series: seriesID, minute: minute, bucket: Int32(index))
        if minute > recent.recentMinute {
            series.records[s].recentMinute = minute
            series.records[s].recentBucket = Int32(index)
        }
        return index
    }

    @inline(__always)
    private mutating func aggregateFields(_ text: BatchText, fieldStart: Int, into bucket: Int) {
        // Fields usually arrive in the order of the bucket's chain: look after the last match first.
        var hint: Int32 = buckets[bucket].firstState
        for j in 0..<pointFieldIDs.count {
            let field = text.fields[fieldStart + j]
            let value: Double
            switch field.kind {
            case .float: value = Double(bitPattern: field.bits)
            case .integer: value = Double(Int64(bitPattern: field.bits))
            case .unsigned: value = Double(field.bits)
            case .boolean: value = field.bits == 0 ? 0 : 1
            case .string:
                statistics.stringFieldsIgnored += 1
                continue
            }
            guard value.isFinite else {
                statistics.nonFiniteValuesIgnored += 1
                continue
            }
            let fieldID = pointFieldIDs[j]
            var index: Int32
            if hint >= 0 && summaries[Int(hint)].field == fieldID {
                index = hint
            } else {
                index = buckets[bucket].firstState
                var last: Int32 = -1
                while index >= 0 && summaries[Int(index)].field != fieldID {
                    last = index
                    index = summaries[Int(index)].next
                }
                if index < 0 {
                    index = Int32(summaries.count)
                    summaries.append(FieldSummary(field: fieldID))
                    if last >= 0 { summaries[Int(last)].next = index } else { buckets[bucket].firstState = index }
                }
            }
            if !summaries[Int(index)].add(value) { pending.append(PendingValue(state: index, value: value)) }
            hint = summaries[Int(index)].next
            statistics.valuesAggregated += 1
        }
        if pending.count >= Self.foldThreshold { foldPendingValues() }
    }

    /// Adds every pending value to its state's digest, grouped by state (a counting sort by state
    /// index, then one pass over the states in memory order). A state's first pending values give it
    /// its digest, which starts with its inline values.
    mutating func foldPendingValues() {
        guard !pending.isEmpty else { return }
        let stateCount = summaries.count
        // Counting sort of the pending values by state: offsets[s]..<offsets[s + 1] are state s's values.
        var offsets = [Int32](repeating: 0, count: stateCount + 1)
        var grouped = [Double](repeating: 0, count: pending.count)
        pending.withUnsafeBufferPointer { pending in
            offsets.withUnsafeMutableBufferPointer { offsets in
                for entry in pending { offsets[Int(entry.state) + 1] += 1 }
                for i in 0..<stateCount { offsets[i + 1] += offsets[i] }
                var cursor = Array(offsets)
                cursor.withUnsafeMutableBufferPointer { cursor in
                    grouped.withUnsafeMutableBufferPointer { grouped in
                        for entry in pending {
                            let state = Int(entry.state)
                            grouped[Int(cursor[state])] = entry.value
                            cursor[state] += 1
                        }
                    }
                }
            }
        }
        offsets.withUnsafeBufferPointer { offsets in
            for state in 0..<stateCount where offsets[state] < offsets[state + 1] && summaries[state].digest < 0 {
                summaries[state].digest = Int32(digests.count)
                digests.append(summaries[state].inlineDigest())
            }
            grouped.withUnsafeBufferPointer { grouped in
                summaries.withUnsafeBufferPointer { summaries in
                    digests.withUnsafeMutableBufferPointer { digests in
                        for state in 0..<stateCount where offsets[state] < offsets[state + 1] {
                            let values = UnsafeBufferPointer(rebasing: grouped[Int(offsets[state])..<Int(offsets[state + 1])])
                            digests[Int(summaries[state].digest)].add(contentsOf: values)
                        }
                    }
                }
            }
        }
        pending.removeAll()
    }

    // MARK: - Draining

    /// Removes and returns, as rows, every bucket whose minute starts before `cutoffSeconds`.
    mutating func drain(before cutoffSeconds: Int64) -> [BucketRow] {
        drainBuckets(before: cutoffSeconds).rows()
    }

    /// Removes every bucket whose minute starts before `cutoffSeconds` and returns them unconverted:
    /// cheap (array moves and the rebuild of what stays), so callers holding a lock convert the
    /// drained buckets to rows after releasing it. The set keeps the head's old state arrays; the head
    /// continues with new ones.
    mutating func drainBuckets(before cutoffSeconds: Int64) -> HeadBucketSet {
        foldPendingValues()
        var drained: [HeadBucket] = []
        var kept: [HeadBucket] = []
        kept.reserveCapacity(buckets.count)
        buckets.withUnsafeBufferPointer { buckets in
            for bucket in buckets {
                if bucket.minute < cutoffSeconds { drained.append(bucket) } else { kept.append(bucket) }
            }
        }
        let set = HeadBucketSet(buckets: drained, summaries: summaries, digests: digests, series: series, fieldNames: fieldNames)
        rebuild(keeping: kept)
        return set
    }

    /// Rebuilds the series table and state arrays around the buckets that stay, so that series with no
    /// open bucket stop counting against the series caps ("active series" are those with data in the
    /// head). Everything is built new: a drained ``HeadBucketSet`` may still read the old arrays.
    private mutating func rebuild(keeping keptBuckets: [HeadBucket]) {
        precondition(pending.isEmpty, "fold pending values before rebuilding the head")
        // Copy the kept buckets' chains, each bucket's states side by side.
        var kept = keptBuckets
        let newSummaries = HeadArray<FieldSummary>(capacity: max(16_384, kept.count * 3))
        var newDigests: [TDigest] = []
        for b in kept.indices {
            var index = kept[b].firstState
            var previous: Int32 = -1
            while index >= 0 {
                var entry = summaries[Int(index)]
                let next = entry.next
                entry.next = -1
                if entry.digest >= 0 {
                    newDigests.append(digests[Int(entry.digest)])
                    entry.digest = Int32(newDigests.count - 1)
                }
                newSummaries.append(entry)
                let position = Int32(newSummaries.count - 1)
                if previous >= 0 { newSummaries[Int(previous)].next = position } else { kept[b].firstState = position }
                previous = position
                index = next
            }
        }
        summaries = newSummaries
        digests = newDigests
        var newSeries = HeadSeriesTable(capacity: max(4096, kept.count))
        var newMeasurement: [String] = []
        var remap: [UInt32: UInt32] = [:]
        var released = seriesPerMeasurement
        seriesPerMeasurement.removeAll(keepingCapacity: true)
        let newBuckets = HeadArray<HeadBucket>(capacity: max(4096, kept.count))
        bucketIndex = HeadBucketIndex(capacity: max(4096, kept.count))
        for var bucket in kept {
            let old = bucket.series
            if let mapped = remap[old] {
                bucket.series = mapped
            } else {
                let key = series.key(old)
                let mapped = key.withUnsafeBytes { newSeries.insert($0, hash: HeadSeriesTable.hash($0)) }
                remap[old] = mapped
                let measurement = seriesMeasurement[Int(old)]
                newMeasurement.append(measurement)
                seriesPerMeasurement[measurement, default: 0] += 1
                released[measurement, default: 0] -= 1
                bucket.series = mapped
            }
            let index = Int32(newBuckets.count)
            bucketIndex.insert(series: bucket.series, minute: bucket.minute, bucket: index)
            newBuckets.append(bucket)
            // Each series' record points at its latest bucket (see `bucketFor`).
            if bucket.minute > newSeries.records[Int(bucket.series)].recentMinute {
                newSeries.records[Int(bucket.series)].recentMinute = bucket.minute
                newSeries.records[Int(bucket.series)].recentBucket = index
            }
        }
        series = newSeries
        seriesMeasurement = newMeasurement
        buckets = newBuckets
        budget.release(released)
    }

    /// Copies of every bucket as rows (for queries over the head), optionally only from `minSeconds` on.
    mutating func rows(from minSeconds: Int64 = Int64.min) -> [BucketRow] {
        foldPendingValues()
        var selected: [HeadBucket] = []
        buckets.withUnsafeBufferPointer { selected = $0.filter { $0.minute >= minSeconds } }
        return HeadBucketSet(buckets: selected, summaries: summaries, digests: digests, series: series, fieldNames: fieldNames).rows()
    }

    /// The latest minute boundary at or before `limit` such that at most `maxBuckets` buckets start
    /// before it, but never less than one whole minute past the oldest bucket (so a flush always makes
    /// progress). Draining before it flushes the oldest minutes first, in bounded chunks.
    func cutoff(before limit: Int64, atMostBuckets maxBuckets: Int) -> Int64 {
        var perMinute: [Int64: Int] = [:]
        countBucketsPerMinute(before: limit, into: &perMinute)
        return Self.cutoff(perMinute: perMinute, before: limit, atMostBuckets: maxBuckets)
    }

    /// Adds the number of buckets of each minute before `limit` to `perMinute`.
    func countBucketsPerMinute(before limit: Int64, into perMinute: inout [Int64: Int]) {
        buckets.withUnsafeBufferPointer { buckets in
            for bucket in buckets where bucket.minute < limit { perMinute[bucket.minute, default: 0] += 1 }
        }
    }

    /// ``cutoff(before:atMostBuckets:)`` from the bucket counts per minute.
    static func cutoff(perMinute: [Int64: Int], before limit: Int64, atMostBuckets maxBuckets: Int) -> Int64 {
        let minutes = perMinute.keys.sorted()
        guard let first = minutes.first else { return limit }
        var taken = perMinute[first]!
        var cutoff = first + 60
        for minute in minutes.dropFirst() {
            taken += perMinute[minute]!
            if taken > maxBuckets { return min(cutoff, limit) }
            cutoff = minute + 60
        }
        return limit
    }

    /// The smallest WAL file number any open bucket depends on, or nil when the head is empty.
    var oldestWALFileInUse: UInt64? { buckets.withUnsafeBufferPointer { $0.lazy.map(\.firstWALFile).min() } }

    /// The earliest and latest open minute, or nil when empty.
    var minuteRange: ClosedRange<Int64>? {
        buckets.withUnsafeBufferPointer { buckets in
            guard let low = buckets.lazy.map(\.minute).min(), let high = buckets.lazy.map(\.minute).max() else { return nil }
            return low...high
        }
    }

}

/// The points of a batch that one ``Head/apply`` aggregates: all of them, or the listed indices.
private struct PointSelection {
    let indices: UnsafeBufferPointer<Int32>?
    let count: Int

    init(indices: UnsafeBufferPointer<Int32>) {
        self.indices = indices
        count = indices.count
    }

    init(all count: Int) {
        indices = nil
        self.count = count
    }

    /// The batch index of the point at `position`.
    @inline(__always)
    subscript(position: Int) -> Int { indices.map { Int($0[position]) } ?? position }
}

/// Raw views of a parsed batch's text, tags and fields for the duration of ``Head/apply``.
private struct BatchText {
    let bytes: UnsafeRawBufferPointer
    let points: UnsafeBufferPointer<ParsedPoint>
    let tags: UnsafeBufferPointer<ParsedTag>
    let fields: UnsafeBufferPointer<ParsedField>

    @inline(__always)
    func bytes(_ range: ByteRange) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[Int(range.start)..<(Int(range.start) + Int(range.count))])
    }

    /// Whether `point` has a field that is not a string.
    @inline(__always)
    func hasNumericField(_ point: ParsedPoint) -> Bool {
        let start = Int(point.fieldStart)
        for i in start..<(start + Int(point.fieldCount)) where fields[i].kind != .string { return true }
        return false
    }

    /// Whether the `count` fields at `start` have the same keys, in order, as the `previousCount`
    /// fields at `previousStart`.
    @inline(__always)
    func sameFieldKeys(_ start: Int, _ previousStart: Int, count: Int, previousCount: Int) -> Bool {
        guard count == previousCount else { return false }
        for j in 0..<count {
            let a = fields[start + j], b = fields[previousStart + j]
            if (a.kind == .string) != (b.kind == .string) { return false }
            if !bytesEqual(bytes(a.key), bytes(b.key)) { return false }
        }
        return true
    }
}
