/// Queries: quantiles and the cumulative distribution function.
extension TDigest {
    /// This digest with its buffer merged in (a copy only when values are buffered).
    func mergedView() -> TDigest {
        if Int(mergedCount) == storage.count { return self }
        var copy = self
        copy.mergeBuffer()
        return copy
    }

    /// The estimated value at quantile `q` (clamped into [0, 1]); NaN when empty or `q` is NaN.
    ///
    /// Contracts: non-decreasing in `q`; `quantile(0) == min` and `quantile(1) == max` exactly.
    /// An exact digest (``isExact``) returns the data value `x` of rank `q`, that is the smallest
    /// value with `fraction ≤ x ≥ q`. Otherwise it interpolates between centroids as Dunning's
    /// MergingDigest does: each centroid's weight is centred on its mean, unit-weight centroids are
    /// returned as is, and the halves of the extreme centroids interpolate towards min and max.
    /// Buffered values are merged into a temporary copy; call ``compress()`` before many queries.
    public func quantile(_ q: Double) -> Double {
        guard count > 0, !q.isNaN else { return .nan }
        let q = Swift.min(Swift.max(q, 0), 1)
        if q == 0 { return minimum }
        if q == 1 { return maximum }
        let view = mergedView()
        return view.storage.withUnsafeBufferPointer { c in
            view.lossless ? view.exactQuantile(q, c) : view.interpolatedQuantile(q, c)
        }
    }

    private func exactQuantile(_ q: Double, _ c: UnsafeBufferPointer<Centroid>) -> Double {
        let index = q * Double(count)
        var cumulative: UInt64 = 0
        for centroid in c {
            cumulative += centroid.weight
            if Double(cumulative) >= index { return centroid.mean }
        }
        return maximum
    }

    private func interpolatedQuantile(_ q: Double, _ c: UnsafeBufferPointer<Centroid>) -> Double {
        let n = c.count
        let total = Double(count)
        let index = q * total
        if index < 1 { return minimum }
        if index > total - 1 { return maximum }
        if n == 1 { return minimum + (maximum - minimum) * q }
        let firstWeight = Double(c[0].weight)
        if firstWeight > 2 && index < firstWeight / 2 {
            // One sample sits exactly at min: interpolate from it to the first mean.
            return interpolate(minimum, c[0].mean, (index - 1) / (firstWeight / 2 - 1))
        }
        let lastWeight = Double(c[n - 1].weight)
        if lastWeight > 2 && total - index < lastWeight / 2 {
            return interpolate(c[n - 1].mean, maximum, 1 - (total - index - 1) / (lastWeight / 2 - 1))
        }
        var weightSoFar = firstWeight / 2
        for i in 0..<(n - 1) {
            let leftWeight = c[i].weight
            let rightWeight = c[i + 1].weight
            let dw = Double(leftWeight + rightWeight) / 2
            if weightSoFar + dw > index {
                var leftUnit = 0.0
                if leftWeight == 1 {
                    if index - weightSoFar < 0.5 { return c[i].mean }
                    leftUnit = 0.5
                }
                var rightUnit = 0.0
                if rightWeight == 1 {
                    if weightSoFar + dw - index <= 0.5 { return c[i + 1].mean }
                    rightUnit = 0.5
                }
                let z1 = index - weightSoFar - leftUnit
                let z2 = weightSoFar + dw - index - rightUnit
                return interpolate(c[i].mean, c[i + 1].mean, z1 / (z1 + z2))
            }
            weightSoFar += dw
        }
        return c[n - 1].mean
    }

    /// `low + (high − low)·t`, kept inside [low, high].
    private func interpolate(_ low: Double, _ high: Double, _ t: Double) -> Double {
        let value = low + (high - low) * t
        return Swift.min(Swift.max(value, low), high)
    }

    /// The estimated fraction of the weight at or below `x`; NaN when empty or `x` is NaN.
    ///
    /// Contracts: 0 below ``min``, 1 at or above ``max``, non-decreasing in `x`. An exact digest
    /// returns the exact fraction of values ≤ x. Otherwise the estimate interpolates between
    /// centroids consistently with ``quantile(_:)`` (a centroid's weight is centred on its mean),
    /// so `cdf(quantile(q)) ≈ q`.
    public func cdf(_ x: Double) -> Double {
        guard count > 0, !x.isNaN else { return .nan }
        if x < minimum { return 0 }
        if x >= maximum { return 1 }
        let view = mergedView()
        return view.storage.withUnsafeBufferPointer { c in
            view.lossless ? view.exactCDF(x, c) : view.interpolatedCDF(x, c)
        }
    }

    private func exactCDF(_ x: Double, _ c: UnsafeBufferPointer<Centroid>) -> Double {
        var below: UInt64 = 0
        for centroid in c {
            if centroid.mean > x { break }
            below += centroid.weight
        }
        return Double(below) / Double(count)
    }

    private func interpolatedCDF(_ x: Double, _ c: UnsafeBufferPointer<Centroid>) -> Double {
        let n = c.count
        let total = Double(count)
        if n == 1 { return (x - minimum) / (maximum - minimum) }
        let first = c[0]
        if x < first.mean {
            guard first.mean - minimum > 0 else { return 0 }
            if x == minimum { return 0.5 / total }
            let firstHalf = Swift.max(Double(first.weight) / 2 - 1, 0)
            return (1 + (x - minimum) / (first.mean - minimum) * firstHalf) / total
        }
        let last = c[n - 1]
        if x > last.mean {
            guard maximum - last.mean > 0 else { return 1 }
            let lastHalf = Swift.max(Double(last.weight) / 2 - 1, 0)
            return 1 - (1 + (maximum - x) / (maximum - last.mean) * lastHalf) / total
        }
        var weightSoFar = 0.0
        for i in 0..<(n - 1) {
            let left = c[i]
            let right = c[i + 1]
            if left.mean == x {
                return (weightSoFar + Double(left.weight) / 2) / total
            }
            if x < right.mean {
                var leftExcluded = 0.0
                var rightExcluded = 0.0
                if left.weight == 1 {
                    if right.weight == 1 { return (weightSoFar + 1) / total }
                    leftExcluded = 0.5
                } else if right.weight == 1 {
                    rightExcluded = 0.5
                }
                let dw = Double(left.weight + right.weight) / 2
                let base = weightSoFar + Double(left.weight) / 2 + leftExcluded
                let span = dw - leftExcluded - rightExcluded
                return (base + span * (x - left.mean) / (right.mean - left.mean)) / total
            }
            weightSoFar += Double(left.weight)
        }
        return (weightSoFar + Double(last.weight) / 2) / total
    }
}
