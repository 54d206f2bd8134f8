/// Admission rules the head applies to every parsed point, beyond what the line-protocol parser checks.
public struct HeadLimits: Sendable, Equatable {
    /// Points stamped more than this many seconds after the engine's clock are rejected
    /// (`timestampInFuture`). Default 900 s (15 minutes): generous for clock skew between hosts, yet a
    /// typo'd timestamp (seconds sent as nanoseconds' precision, a year off) cannot create buckets far ahead.
    public var maxFutureSeconds: Int64 = 900
    /// Points older than this many seconds before the engine's clock are rejected (`timestampTooOld`);
    /// nil accepts any age. The engine sets it to the longest retention.
    public var maxAgeSeconds: Int64? = nil
    /// At most this many series in the head at once (cardinality guard). Default 1,000,000.
    public var maxSeries: Int = 1_000_000
    /// At most this many series of one measurement in the head at once. Default 500,000.
    public var maxSeriesPerMeasurement: Int = 500_000

    public init() {}
}
