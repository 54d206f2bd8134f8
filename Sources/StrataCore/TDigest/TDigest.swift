/// A merging t-digest (Dunning & Ertl, "Computing Extremely Accurate Quantiles Using t-Digests"):
/// a small sketch of a distribution of `Double` values that answers quantile and CDF queries with
/// a rank error that is smallest in the tails, and that merges with other digests.
///
/// Contracts:
/// - ``count``, ``min`` and ``max`` are exact; weights are exact integers (no float weights), so a
///   digest of billions of values keeps an exact count.
/// - Non-finite values (NaN, ±infinity) passed to ``add(_:)`` / ``add(_:weight:)`` are ignored:
///   they change neither the count nor any statistic. A weight of 0 is ignored too.
/// - While the number of *distinct* values seen is at most ``exactCapacity`` the digest is
///   lossless (``isExact``): centroids are the distinct values with their multiplicities and
///   ``quantile(_:)`` returns an actual data value of the right rank. Beyond that it compresses
///   with the k1 (arcsine) scale function, keeping about 0.5–0.6 × `compression` centroids
///   and never more than ``exactCapacity`` (150 at the default) and singleton centroids at both extremes.
/// - Cheap when small: an empty digest allocates nothing; values go into a single array
///   (compressed centroids followed by a buffer of not-yet-merged values) that is sorted and merged
///   in batches, so ``add(_:)`` costs amortised tens of nanoseconds.
/// - Value semantics: equality compares the *compressed* view (compression, count, min, max, sum,
///   exactness and centroids), so a digest equals its decoded encoding whether or not it had
///   buffered values.
public struct TDigest: Sendable {
    /// The default compression δ = 250.
    ///
    /// Why 250: with the k1 scale function a compressed digest keeps about 0.5–0.6 δ centroids
    /// (measured 127–150 at δ = 250, within the engine's ~150-centroid budget: about 2.4 KB in
    /// memory and 1.1–1.3 KB encoded), and 250 is where the measured rank errors of the
    /// heavy-tailed (Pareto) case meet the engine's targets with margin: at δ = 200 a daily Pareto
    /// digest merged from 1,440 minute digests reaches 2.5e-4 at p99.9 (target 2e-4), at δ = 250
    /// 0.8e-4. δ = 100, the reference implementation's default, misses the daily targets by up to
    /// 3×. Accuracy per case is printed by the `accuracyReport` test (see BENCHMARKS.md).
    public static let defaultCompression: Double = 250

    /// The smallest and largest compression accepted by ``init(compression:)`` and the decoder.
    public static let compressionRange: ClosedRange<Double> = 10...10_000

    /// The compression δ: the k1 scale spans δ/2 units, and a compressed digest keeps about 0.5–0.6 δ centroids.
    public let compression: Double
    /// The exact number of values added (the sum of all weights).
    @inlinable public var count: UInt64 { totalWeight }
    /// The sum of `value × weight` over everything added, accumulated in `Double` arithmetic
    /// (exact for integer-valued data below 2^53; otherwise rounded like any running sum).
    @inlinable public var sum: Double { valueSum }
    /// Storage of ``count``.
    @usableFromInline var totalWeight: UInt64 = 0
    /// Storage of ``sum``.
    @usableFromInline var valueSum: Double = 0
    /// Smallest value added; `+infinity` while empty (the public getter reports NaN).
    @usableFromInline var minimum: Double = .infinity
    /// Largest value added; `-infinity` while empty (the public getter reports NaN).
    @usableFromInline var maximum: Double = -.infinity
    /// `storage[..<mergedCount]` are compressed centroids sorted by strictly increasing mean;
    /// `storage[mergedCount...]` is the buffer of centroids not yet merged, in arrival order.
    /// Empty (no allocation) for an empty digest.
    @usableFromInline var storage: [Centroid] = []
    /// How many leading entries of `storage` are compressed.
    @usableFromInline var mergedCount: Int32 = 0
    /// Direction of the next lossy merge pass (alternates; see `sortAndCompress`).
    @usableFromInline var descendingPass: Bool = false
    /// Whether no lossy merge has happened: every compressed centroid is one distinct value.
    @usableFromInline var lossless: Bool = true

    /// An empty digest with compression δ = `compression`.
    ///
    /// - Precondition: `compression` lies in ``compressionRange``.
    public init(compression: Double = TDigest.defaultCompression) {
        precondition(TDigest.compressionRange.contains(compression), "t-digest compression \(compression) outside \(TDigest.compressionRange)")
        self.compression = compression
    }

