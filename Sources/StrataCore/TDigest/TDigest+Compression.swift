#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Compression: sorting the buffer into the centroids and the k1 merge pass.
extension TDigest {
    /// Folds any buffered values into the centroids and releases spare array capacity, so an idle
    /// digest holds only its compressed centroids. Call it when a bucket is closed.
    public mutating func compress() {
        mergeBuffer()
        if storage.capacity > storage.count + storage.count / 4 + 4 {
            var compact: [Centroid] = []
            compact.reserveCapacity(storage.count)
            compact.append(contentsOf: storage)
            storage = compact
        }
    }

    /// Sorts the buffer into the centroids, collapses equal means (lossless), and, if more than
    /// ``exactCapacity`` distinct means remain or the digest is already lossy, runs the k1 pass.
    @usableFromInline
    mutating func mergeBuffer() {
        guard Int(mergedCount) != storage.count else { return }
        TDigest.sortAndCompress(&storage, lossless: &lossless, totalWeight: count, compression: compression,
                                exactCapacity: exactCapacity, descending: descendingPass)
        if !lossless { descendingPass.toggle() }
        mergedCount = Int32(storage.count)
    }

    /// Sorts `centroids` by mean, collapses equal means, and compresses with the k1 scale function
    /// unless the result may stay lossless. Leaves at most `exactCapacity` centroids. Successive
    /// passes of a digest alternate direction (`descending`), as in Dunning's MergingDigest, so the
    /// greedy left-to-right filling does not bias the same side of every centroid.
    /// `totalWeight` must be the sum of the weights.
    static func sortAndCompress(_ centroids: inout [Centroid], lossless: inout Bool, totalWeight: UInt64,
                                compression: Double, exactCapacity: Int, descending: Bool) {
        sortByMean(&centroids)
        collapseEqualMeans(&centroids)
        if lossless && centroids.count <= exactCapacity { return }
        lossless = false
        mergePass(&centroids, totalWeight: totalWeight, compression: compression, descending: descending)
        // Hard cap: a pass keeps between δ/2 and δ centroids; when it keeps more than
        // `exactCapacity`, repeat it with a slightly smaller δ (cheap: ≤ ~δ centroids each time).
        var effective = compression
        while centroids.count > exactCapacity && effective > 1 {
            effective *= 0.9
            mergePass(&centroids, totalWeight: totalWeight, compression: effective, descending: !descending)
        }
    }

    /// The most sorted runs ``sortByMean(_:)`` merges itself; more (or runs shorter than
    /// ``minimumMergedRunLength`` on average: a buffer of single added values) go to the standard sort.
    static let maximumMergedRuns = 64
    /// See ``maximumMergedRuns``.
    static let minimumMergedRunLength = 8

    /// Sorts `centroids` by mean, stably (equal means keep their order), exactly as
    /// `sort { $0.mean < $1.mean }` would.
    ///
    /// Why not just that sort: a merge buffer is mostly whole digests appended one after another
    /// (compressed centroids, sorted by mean), so it is a few long sorted runs. They are found in
    /// one pass and merged pairwise, adjacent runs first, with ties taken from the left run (which
    /// keeps the sort stable); a run already in order after its left neighbour is not moved. This
    /// costs about n·log2(runs) moves with a branch-free inner loop and no comparison closure,
    /// where the standard sort spent most of a query's digest merging (it extends short runs by
    /// insertion sort and merges through a closure).
    static func sortByMean(_ centroids: inout [Centroid]) {
        let n = centroids.count
        guard n > 1 else { return }
        withUnsafeTemporaryAllocation(of: Int.self, capacity: maximumMergedRuns + 1) { bounds in
            // Run boundaries: bounds[0] = 0 < bounds[1] < … < bounds[runs] = n.
            let runs: Int? = centroids.withUnsafeBufferPointer { c in
                var runs = 0
                bounds[0] = 0
                var previous = c[0].mean
                for i in 1..<n {
                    let mean = c[i].mean
                    if mean < previous {
                        runs += 1
                        guard runs < maximumMergedRuns else { return nil }
                        bounds[runs] = i
                    }
                    previous = mean
                }
                runs += 1
                bounds[runs] = n
                return runs
            }
            guard let runs else {
                sortUnordered(&centroids)
                return
            }
            guard runs > 1 else { return }
            guard n >= runs * minimumMergedRunLength else {
                sortUnordered(&centroids)
                return
            }
            centroids.withUnsafeMutableBufferPointer { c in
                withUnsafeTemporaryAllocation(of: Centroid.self, capacity: n) { scratch in
                    mergeRuns(c.baseAddress!, scratch.baseAddress!, count: n, bounds: bounds.baseAddress!, runs: runs)
                }
            }
        }
    }

