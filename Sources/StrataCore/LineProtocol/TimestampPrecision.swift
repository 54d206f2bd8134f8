/// The unit of the timestamps written in incoming lines: InfluxDB's `precision=` query parameter.
///
/// Timestamps in line protocol are integers counted in this unit; the parser converts them to
/// nanoseconds since the Unix epoch.
public enum TimestampPrecision: String, Sendable, CaseIterable {
    /// Nanoseconds (`ns`), the line-protocol default.
    case nanoseconds = "ns"
    /// Microseconds (`us`).
    case microseconds = "us"
    /// Milliseconds (`ms`).
    case milliseconds = "ms"
    /// Seconds (`s`).
    case seconds = "s"

    /// How many nanoseconds one unit of this precision is.
    public var nanosecondsPerUnit: Int64 {
        switch self {
        case .nanoseconds: 1
        case .microseconds: 1_000
        case .milliseconds: 1_000_000
        case .seconds: 1_000_000_000
        }
    }

    /// Parses a precision name as InfluxDB and its tools spell it.
    ///
    /// Accepts the `/write` API's `precision=` values (`n`, `ns`, `u`, `us`, `µ`, `µs`, `ms`, `s`) and the
    /// Go-duration spellings of the conformance corpus (`1ns`, `1us`, `1µs`, `1ms`, `1s`). Both the micro
    /// sign (U+00B5) and the Greek letter mu (U+03BC) are accepted. Returns `nil` for anything else.
    public init?(influxName: String) {
        var name = Substring(influxName)
        if name.hasPrefix("1") { name = name.dropFirst() }
        switch name {
        case "n", "ns": self = .nanoseconds
        case "u", "us", "\u{B5}", "\u{B5}s", "\u{3BC}", "\u{3BC}s": self = .microseconds
        case "ms": self = .milliseconds
        case "s": self = .seconds
        default: return nil
        }
    }

    /// Converts `value` units of this precision to nanoseconds, or `nil` if the result overflows `Int64`.
    @inlinable
    public func nanoseconds(_ value: Int64) -> Int64? {
        let (result, overflow) = value.multipliedReportingOverflow(by: nanosecondsPerUnit)
        return overflow ? nil : result
    }

    /// Rounds a nanosecond timestamp down (towards negative infinity) to a whole number of units,
    /// as InfluxDB does with the server time it assigns to lines that carry no timestamp.
    @inlinable
    public func truncate(nanoseconds value: Int64) -> Int64 {
        let unit = nanosecondsPerUnit
        if unit == 1 { return value }
        var quotient = value / unit
        if value % unit < 0 { quotient -= 1 }
        return quotient * unit
    }
}
