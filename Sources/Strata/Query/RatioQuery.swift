/// A ratio of two filtered counts per group and step: `count(filters + numeratorFilters) /
/// count(filters)` (e.g. the error rate). Steps whose denominator is empty hold nil.
public struct RatioQuery: Sendable, Equatable, Codable {
    /// The denominator: measurement, field, range, step, filters, group-by, order, limit, fill (its
    /// aggregation is ignored: both sides count values of `field`).
    public var base: Query
    /// Extra conditions of the numerator.
    public var numeratorFilters: [TagFilter]

    /// A ratio query.
    public init(base: Query, numeratorFilters: [TagFilter]) {
        self.base = base
        self.numeratorFilters = numeratorFilters
    }

    /// The share of requests whose `status_class` is `statusClass` (`5xx` error rate, `4xx` rate).
    public static func statusClassRate(_ base: Query, _ statusClass: String = "5xx") -> RatioQuery {
        RatioQuery(base: base, numeratorFilters: [.equal(DerivedTag.statusClass.name, statusClass)])
    }
}
