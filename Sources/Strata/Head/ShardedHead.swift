import Synchronization
import StrataCore

/// The engine's head, split by series into shards that each have a lock of their own, so that
/// concurrent writes aggregate on several cores at once: a write hands each shard its share of the
/// batch's points (``partition(_:)``, computed before any lock) and takes one shard lock at a time,
/// whichever is free first.
///
/// A series always lands in the same shard: the shard follows from a hash of the measurement and the
/// tags that does not depend on the tags' order (the parser refuses repeated tag keys, so equal
/// canonical keys have equal hashes). The series caps are shared through one ``SeriesBudget``.
/// Callers that need the shards to agree with each other (a flush's cut, a query's snapshot) hold the
/// engine's ``CutLock`` exclusively against writers.
final class ShardedHead: Sendable {
    private final class Shard: Sendable {
        let head: Mutex<Head>
        /// The head's bucket count as of its last change, readable without the lock (every write's
        /// backpressure check reads it; taking each shard's lock for it would queue behind writers).
        let bucketCount = Atomic<Int>(0)
        init(_ head: Head) { self.head = Mutex(head) }

        /// Runs `body` on the head under its lock, then republishes the bucket count.
        @inline(__always)
        func mutate<R>(_ body: (inout Head) -> R) -> R {
            head.withLock { head in
                let result = body(&head)
                bucketCount.store(head.bucketCount, ordering: .relaxed)
                return result
            }
        }

        /// ``mutate(_:)`` if the lock is free; nil otherwise.
        @inline(__always)
        func mutateIfAvailable<R>(_ body: (inout Head) -> R) -> R? {
            head.withLockIfAvailable { head in
                let result = body(&head)
                bucketCount.store(head.bucketCount, ordering: .relaxed)
                return result
            }
        }
    }

    private let shards: [Shard]
    let budget: SeriesBudget

    /// A head of `shardCount` shards (at least 1) under `limits`.
    init(shardCount: Int, limits: HeadLimits) {
        let budget = SeriesBudget()
        self.budget = budget
        shards = (0..<max(1, shardCount)).map { _ in Shard(Head(limits: limits, budget: budget)) }
    }

    var shardCount: Int { shards.count }

    // MARK: - Writing

    /// Which points of `batch` each shard takes, in batch order; nil with a single shard (it takes all).
    func partition(_ batch: ParsedBatch) -> [HeadArray<Int32>]? {
        let count = shards.count
        guard count > 1 else { return nil }
        let expected = batch.points.count / count + 64
        let parts = (0..<count).map { _ in HeadArray<Int32>(capacity: expected) }
        batch.bytes.withUnsafeBytes { text in
            batch.tags.withUnsafeBufferPointer { tags in
                batch.points.withUnsafeBufferPointer { points in
                    for (index, point) in points.enumerated() {
                        let hash = Self.seriesHash(point, text: text, tags: tags)
                        parts[Int((hash &* 0x9E37_79B9_7F4A_7C15) >> 32) % count].append(Int32(index))
                    }
                }
            }
        }
        return parts
    }

    /// A hash of `point`'s measurement and tags that is the same whatever the tags' order: the
    /// measurement's first 8 bytes, plus the sum of one hash per tag, of its key's first 8 bytes and
    /// its value's length and first and last 8 bytes. Only the spread over
    /// shards depends on its quality (equal tag sets always hash alike), so it reads a few words per
    /// tag instead of every byte.
    @inline(__always)
    static func seriesHash(_ point: ParsedPoint, text: UnsafeRawBufferPointer, tags: UnsafeBufferPointer<ParsedTag>) -> UInt64 {
        let measurement = Self.word(text, start: Int(point.measurement.start), count: min(Int(point.measurement.count), 8))
        var hash = (measurement ^ UInt64(point.tagCount)) &* 0x9E37_79B9_7F4A_7C15
        let tagStart = Int(point.tagStart)
        for i in tagStart..<(tagStart + Int(point.tagCount)) {
            let key = tags[i].key, value = tags[i].value
            let keyWord = Self.word(text, start: Int(key.start), count: min(Int(key.count), 8))
            let valueEnd = Int(value.start) + Int(value.count)
            let head = Self.word(text, start: Int(value.start), count: min(Int(value.count), 8))
            let tail = value.count > 8 ? Self.word(text, start: valueEnd - 8, count: 8) : 0
            let mixed = (keyWord ^ UInt64(value.count) << 56 ^ tail).multipliedFullWidth(by: head ^ 0xA076_1D64_78BD_642F)
            hash &+= mixed.high ^ mixed.low
        }
        return hash
    }

    /// Up to 8 bytes of `text` from `start`, little-endian (the bytes past `count` as zeros).
    @inline(__always)
    private static func word(_ text: UnsafeRawBufferPointer, start: Int, count: Int) -> UInt64 {
        if start + 8 <= text.count {
            // One load, then the bytes beyond `count` masked off.
            let loaded = UInt64(littleEndian: text.loadUnaligned(fromByteOffset: start, as: UInt64.self))
            return count >= 8 ? loaded : loaded & ((1 << (8 * UInt64(count))) &- 1)
        }
        var word: UInt64 = 0
        for i in 0..<count { word |= UInt64(text[start + i]) << (8 * UInt64(i)) }
        return word
    }

