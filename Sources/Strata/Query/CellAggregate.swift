import StrataCore

/// The running aggregate of one (group, step) while a query scans.
struct CellAggregate: Sendable {
    var count: UInt64 = 0
    var sum = 0.0
    var min = Double.infinity
    var max = -Double.infinity
    /// Only filled for quantile queries.
    var digest = TDigest()

    /// Adds one stored row's aggregate (its digest only when `digest` is given).
    @inline(__always)
    mutating func add(count: UInt64, sum: Double, min: Double, max: Double, digest: TDigest?) {
        guard count > 0 else { return }
        self.count += count
        self.sum += sum
        if min < self.min { self.min = min }
        if max > self.max { self.max = max }
        if let digest { self.digest.merge(digest) }
    }

    /// Merges another cell.
    mutating func merge(_ other: CellAggregate, digests: Bool) {
        add(count: other.count, sum: other.sum, min: other.min, max: other.max, digest: digests ? other.digest : nil)
    }

    /// The value of `aggregation` over a step `width` seconds wide; nil when empty.
    func value(_ aggregation: Aggregation, width: Int64) -> Double? {
        guard count > 0 else { return nil }
        switch aggregation {
        case .count: return Double(count)
        case .sum: return sum
        case .avg: return sum / Double(count)
        case .min: return min
        case .max: return max
        case .rate: return Double(count) / Double(width)
        case let .quantile(q): return digest.quantile(q)
        }
    }
}
