/// A point the engine refused after it parsed correctly: the line it came from and why.
public struct IngestRejection: Sendable, Equatable, CustomStringConvertible {
    /// Why a parsed point was refused.
    public enum Reason: Sendable, Equatable, Hashable {
        /// The timestamp is more than `limitSeconds` ahead of the engine's clock.
        case timestampInFuture(limitSeconds: Int64)
        /// The timestamp is older than every retention (`limitSeconds` before the engine's clock).
        case timestampTooOld(limitSeconds: Int64)
        /// Creating the series would exceed the total series cap.
        case seriesLimit(limit: Int)
        /// Creating the series would exceed the per-measurement series cap.
        case measurementSeriesLimit(measurement: String, limit: Int)
        /// The point uses a tag key reserved by Strata (`__projection`, which marks projection series).
        case reservedTag(key: String)

        /// A stable label for metrics.
        public var label: String {
            switch self {
            case .timestampInFuture: "timestamp_in_future"
            case .timestampTooOld: "timestamp_too_old"
            case .seriesLimit: "series_limit"
            case .measurementSeriesLimit: "measurement_series_limit"
            case .reservedTag: "reserved_tag"
            }
        }
    }

    /// 1-based line number within the write.
    public var line: Int
    public var reason: Reason

    public init(line: Int, reason: Reason) {
        self.line = line
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case let .timestampInFuture(limit):
            "line \(line): timestamp is more than \(limit) s in the future"
        case let .timestampTooOld(limit):
            "line \(line): timestamp is older than the longest retention (\(limit) s)"
        case let .seriesLimit(limit):
            "line \(line): series limit reached (\(limit) active series); new series are refused"
        case let .measurementSeriesLimit(measurement, limit):
            "line \(line): series limit for measurement \"\(measurement)\" reached (\(limit)); new series are refused"
        case let .reservedTag(key):
            "line \(line): tag key \"\(key)\" is reserved for projection series"
        }
    }
}