    /// Aggregates the points of `batch` (each shard its share, `partition` from ``partition(_:)``);
    /// returns the refused points in line order and how many points were accepted.
    func apply(
        _ batch: ParsedBatch, keys: SeriesKeyBatch, partition: [HeadArray<Int32>]?, nowSeconds: Int64, walFile: UInt64,
        skippingMinutesBefore: Int64 = Int64.min
    ) -> (rejections: [IngestRejection], pointsAccepted: Int) {
        guard let partition else {
            return shards[0].mutate { head in
                let before = head.statistics.pointsAccepted
                let rejections = head.apply(batch, keys: keys, nowSeconds: nowSeconds, walFile: walFile, skippingMinutesBefore: skippingMinutesBefore)
                return (rejections, head.statistics.pointsAccepted - before)
            }
        }
        precondition(partition.count == shards.count, "a partition for another number of shards")
        var rejections: [IngestRejection] = []
        var accepted = 0
        @inline(__always) func applyShare(_ head: inout Head, _ share: HeadArray<Int32>) {
            let before = head.statistics.pointsAccepted
            rejections += head.apply(batch, keys: keys, only: share, nowSeconds: nowSeconds, walFile: walFile,
                                     skippingMinutesBefore: skippingMinutesBefore)
            accepted += head.statistics.pointsAccepted - before
        }
        // Take free shards first; wait only when every remaining shard is busy.
        var remaining = (0..<shards.count).filter { !partition[$0].isEmpty }
        while !remaining.isEmpty {
            var progressed = false
            remaining.removeAll { s in
                let done = shards[s].mutateIfAvailable { head in applyShare(&head, partition[s]) } != nil
                progressed = progressed || done
                return done
            }
            if !progressed, let first = remaining.first {
                shards[first].mutate { head in applyShare(&head, partition[first]) }
                remaining.removeFirst()
            }
        }
        if shards.count > 1 && !rejections.isEmpty { rejections.sort { $0.line < $1.line } }
        return (rejections, accepted)
    }

    // MARK: - Reading and draining

    /// Counters summed over the shards.
    var statistics: Head.Statistics {
        var total = Head.Statistics()
        for shard in shards {
            let part = shard.head.withLock { $0.statistics }
            total.pointsAccepted += part.pointsAccepted
            total.valuesAggregated += part.valuesAggregated
            total.stringFieldsIgnored += part.stringFieldsIgnored
            total.nonFiniteValuesIgnored += part.nonFiniteValuesIgnored
            total.rejected.merge(part.rejected, uniquingKeysWith: +)
        }
        return total
    }

    /// Zeroes every shard's counters.
    func resetStatistics() { for shard in shards { shard.head.withLock { $0.resetStatistics() } } }

    /// Series in the head.
    var seriesCount: Int { shards.reduce(0) { $0 + $1.head.withLock { $0.seriesCount } } }
    /// Open (series, minute) buckets (each shard's count as of its last change; no locks taken).
    var bucketCount: Int { shards.reduce(0) { $0 + $1.bucketCount.load(ordering: .relaxed) } }

    /// Copies of every bucket as rows, optionally only from `minSeconds` on.
    func rows(from minSeconds: Int64 = Int64.min) -> [BucketRow] {
        shards.flatMap { shard in shard.head.withLock { $0.rows(from: minSeconds) } }
    }

    /// Folds every shard's pending values into their digests (see ``Head/foldPendingValues()``), one
    /// shard at a time, taking only that shard's lock: a flush does this before it holds writers off,
    /// so that its drain has little left to fold.
    func foldPendingValues() {
        for shard in shards { shard.mutate { $0.foldPendingValues() } }
    }

    /// Removes every bucket whose minute starts before `cutoffSeconds`; one set per shard. The shards
    /// drain (and rebuild what stays) half on each of two threads: a flush drains while it holds
    /// writers off (``CutLock``), so this is time every writer waits.
    func drainBuckets(before cutoffSeconds: Int64) -> [HeadBucketSet] {
        guard shards.count > 1 else { return [shards[0].mutate { $0.drainBuckets(before: cutoffSeconds) }] }
        let (even, odd) = onTwoThreads { half in
            stride(from: half, to: shards.count, by: 2).map { s in shards[s].mutate { $0.drainBuckets(before: cutoffSeconds) } }
        }
        return shards.indices.map { s in s % 2 == 0 ? even[s / 2] : odd[s / 2] }
    }

    /// See ``Head/cutoff(before:atMostBuckets:)``; over all shards.
    func cutoff(before limit: Int64, atMostBuckets maxBuckets: Int) -> Int64 {
        var perMinute: [Int64: Int] = [:]
        for shard in shards { shard.head.withLock { $0.countBucketsPerMinute(before: limit, into: &perMinute) } }
        return Head.cutoff(perMinute: perMinute, before: limit, atMostBuckets: maxBuckets)
    }

    /// The earliest and latest open minute, or nil when empty.
    var minuteRange: ClosedRange<Int64>? {
        let ranges = shards.compactMap { shard in shard.head.withLock { $0.minuteRange } }
        guard let low = ranges.map(\.lowerBound).min(), let high = ranges.map(\.upperBound).max() else { return nil }
        return low...high
    }

    /// The smallest WAL file number any open bucket depends on, or nil when the head is empty.
    var oldestWALFileInUse: UInt64? {
        shards.compactMap { shard in shard.head.withLock { $0.oldestWALFileInUse } }.min()
    }
}