    /// Whether no value has been added.
    @inlinable public var isEmpty: Bool { count == 0 }

    /// The exact smallest value added; NaN when empty.
    @inlinable public var min: Double { count == 0 ? .nan : minimum }

    /// The exact largest value added; NaN when empty.
    @inlinable public var max: Double { count == 0 ? .nan : maximum }

    /// How many distinct values a digest keeps losslessly before it starts merging centroids, and
    /// the most centroids a compressed digest ever keeps: `0.6 × compression` (150 at the default).
    @inlinable public var exactCapacity: Int { Int(compression * 0.6) }

    /// The array length at which ``add(_:)`` merges: the centroids plus about 4δ buffered values
    /// (1,150 at the default), which amortises the sort and merge pass to tens of nanoseconds a value.
    @inlinable var bufferLimit: Int { exactCapacity + Int(compression * 4) }

    /// Adds one value. Non-finite values are ignored.
    @inlinable
    public mutating func add(_ value: Double) {
        add(value, weight: 1)
    }

    /// Adds every value of `values`, in order (non-finite ones are ignored): the digest is exactly the
    /// one that adding them one by one gives, but room for them is reserved once instead of the buffer
    /// growing step by step. The storage grows at least 1.5× at a time (up to the buffer limit): the
    /// head adds a few values at a time to each of many digests, and exact-size growth would copy each
    /// digest's storage on every call.
    @inlinable
    public mutating func add(contentsOf values: UnsafeBufferPointer<Double>) {
        let needed = storage.count + values.count
        if needed > storage.capacity {
            storage.reserveCapacity(Swift.min(Swift.max(needed, storage.capacity + storage.capacity / 2), bufferLimit))
        }
        for value in values { add(value, weight: 1) }
    }

    /// Adds `value` with multiplicity `weight`. Non-finite values and a zero weight are ignored.
    ///
    /// - Precondition: the total count stays below 2^64 (overflow traps).
    @inlinable
    public mutating func add(_ value: Double, weight: UInt64) {
        guard value.isFinite, weight > 0 else { return }
        totalWeight += weight
        valueSum += value * Double(weight)
        if value < minimum { minimum = value }
        if value > maximum { maximum = value }
        storage.append(Centroid(mean: value, weight: weight))
        if storage.count >= bufferLimit { mergeBuffer() }
    }

    /// The compressed centroids, sorted by strictly increasing mean. Buffered values are merged
    /// into a temporary copy (call ``compress()`` first when querying a digest repeatedly).
    public var centroids: [Centroid] {
        if Int(mergedCount) == storage.count { return storage }
        var copy = self
        copy.mergeBuffer()
        return copy.storage
    }

    /// This digest with every buffered value merged in.
    public func compressed() -> TDigest {
        var copy = self
        copy.compress()
        return copy
    }

    /// Whether the digest is lossless: its compressed centroids are exactly the distinct values
    /// added, with their multiplicities (true while at most ``exactCapacity`` distinct values were
    /// seen). Exact digests answer ``quantile(_:)`` and ``cdf(_:)`` exactly.
    public var isExact: Bool { hasBufferedValues ? compressed().lossless : lossless }

    /// Whether values are buffered (added but not yet merged into the centroids).
    public var hasBufferedValues: Bool { Int(mergedCount) != storage.count }
}

extension TDigest: Equatable {
    /// Equal when compression, exact count, min, max (bit patterns), sum, exactness and the
    /// compressed centroids agree. Buffered state does not matter: a digest with buffered
    /// values equals its compressed copy.
    public static func == (lhs: TDigest, rhs: TDigest) -> Bool {
        lhs.compression == rhs.compression && lhs.count == rhs.count
            && lhs.minimum.bitPattern == rhs.minimum.bitPattern
            && lhs.maximum.bitPattern == rhs.maximum.bitPattern
            && lhs.sum.bitPattern == rhs.sum.bitPattern
            && lhs.centroids == rhs.centroids
            && lhs.isExact == rhs.isExact
    }
}

extension TDigest: CustomStringConvertible {
    /// A one-line summary: count, min, max and the number of centroids.
    public var description: String {
        "TDigest(compression: \(compression), count: \(count), min: \(min), max: \(max), centroids: \(centroids.count)\(isExact ? ", exact" : ""))"
    }
}
