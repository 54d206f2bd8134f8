import StrataCore

/// One aggregation query: a field of a measurement, filtered, grouped, per step over a time range.
///
/// JSON form (for the HTTP API): every property by name; `filters`, `groupBy`, `fill`, `order`,
/// `limit`, `step` and `useProjections` are optional.
///
/// ```swift
/// let query = Query(measurement: "http_request", field: "duration_ms", aggregation: .quantile(0.95),
///                   start: now - 86_400, end: now, step: 300,
///                   filters: [.equal("endpoint", "/api/v1/orders")], groupBy: ["method"])
/// ```
public struct Query: Sendable, Equatable, Codable {
    /// The measurement.
    public var measurement: String
    /// The numeric field aggregated (`count` and `rate` count its values).
    public var field: String
    /// The reduction per group and step.
    public var aggregation: Aggregation
    /// Range start, Unix seconds, inclusive (floored to the minute).
    public var start: Int64
    /// Range end, Unix seconds, exclusive (raised to the next minute).
    public var end: Int64
    /// Width of one result point in seconds, a positive multiple of 60; nil: one point for the range.
    public var step: Int64?
    /// Tag conditions, combined with AND.
    public var filters: [TagFilter]
    /// Tags whose values split the result into series (empty: one series).
    public var groupBy: [String]
    /// Sort the series by their value over the whole range (nil: by tag values).
    public var order: QueryOrder?
    /// Keep only the first `limit` series after sorting (top-N).
    public var limit: Int?
    /// What empty steps hold.
    public var fill: FillPolicy
    /// Whether the planner may answer from a projection (default true; false forces the base series).
    public var useProjections: Bool

    /// A query; see the properties.
    public init(measurement: String, field: String, aggregation: Aggregation, start: Int64, end: Int64, step: Int64? = nil,
                filters: [TagFilter] = [], groupBy: [String] = [], order: QueryOrder? = nil, limit: Int? = nil,
                fill: FillPolicy = .null, useProjections: Bool = true) {
        self.measurement = measurement
        self.field = field
        self.aggregation = aggregation
        self.start = start
        self.end = end
        self.step = step
        self.filters = filters
        self.groupBy = groupBy
        self.order = order
        self.limit = limit
        self.fill = fill
        self.useProjections = useProjections
    }

    enum CodingKeys: String, CodingKey {
        case measurement, field, aggregation, start, end, step, filters, groupBy, order, limit, fill, useProjections
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(measurement: try c.decode(String.self, forKey: .measurement), field: try c.decode(String.self, forKey: .field),
                  aggregation: try c.decode(Aggregation.self, forKey: .aggregation),
                  start: try c.decode(Int64.self, forKey: .start), end: try c.decode(Int64.self, forKey: .end),
                  step: try c.decodeIfPresent(Int64.self, forKey: .step),
                  filters: try c.decodeIfPresent([TagFilter].self, forKey: .filters) ?? [],
                  groupBy: try c.decodeIfPresent([String].self, forKey: .groupBy) ?? [],
                  order: try c.decodeIfPresent(QueryOrder.self, forKey: .order),
                  limit: try c.decodeIfPresent(Int.self, forKey: .limit),
                  fill: try c.decodeIfPresent(FillPolicy.self, forKey: .fill) ?? .null,
                  useProjections: try c.decodeIfPresent(Bool.self, forKey: .useProjections) ?? true)
    }

    /// Checks the query and returns the effective (minute-aligned) range. Throws the first problem.
    func validated() throws(QueryError) -> (start: Int64, end: Int64) {
        guard !measurement.isEmpty else { throw .emptyParameter("measurement") }
        guard !field.isEmpty else { throw .emptyParameter("field") }
        guard end > start else { throw .endBeforeStart(start: start, end: end) }
        if let step, step <= 0 || step % 60 != 0 { throw .invalidStep(step) }
        if let limit, limit <= 0 { throw .invalidLimit(limit) }
        for filter in filters {
            guard !filter.key.isEmpty else { throw .emptyParameter("filters.key") }
            switch filter.op {
            case .equal, .notEqual:
                guard !filter.values.isEmpty else { throw .emptyFilterValues(tag: filter.key) }
            case .matches, .notMatches:
                guard filter.values.count == 1 else { throw .emptyFilterValues(tag: filter.key) }
                _ = try TagMatcher.compile(filter)
            }
        }
        let alignedStart = Granularity.minute.bucketStart(ofSeconds: start)
        let alignedEnd = Granularity.minute.bucketStart(ofSeconds: end - 1) + 60
        return (alignedStart, alignedEnd)
    }
}

