import StrataCore

/// The head's 1-minute aggregation on its own, without WAL or segments: for embedding in a process
/// that only wants live per-minute aggregates, and for benchmarks of the ingest hot path.
///
/// Not thread-safe; the ``Engine`` adds logging, locking and persistence around the same code.
public struct MinuteAggregator: Sendable {
    private var head: Head

    public init(limits: HeadLimits = HeadLimits()) { head = Head(limits: limits) }

    /// Aggregates every point of `batch`; returns the refused points.
    public mutating func add(_ batch: ParsedBatch, nowSeconds: Int64) -> [IngestRejection] {
        head.apply(batch, nowSeconds: nowSeconds, walFile: 0)
    }

    /// Series seen so far.
    public var seriesCount: Int { head.seriesCount }
    /// Open (series, minute) buckets.
    public var bucketCount: Int { head.bucketCount }
    /// Points accepted so far.
    public var pointsAccepted: Int { head.statistics.pointsAccepted }

    /// Copies of every bucket.
    public mutating func rows() -> [BucketRow] { head.rows() }

    /// Removes and returns buckets starting before `cutoffSeconds`.
    public mutating func drain(before cutoffSeconds: Int64) -> [BucketRow] { head.drain(before: cutoffSeconds) }
}
