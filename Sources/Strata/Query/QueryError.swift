/// Why a query was refused or stopped. Every message names the parameter or bound at fault.
public enum QueryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `aggregation` is not a known name.
    case unknownAggregation(String)
    /// A `=~`/`!~` filter's pattern does not compile.
    case invalidRegex(tag: String, pattern: String)
    /// `end` is not after `start`.
    case endBeforeStart(start: Int64, end: Int64)
    /// `step` is not a positive multiple of 60 seconds.
    case invalidStep(Int64)
    /// `limit` is not positive.
    case invalidLimit(Int)
    /// A required string parameter is empty.
    case emptyParameter(String)
    /// A filter has no value (`=`, `!=`) or not exactly one pattern (`=~`, `!~`).
    case emptyFilterValues(tag: String)
    /// The query would touch more than `limit` series (``QueryLimits/maxSeries``).
    case tooManySeries(limit: Int)
    /// The result would hold more than `limit` points (``QueryLimits/maxPoints``).
    case tooManyPoints(limit: Int)
    /// The query ran longer than ``QueryLimits/timeoutMilliseconds``.
    case timeout(milliseconds: Int)
    /// The task running the query was cancelled.
    case cancelled

    public var description: String {
        switch self {
        case let .unknownAggregation(name):
            "unknown aggregation \"\(name)\": use count, sum, avg, min, max, rate, p50, p90, p95, p99, p99.9 or quantile(q) with 0 ≤ q ≤ 1"
        case let .invalidRegex(tag, pattern):
            "filters: invalid regular expression \"\(pattern)\" for tag \"\(tag)\""
        case let .endBeforeStart(start, end):
            "end (\(end)) must be after start (\(start))"
        case let .invalidStep(step):
            "step must be a positive multiple of 60 seconds (got \(step)); omit step for one point over the whole range"
        case let .invalidLimit(limit):
            "limit must be positive (got \(limit))"
        case let .emptyParameter(name):
            "\(name) must not be empty"
        case let .emptyFilterValues(tag):
            "filters: the condition on tag \"\(tag)\" needs at least one value (=, !=) or exactly one pattern (=~, !~)"
        case let .tooManySeries(limit):
            "the query touches more than \(limit) series (maxSeries); add filters or raise the limit"
        case let .tooManyPoints(limit):
            "the result would hold more than \(limit) points (maxPoints); use a larger step, fewer groups or a limit"
        case let .timeout(ms):
            "the query ran longer than \(ms) ms (timeoutMilliseconds)"
        case .cancelled:
            "the query was cancelled"
        }
    }
}
