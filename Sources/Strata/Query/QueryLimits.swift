/// Bounds every query runs under; exceeding one stops the query with a ``QueryError`` naming it.
public struct QueryLimits: Sendable, Equatable, Codable {
    /// Most distinct series one query may read (base or projection series). Default 1,000,000.
    public var maxSeries: Int = 1_000_000
    /// Most points (series × steps) one result may hold. Default 1,000,000.
    public var maxPoints: Int = 1_000_000
    /// Longest a query may run, milliseconds. Default 30,000.
    public var timeoutMilliseconds: Int = 30_000

    /// The defaults.
    public init() {}
}