    /// Below this many centroids an unordered buffer goes to the standard sort (insertion sort wins
    /// there); from it on, to ``radixSortByMean(_:)``.
    static let minimumRadixSortCount = 64

    /// Sorts a buffer that is not a few sorted runs (mostly single added values), stably by mean.
    private static func sortUnordered(_ centroids: inout [Centroid]) {
        if centroids.count < minimumRadixSortCount {
            centroids.sort { $0.mean < $1.mean }
        } else {
            radixSortByMean(&centroids)
        }
    }

    /// Sorts `centroids` by mean with a stable least-significant-digit radix sort on the means'
    /// order-preserving 64-bit keys, one byte per pass; a pass whose byte is the same for every key
    /// (the sign and exponent bytes of values of one magnitude, usually) is skipped. Both zeros get
    /// the key of +0, so, like the standard sort, it keeps -0.0 and +0.0 (equal means) in input order:
    /// the result is exactly what `sort { $0.mean < $1.mean }` gives. It runs about as many
    /// instructions as that comparison sort on a 1,150-centroid buffer but has no data-dependent
    /// branches, which on random means the comparison sort mispredicts half the time. Means must not
    /// be NaN (digests hold finite values only).
    static func radixSortByMean(_ centroids: inout [Centroid]) {
        let n = centroids.count
        guard n > 1 else { return }
        centroids.withUnsafeMutableBufferPointer { items in
            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 2 * n) { keyBuffer in
                withUnsafeTemporaryAllocation(of: Centroid.self, capacity: n) { scratch in
                    withUnsafeTemporaryAllocation(of: Int.self, capacity: 8 * 256) { counts in
                        counts.initialize(repeating: 0)
                        var keys = keyBuffer.baseAddress!
                        var keysOut = keys + n
                        for i in 0..<n {
                            let key = orderedKey(items[i].mean)
                            keys[i] = key
                            for digit in 0..<8 { counts[digit << 8 | Int(truncatingIfNeeded: key >> (digit * 8)) & 0xFF] += 1 }
                        }
                        var source = items.baseAddress!
                        var target = scratch.baseAddress!
                        for digit in 0..<8 {
                            let shift = UInt64(digit * 8)
                            let histogram = counts.baseAddress! + digit << 8
                            if histogram[Int(truncatingIfNeeded: keys[0] >> shift) & 0xFF] == n { continue }
                            var offset = 0
                            for byte in 0..<256 {
                                let count = histogram[byte]
                                histogram[byte] = offset
                                offset += count
                            }
                            for i in 0..<n {
                                let key = keys[i]
                                let byte = Int(truncatingIfNeeded: key >> shift) & 0xFF
                                let position = histogram[byte]
                                histogram[byte] = position + 1
                                (target + position).initialize(to: source[i])
                                keysOut[position] = key
                            }
                            swap(&source, &target)
                            swap(&keys, &keysOut)
                        }
                        if source != items.baseAddress! { items.baseAddress!.update(from: source, count: n) }
                    }
                }
            }
        }
    }

    /// A key whose unsigned order is the order of `mean` (both zeros map to the key of +0).
    @inline(__always)
    private static func orderedKey(_ mean: Double) -> UInt64 {
        let bits = mean == 0 ? 0 : mean.bitPattern
        return bits >> 63 == 1 ? ~bits : bits | (1 << 63)
    }

    /// Merges the sorted runs `[bounds[r], bounds[r + 1])` of `items` (`runs` of them) into one,
    /// pairwise in rounds, ping-ponging with `scratch` (room for `count` centroids); the result
    /// ends in `items`. Stable: on equal means the left run's centroid comes first.
    private static func mergeRuns(_ items: UnsafeMutablePointer<Centroid>, _ scratch: UnsafeMutablePointer<Centroid>,
                                  count: Int, bounds: UnsafeMutablePointer<Int>, runs: Int) {
        var source = items
        var target = scratch
        var runs = runs
        while runs > 1 {
            var r = 0
            var out = 0
            while r < runs {
                let low = bounds[r]
                if r + 1 == runs {
                    // An odd run out: carried over unmerged.
                    (target + low).update(from: source + low, count: bounds[r + 1] - low)
                } else {
                    let middle = bounds[r + 1], high = bounds[r + 2]
                    if source[middle - 1].mean <= source[middle].mean {
                        (target + low).update(from: source + low, count: high - low)
                    } else {
                        mergeTwo(source, low, middle, high, into: target)
                    }
                }
                bounds[out] = low
                out += 1
                r += 2
            }
            bounds[out] = count
            runs = out
            swap(&source, &target)
        }
        if source != items { items.update(from: source, count: count) }
    }

    /// Merges the sorted `source[low..<middle]` and `source[middle..<high]` into `target[low..<high]`,
    /// taking the left one's centroid on equal means.
    @inline(__always)
    private static func mergeTwo(_ source: UnsafeMutablePointer<Centroid>, _ low: Int, _ middle: Int, _ high: Int,
                                 into target: UnsafeMutablePointer<Centroid>) {
        var i = low, j = middle, o = low
        while i < middle && j < high {
            let left = source[i], right = source[j]
            let takeRight = right.mean < left.mean
            target[o] = takeRight ? right : left
            j &+= takeRight ? 1 : 0
            i &+= takeRight ? 0 : 1
            o &+= 1
        }
        if i < middle { (target + o).update(from: source + i, count: middle - i) }
        if j < high { (target + o).update(from: source + j, count: high - j) }
    }

    /// Merges runs of equal means into one centroid (summing weights), in place. Lossless.
    static func collapseEqualMeans(_ centroids: inout [Centroid]) {
        guard centroids.count > 1 else { return }
        let kept: Int = centroids.withUnsafeMutableBufferPointer { c in
            var out = 0
            for i in 1..<c.count {
                if c[i].mean == c[out].mean {
                    c[out].weight += c[i].weight
                } else {
                    out += 1
                    c[out] = c[i]
                }
            }
            return out + 1
        }
        centroids.removeSubrange(kept...)
    }

    /// One pass over centroids sorted by strictly increasing mean (walking them from the right when
    /// `descending`, which mirrors the pass; the k1 scale is symmetric), merging
    /// neighbours while each merged centroid spans at most one unit of the k1 scale
    /// `k(q) = δ/(2π)·asin(2q − 1)`. The first and last centroids are never merged into a
    /// neighbour (so the extremes stay singletons when they were), and merged means are clamped
    /// into the range of their members, keeping the means strictly increasing.
    static func mergePass(_ centroids: inout [Centroid], totalWeight: UInt64, compression: Double, descending: Bool) {
        let n = centroids.count
        guard n > 2 else { return }
        if descending {
            centroids.reverse()
            mergePass(&centroids, totalWeight: totalWeight, compression: compression, descending: false)
            centroids.reverse()
            return
        }
        let total = Double(totalWeight)
        let scale = K1Scale(compression: compression)
        let kept: Int = centroids.withUnsafeMutableBufferPointer { c in
            var out = 0
            var current = c[0]
            var weightBefore = 0.0  // weight left of `current`
            var weightLimit = total * scale.qLimit(after: 0)
            for i in 1..<n {
                let next = c[i]
                let proposed = current.weight + next.weight
                if i != 1 && i != n - 1 && weightBefore + Double(proposed) <= weightLimit {
                    let low = Swift.min(current.mean, next.mean)
                    let high = Swift.max(current.mean, next.mean)
                    var mean = current.mean + (next.mean - current.mean) * (Double(next.weight) / Double(proposed))
                    if mean > high { mean = high }
                    if mean < low { mean = low }
                    current = Centroid(mean: mean, weight: proposed)
                } else {
                    c[out] = current
                    out += 1
                    weightBefore += Double(current.weight)
                    weightLimit = total * scale.qLimit(after: weightBefore / total)
                    current = next
                }
            }
            c[out] = current
            return out + 1
        }
        centroids.removeSubrange(kept...)
    }
}

