/// The state one bucket keeps for one numeric field: exact count, sum, min and max, and a t-digest
/// for quantiles.
///
/// The state is *mergeable*: merging the states of two disjoint sets of values gives exactly the state
/// of their union (count, sum, min, max exactly; the digest within its accuracy). Rollups, late data and
/// queries all rely on this.
public struct FieldAggregate: Sendable, Equatable {
    /// Number of values.
    public var count: UInt64
    /// Sum of values.
    public var sum: Double
    /// Smallest value; `+inf` while empty.
    public var min: Double
    /// Largest value; `-inf` while empty.
    public var max: Double
    /// The distribution of values.
    public var digest: TDigest

    /// An empty aggregate.
    public init() {
        count = 0
        sum = 0
        min = .infinity
        max = -.infinity
        digest = TDigest()
    }

    /// An aggregate from stored parts (segment decoding).
    public init(count: UInt64, sum: Double, min: Double, max: Double, digest: TDigest) {
        self.count = count
        self.sum = sum
        self.min = min
        self.max = max
        self.digest = digest
    }

    /// Whether no value has been added.
    public var isEmpty: Bool { count == 0 }

    /// The mean, or nil when empty.
    public var mean: Double? { count == 0 ? nil : sum / Double(count) }

    /// Adds one finite value. The caller filters out NaN and infinities.
    @inlinable
    public mutating func add(_ value: Double) {
        count += 1
        sum += value
        if value < min { min = value }
        if value > max { max = value }
        digest.add(value)
    }

    /// Adds one finite value to count, sum, min and max only; the caller adds it to ``digest`` later
    /// (the head batches digest updates, which are the cache-missing part of aggregation).
    @inlinable
    public mutating func addSummary(_ value: Double) {
        count += 1
        sum += value
        if value < min { min = value }
        if value > max { max = value }
    }

    /// Merges another state of the same field into this one.
    public mutating func merge(_ other: FieldAggregate) {
        guard other.count > 0 else { return }
        count += other.count
        sum += other.sum
        if other.min < min { min = other.min }
        if other.max > max { max = other.max }
        digest.merge(other.digest)
    }
}
