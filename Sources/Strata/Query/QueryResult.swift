import StrataCore

/// The answer to a ``Query``.
public struct QueryResult: Sendable, Equatable, Codable {
    /// The effective range (minute-aligned), Unix seconds.
    public var start: Int64
    public var end: Int64
    /// The step in seconds (the whole range when the query had none).
    public var step: Int64
    /// The coarsest granularity the answer was read from (nil when no stored data was read).
    public var granularity: Granularity?
    /// The projection answering the query, nil for the base series.
    public var projection: String?
    /// One series per group, sorted by `order` or by tag values.
    public var series: [ResultSeries]
    /// What the query cost.
    public var statistics: QueryStatistics
}

/// One group of a result.
public struct ResultSeries: Sendable, Equatable, Codable {
    /// The group-by tags' values (a tag absent from the group's series is left out).
    public var tags: [String: String]
    /// One point per step (subject to the fill policy).
    public var points: [ResultPoint]
    /// The value over the whole range (what `order` sorts by).
    public var total: Double?
}

/// One step of a result series.
public struct ResultPoint: Sendable, Equatable, Codable {
    /// Start of the step, Unix milliseconds.
    public var time: Int64
    /// The aggregated value; nil for an empty step (fill `null`).
    public var value: Double?

    /// A point.
    public init(time: Int64, value: Double?) {
        self.time = time
        self.value = value
    }
}

/// What a query read and how long it took.
public struct QueryStatistics: Sendable, Equatable, Codable {
    /// Distinct series read (stored and head).
    public var seriesTouched = 0
    /// Stored rows (series × bucket × field) decoded and examined, plus head rows.
    public var rowsRead = 0
    /// Segment files read.
    public var segmentsRead = 0
    /// Row groups decoded.
    public var rowGroupsRead = 0
    /// Granularities the answer was read from, finest first.
    public var granularities: [Granularity] = []
    /// Seconds of the range that no stored granularity could answer exactly at the requested step
    /// (finer data dropped by retention, coarser buckets straddling a step).
    public var unansweredSeconds: Int64 = 0
    /// Wall time, milliseconds.
    public var elapsedMilliseconds = 0.0

    /// Empty statistics.
    public init() {}
}

