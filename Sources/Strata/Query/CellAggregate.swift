import StrataCore

/// The running aggregate of one (group, step) while a query scans.
struct CellAggregate: Sendable {
    var count: UInt64 = 0
    var sum = 0.0
    var min = Double.infinity
    var max = -Double.infinity
    /// Only filled for quantile queries.
    var digest = TDigest()
    /// Whole digests (stored summaries) added by ``add(count:sum:min:max:summary:)``, merged into
    /// `digest` all at once by ``settle()``.
    var pending: [TDigest] = []

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

    /// Adds a stored summary; its digest is kept aside and merged by ``settle()``.
    ///
    /// Why: a cell of a long range receives one compressed digest per segment (~17 for a day).
    /// Merged one by one, they go through a merge buffer that is sorted and compressed every
    /// ~1,000 centroids (each pass re-merging the compressed prefix); merged at the end, their
    /// sorted runs are merged once and compressed once, and ``QueryExecutor`` does that for many
    /// cells on both cores.
    @inline(__always)
    mutating func add(count: UInt64, sum: Double, min: Double, max: Double, summary: TDigest) {
        guard count > 0 else { return }
        self.count += count
        self.sum += sum
        if min < self.min { self.min = min }
        if max > self.max { self.max = max }
        pending.append(summary)
    }

    /// Merges the pending summaries into `digest` (one merge of their sorted runs, one compression)
    /// and compresses it. A cell holding one summary and nothing else adopts it.
    mutating func settle() {
        defer { pending = [] }
        if pending.isEmpty {
            digest.compress()
        } else if digest.isEmpty && pending.count == 1 && !pending[0].hasBufferedValues
                    && pending[0].compression == digest.compression {
            digest = pending[0]
        } else {
            digest = TDigest.merging([digest] + pending, compression: digest.compression)
        }
    }

    /// Whether ``settle()`` has work to do.
    var isUnsettled: Bool { !pending.isEmpty || digest.hasBufferedValues }

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
