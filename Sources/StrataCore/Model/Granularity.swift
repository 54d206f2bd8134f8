/// The bucket widths Strata stores: 1-minute buckets from ingest, rolled up into 5-minute, hourly and
/// daily buckets by compaction. Every bucket is aligned to UTC (its start is a multiple of its width
/// since the Unix epoch).
public enum Granularity: UInt8, Sendable, CaseIterable, Comparable, CustomStringConvertible, Codable {
    case minute = 1
    case fiveMinutes = 2
    case hour = 3
    case day = 4

    /// The width of one bucket in seconds.
    public var seconds: Int64 {
        switch self {
        case .minute: 60
        case .fiveMinutes: 300
        case .hour: 3_600
        case .day: 86_400
        }
    }

    /// The width of one bucket in nanoseconds.
    public var nanoseconds: Int64 { seconds * 1_000_000_000 }

    /// The short name used in directory names, logs and the HTTP API: `1m`, `5m`, `1h`, `1d`.
    public var name: String {
        switch self {
        case .minute: "1m"
        case .fiveMinutes: "5m"
        case .hour: "1h"
        case .day: "1d"
        }
    }

    public var description: String { name }

    /// Parses `1m`, `5m`, `1h`, `1d`.
    public init?(name: String) {
        guard let match = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = match
    }

    /// The next coarser granularity that rolls this one up, or nil for `1d`.
    public var coarser: Granularity? { Granularity(rawValue: rawValue + 1) }

    /// The next finer granularity, or nil for `1m`.
    public var finer: Granularity? { rawValue > 1 ? Granularity(rawValue: rawValue - 1) : nil }

    /// The start (Unix seconds) of the bucket holding `unixSeconds`; floors for times before 1970.
    @inlinable
    public func bucketStart(ofSeconds unixSeconds: Int64) -> Int64 {
        let width = seconds
        let q = unixSeconds / width
        return (unixSeconds % width < 0 ? q - 1 : q) * width
    }

    /// The start (Unix seconds) of the bucket holding the nanosecond timestamp `ns`.
    @inlinable
    public func bucketStart(ofNanoseconds ns: Int64) -> Int64 {
        let s = ns / 1_000_000_000
        return bucketStart(ofSeconds: ns % 1_000_000_000 < 0 ? s - 1 : s)
    }

    public static func < (lhs: Granularity, rhs: Granularity) -> Bool { lhs.rawValue < rhs.rawValue }
}
