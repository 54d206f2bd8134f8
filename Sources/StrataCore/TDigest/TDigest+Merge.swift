/// Merging digests: the roll-up path (1m → 5m → 1h → 1d).
extension TDigest {
    /// Adds every value summarised by `other` to this digest (keeping this digest's compression).
    ///
    /// `other`'s centroids (and buffered values) are appended to the buffer and merged in batches,
    /// so merging many digests one by one costs one sort and one merge pass per ~5δ centroids.
    /// count, min, max stay exact; the result is lossless only if both digests are and the union
    /// has at most ``exactCapacity`` distinct values.
    public mutating func merge(_ other: TDigest) {
        guard other.count > 0 else { return }
        totalWeight += other.count
        valueSum += other.sum
        if other.minimum < minimum { minimum = other.minimum }
        if other.maximum > maximum { maximum = other.maximum }
        lossless = lossless && other.lossless
        storage.append(contentsOf: other.storage)
        if storage.count >= bufferLimit { mergeBuffer() }
    }

    /// Adds the values summarised by another digest given as its parts, without building it:
    /// the same as ``merge(_:)`` with a digest whose compressed centroids are `centroids` (sorted by
    /// mean, weights summing to `count`), whose sum, min and max are `sum`, `min`, `max`, and that is
    /// lossless when `lossless`. For scans over flattened digest columns (one slice per stored row).
    public mutating func merge(centroids: ArraySlice<Centroid>, count: UInt64, sum: Double, min: Double, max: Double, lossless: Bool) {
        guard count > 0 else { return }
        totalWeight += count
        valueSum += sum
        if min < minimum { minimum = min }
        if max > maximum { maximum = max }
        self.lossless = self.lossless && lossless
        storage.append(contentsOf: centroids)
        // Into an empty digest, a stored digest's centroids (strictly increasing means, at most
        // `exactCapacity` of them) are already compressed: a cell read from one row needs no pass.
        if storage.count == centroids.count, storage.count <= exactCapacity, Self.strictlyIncreasing(centroids) {
            mergedCount = Int32(storage.count)
            return
        }
        if storage.count >= bufferLimit { mergeBuffer() }
    }

    private static func strictlyIncreasing(_ centroids: ArraySlice<Centroid>) -> Bool {
        var previous = -Double.infinity
        for c in centroids {
            guard c.mean > previous else { return false }
            previous = c.mean
        }
        return true
    }

    /// One digest of everything in `digests`, with compression `compression`: gathers all their
    /// centroids, sorts once and runs one merge pass (k-way merge).
    ///
    /// The result does not depend on the order of `digests` except for the rounding of ``sum``:
    /// equal means are collapsed before the pass, so the sorted input is the same in any order.
    public static func merging(_ digests: some Sequence<TDigest>,
                               compression: Double = TDigest.defaultCompression) -> TDigest {
        var result = TDigest(compression: compression)
        for digest in digests where digest.count > 0 {
            result.totalWeight += digest.count
            result.valueSum += digest.sum
            if digest.minimum < result.minimum { result.minimum = digest.minimum }
            if digest.maximum > result.maximum { result.maximum = digest.maximum }
            result.lossless = result.lossless && digest.lossless
            result.storage.append(contentsOf: digest.storage)
        }
        result.compress()
        return result
    }
}
