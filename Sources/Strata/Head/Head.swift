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

    /// Canonical series key → head-local series id.
    private var series = ByteKeyTable(capacity: 4096)
    /// Measurement of each series (for the per-measurement cap).
    private var seriesMeasurement: [String] = []
    private var seriesPerMeasurement: [String: Int] = [:]
    /// Field name → head-local field id.
    private var fieldNames = ByteKeyTable(capacity: 64)
    /// Fast path: the minute and bucket index a series last wrote to.
    private var recent: [RecentBucket] = []
    private var bucketIndex: [BucketKey: Int32] = [:]
    private var buckets: [HeadBucket] = []
    /// Per-field aggregates of all buckets, chained per bucket in field order (see ``HeadBucket``); a new
    /// bucket's fields are allocated side by side, so one bucket's states share cache lines.
    private var states: [FieldState] = []
    private var fieldCache = FieldKeyCache()
    /// Values added to `states[i]`'s count/sum/min/max but not yet to its digest: digest updates are
    /// batched and applied in state order (``foldPendingValues()``), which turns one random memory
    /// access per value into a sequential pass.
    private var pendingState: [Int32] = []
    private var pendingValue: [Double] = []
    /// Pending values are folded into digests once this many accumulate.
    static let foldThreshold = 1 << 16
    /// Scratch for building canonical keys without allocating per line.
    private var keyScratch: [UInt8] = []
    private var tagOrder: [Int] = []

    init(limits: HeadLimits) {
        self.limits = limits
        keyScratch.reserveCapacity(512)
    }

    /// Zeroes the counters (after WAL replay, so they count only this run's writes).
    mutating func resetStatistics() { statistics = Statistics() }

    /// Number of series the head has seen.
    var seriesCount: Int { series.count }
    /// Number of open (series, minute) buckets.
    var bucketCount: Int { buckets.count }

    /// Aggregates every point of `batch`; returns the points refused (future/old timestamps, series caps).
    /// - Parameters:
    ///   - nowSeconds: the engine clock, Unix seconds.
    ///   - walFile: the WAL file the batch was logged in (see ``HeadBucket/firstWALFile``).
    ///   - skippingMinutesBefore: on WAL replay, points of minutes before this are already in segments
    ///     and are skipped silently.
    mutating func apply(_ batch: ParsedBatch, nowSeconds: Int64, walFile: UInt64, skippingMinutesBefore: Int64 = Int64.min) -> [IngestRejection] {
        var rejections: [IngestRejection] = []
        let maxFuture = limits.maxFutureSeconds
        let maxAge = limits.maxAgeSeconds
        for point in batch.points {
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
            if !hasNumericField(point, in: batch) {
                statistics.stringFieldsIgnored += Int(point.fieldCount)
                statistics.pointsAccepted += 1
                continue
            }
            buildCanonicalKey(point, in: batch)
            let keyRange = 0..<keyScratch.count
            let seriesID: UInt32
            if let existing = series.id(of: keyScratch, range: keyRange) {
                seriesID = existing
            } else {
                if let refusal = admitNewSeries(point, in: batch) {
                    reject(&rejections, line: point.line, refusal)
                    continue
                }
                seriesID = series.insert(keyScratch, range: keyRange).id
                seriesMeasurement.append(batch.string(point.measurement))
            }
            let bucket = bucketFor(series: seriesID, minute: seconds, walFile: walFile)
            aggregateFields(point, in: batch, into: bucket)
            statistics.pointsAccepted += 1
        }
        return rejections
    }

    private mutating func reject(_ list: inout [IngestRejection], line: Int32, _ reason: IngestRejection.Reason) {
        list.append(IngestRejection(line: Int(line), reason: reason))
        statistics.rejected[reason, default: 0] += 1
    }

    private func hasNumericField(_ point: ParsedPoint, in batch: ParsedBatch) -> Bool {
        let start = Int(point.fieldStart)
        for i in start..<(start + Int(point.fieldCount)) where batch.fields[i].kind != .string { return true }
        return false
    }

    /// Writes the canonical key of `point` into `keyScratch` (see ``SeriesKey``).
    private mutating func buildCanonicalKey(_ point: ParsedPoint, in batch: ParsedBatch) {
        keyScratch.removeAll(keepingCapacity: true)
        appendLengthPrefixed(batch.bytes, point.measurement)
        let tagStart = Int(point.tagStart)
        let tagCount = Int(point.tagCount)
        if tagCount == 0 { return }
        tagOrder.removeAll(keepingCapacity: true)
        var sorted = true
        for i in tagStart..<(tagStart + tagCount) {
            if let previous = tagOrder.last, !keyPrecedes(batch.tags[previous].key, batch.tags[i].key, batch.bytes) {
                sorted = false
            }
            tagOrder.append(i)
        }
        if !sorted {
            let bytes = batch.bytes
            let tags = batch.tags
            // Stable sort keeps input order among equal keys; the last of equal keys wins below.
            tagOrder.sort { a, b in
                keyPrecedes(tags[a].key, tags[b].key, bytes) || (!keyPrecedes(tags[b].key, tags[a].key, bytes) && a < b)
            }
        }
        for (position, index) in tagOrder.enumerated() {
            if position + 1 < tagOrder.count, keysEqual(batch.tags[index].key, batch.tags[tagOrder[position + 1]].key, batch.bytes) {
                continue  // a repeated tag key: the last occurrence wins
            }
            appendLengthPrefixed(batch.bytes, batch.tags[index].key)
            appendLengthPrefixed(batch.bytes, batch.tags[index].value)
        }
    }

    private mutating func appendLengthPrefixed(_ bytes: [UInt8], _ range: ByteRange) {
        var length = UInt64(range.count)
        while length >= 0x80 {
            keyScratch.append(UInt8(truncatingIfNeeded: length) | 0x80)
            length >>= 7
        }
        keyScratch.append(UInt8(length))
        let start = Int(range.start)
        keyScratch.append(contentsOf: bytes[start..<(start + Int(range.count))])
    }

    private mutating func admitNewSeries(_ point: ParsedPoint, in batch: ParsedBatch) -> IngestRejection.Reason? {
        let tagStart = Int(point.tagStart)
        for i in tagStart..<(tagStart + Int(point.tagCount)) where batch.string(batch.tags[i].key) == Projection.tagKey {
            return .reservedTag(key: Projection.tagKey)
        }
        if series.count >= limits.maxSeries { return .seriesLimit(limit: limits.maxSeries) }
        let measurement = batch.string(point.measurement)
        let current = seriesPerMeasurement[measurement, default: 0]
        if current >= limits.maxSeriesPerMeasurement {
            return .measurementSeriesLimit(measurement: measurement, limit: limits.maxSeriesPerMeasurement)
        }
        seriesPerMeasurement[measurement] = current + 1
        return nil
    }

    private mutating func bucketFor(series seriesID: UInt32, minute: Int64, walFile: UInt64) -> Int {
        let s = Int(seriesID)
        while recent.count <= s { recent.append(RecentBucket()) }
        if recent[s].minute == minute { return Int(recent[s].bucket) }
        let key = BucketKey(series: seriesID, minute: minute)
        let index: Int
        if let existing = bucketIndex[key] {
            index = Int(existing)
        } else {
            index = buckets.count
            buckets.append(HeadBucket(series: seriesID, minute: minute, firstWALFile: walFile))
            bucketIndex[key] = Int32(index)
        }
        if minute >= recent[s].minute { recent[s] = RecentBucket(minute: minute, bucket: Int32(index)) }
        return index
    }

    private mutating func aggregateFields(_ point: ParsedPoint, in batch: ParsedBatch, into bucket: Int) {
        let start = Int(point.fieldStart)
        for i in start..<(start + Int(point.fieldCount)) {
            let field = batch.fields[i]
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
            let keyStart = Int(field.key.start)
            let keyRange = keyStart..<(keyStart + Int(field.key.count))
            let fieldID: UInt32
            if let cached = fieldCache.id(of: batch.bytes, keyRange) {
                fieldID = cached
            } else {
                fieldID = fieldNames.insert(batch.bytes, range: keyRange).id
                fieldCache.insert(batch.bytes, keyRange, id: fieldID)
            }
            var index = buckets[bucket].firstState
            var last: Int32 = -1
            while index >= 0 && states[Int(index)].field != fieldID {
                last = index
                index = states[Int(index)].next
            }
            if index >= 0 {
                states[Int(index)].aggregate.addSummary(value)
                pendingState.append(index)
                pendingValue.append(value)
            } else {
                let new = Int32(states.count)
                var aggregate = FieldAggregate()
                aggregate.addSummary(value)
                states.append(FieldState(aggregate: aggregate, field: fieldID, next: -1))
                pendingState.append(new)
                pendingValue.append(value)
                if last >= 0 { states[Int(last)].next = new } else { buckets[bucket].firstState = new }
            }
            statistics.valuesAggregated += 1
        }
        if pendingState.count >= Self.foldThreshold { foldPendingValues() }
    }

    /// Adds every pending value to its state's digest, grouped by state (a counting sort by state
    /// index, then one pass over the states in memory order).
    mutating func foldPendingValues() {
        guard !pendingState.isEmpty else { return }
        var offsets = [Int32](repeating: 0, count: states.count + 1)
        for index in pendingState { offsets[Int(index) + 1] += 1 }
        for i in 0..<states.count { offsets[i + 1] += offsets[i] }
        var cursor = offsets
        var grouped = [Double](repeating: 0, count: pendingValue.count)
        for (i, index) in pendingState.enumerated() {
            let position = Int(cursor[Int(index)])
            grouped[position] = pendingValue[i]
            cursor[Int(index)] += 1
        }
        for state in 0..<states.count where offsets[state] < offsets[state + 1] {
            for position in Int(offsets[state])..<Int(offsets[state + 1]) { states[state].aggregate.digest.add(grouped[position]) }
        }
        pendingState.removeAll(keepingCapacity: true)
        pendingValue.removeAll(keepingCapacity: true)
    }

    // MARK: - Draining

    /// Removes and returns, as rows, every bucket whose minute starts before `cutoffSeconds`.
    mutating func drain(before cutoffSeconds: Int64) -> [BucketRow] {
        drainBuckets(before: cutoffSeconds).rows()
    }

    /// Removes every bucket whose minute starts before `cutoffSeconds` and returns them unconverted:
    /// cheap (array moves and the rebuild of what stays), so callers holding a lock convert the
    /// drained buckets to rows after releasing it.
    mutating func drainBuckets(before cutoffSeconds: Int64) -> HeadBucketSet {
        foldPendingValues()
        var drained: [HeadBucket] = []
        var kept: [HeadBucket] = []
        kept.reserveCapacity(buckets.count)
        for bucket in buckets {
            if bucket.minute < cutoffSeconds { drained.append(bucket) } else { kept.append(bucket) }
        }
        let set = HeadBucketSet(buckets: drained, states: states, series: series, fieldNames: fieldNames)
        rebuild(keeping: kept)
        return set
    }

    /// Rebuilds the series table around the buckets that stay, so that series with no open bucket stop
    /// counting against the series caps ("active series" are those with data in the head).
    private mutating func rebuild(keeping keptBuckets: [HeadBucket]) {
        precondition(pendingState.isEmpty, "fold pending values before rebuilding the head")
        // Compact the state arrays to the kept buckets' chains.
        var kept = keptBuckets
        var newStates: [FieldState] = []
        for b in kept.indices {
            var index = kept[b].firstState
            var previous: Int32 = -1
            while index >= 0 {
                var entry = states[Int(index)]
                let next = entry.next
                entry.next = -1
                newStates.append(entry)
                let position = Int32(newStates.count - 1)
                if previous >= 0 { newStates[Int(previous)].next = position } else { kept[b].firstState = position }
                previous = position
                index = next
            }
        }
        states = newStates
        var newSeries = ByteKeyTable(capacity: max(4096, kept.count))
        var newMeasurement: [String] = []
        var remap: [UInt32: UInt32] = [:]
        seriesPerMeasurement.removeAll(keepingCapacity: true)
        buckets = kept
        for i in buckets.indices {
            let old = buckets[i].series
            if let mapped = remap[old] {
                buckets[i].series = mapped
                continue
            }
            let key = series.key(old)
            let mapped = newSeries.insert(key, range: 0..<key.count).id
            remap[old] = mapped
            let measurement = seriesMeasurement[Int(old)]
            newMeasurement.append(measurement)
            seriesPerMeasurement[measurement, default: 0] += 1
            buckets[i].series = mapped
        }
        series = newSeries
        seriesMeasurement = newMeasurement
        recent = [RecentBucket](repeating: RecentBucket(), count: newMeasurement.count)
        bucketIndex.removeAll(keepingCapacity: true)
        for (index, bucket) in buckets.enumerated() {
            bucketIndex[BucketKey(series: bucket.series, minute: bucket.minute)] = Int32(index)
        }
    }

    /// Copies of every bucket as rows (for queries over the head), optionally only from `minSeconds` on.
    mutating func rows(from minSeconds: Int64 = Int64.min) -> [BucketRow] {
        foldPendingValues()
        return HeadBucketSet(buckets: buckets.filter { $0.minute >= minSeconds }, states: states, series: series, fieldNames: fieldNames).rows()
    }

    /// The smallest WAL file number any open bucket depends on, or nil when the head is empty.
    var oldestWALFileInUse: UInt64? { buckets.lazy.map(\.firstWALFile).min() }

    /// The earliest and latest open minute, or nil when empty.
    var minuteRange: ClosedRange<Int64>? {
        guard let low = buckets.lazy.map(\.minute).min(), let high = buckets.lazy.map(\.minute).max() else { return nil }
        return low...high
    }

}

private func keyPrecedes(_ a: ByteRange, _ b: ByteRange, _ bytes: [UInt8]) -> Bool {
    let aStart = Int(a.start), bStart = Int(b.start)
    let n = min(Int(a.count), Int(b.count))
    for i in 0..<n {
        let x = bytes[aStart + i], y = bytes[bStart + i]
        if x != y { return x < y }
    }
    return a.count < b.count
}

private func keysEqual(_ a: ByteRange, _ b: ByteRange, _ bytes: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    let aStart = Int(a.start), bStart = Int(b.start)
    for i in 0..<Int(a.count) where bytes[aStart + i] != bytes[bStart + i] { return false }
    return true
}