/// The k1 scale function of Dunning & Ertl: `k(q) = δ/(2π)·asin(2q − 1)`. A centroid may span at
/// most one unit of k, so centroids are small (≈ δ⁻²) near q = 0 and 1 and at most ≈ π/δ at the median.
struct K1Scale {
    /// δ / (2π).
    let normalizer: Double
    /// cos and sin of one unit of k in radians (1 / normalizer), for ``qLimit(after:)``.
    let cosUnit: Double
    let sinUnit: Double

    init(compression: Double) {
        normalizer = compression / (2 * Double.pi)
        cosUnit = cos(1 / normalizer)
        sinUnit = sin(1 / normalizer)
    }

    /// k(q).
    func k(_ q: Double) -> Double { normalizer * asin(2 * Swift.min(Swift.max(q, 0), 1) - 1) }

    /// The quantile q' with k(q') = k(q) + 1: the right edge of a centroid that starts at `q`.
    ///
    /// With s = 2q − 1 = sin(a), q' = (sin(a + u) + 1) / 2 for one unit u = 1/normalizer, and
    /// sin(a + u) = s·cos(u) + √(1 − s²)·sin(u) (a ∈ [−π/2, π/2], so cos(a) ≥ 0): one square root
    /// instead of an `asin` and a `sin` per emitted centroid (the pass's largest cost). 1 once
    /// a + u ≥ π/2, that is s ≥ cos(u).
    func qLimit(after q: Double) -> Double {
        let s = 2 * Swift.min(Swift.max(q, 0), 1) - 1
        if s >= cosUnit { return 1 }
        return (s * cosUnit + (1 - s * s).squareRoot() * sinUnit + 1) / 2
    }
}
