import StrataCore

/// How long each granularity is kept. Defaults: 1m 24 h, 5m 7 days, 1h 90 days, 1d forever.
///
/// A segment is dropped (its file deleted, never rewritten) once its newest bucket has ended more than
/// the retention ago **and** its data has been rolled up into the next coarser granularity, so a
/// coarser granularity never has a gap where a finer one was dropped.
public struct RetentionPolicy: Sendable, Equatable {
    /// Seconds to keep each granularity; nil keeps it forever.
    public var minute: Int64? = 86_400
    public var fiveMinutes: Int64? = 7 * 86_400
    public var hour: Int64? = 90 * 86_400
    public var day: Int64? = nil

    public init() {}

    /// The retention of `granularity` in seconds (nil: forever).
    public func seconds(_ granularity: Granularity) -> Int64? {
        switch granularity {
        case .minute: minute
        case .fiveMinutes: fiveMinutes
        case .hour: hour
        case .day: day
        }
    }

    public mutating func set(_ granularity: Granularity, _ seconds: Int64?) {
        switch granularity {
        case .minute: minute = seconds
        case .fiveMinutes: fiveMinutes = seconds
        case .hour: hour = seconds
        case .day: day = seconds
        }
    }

    /// The longest retention (nil when some granularity is kept forever): points older than this are refused.
    public var longest: Int64? {
        let all = Granularity.allCases.map(seconds)
        if all.contains(where: { $0 == nil }) { return nil }
        return all.compactMap { $0 }.max()
    }

    /// Parses `24h`, `7d`, `90d`, `3600s`, `30m` or `forever`/`inf` (nil). Returns `.none` for bad text.
    public static func parseDuration(_ text: String) -> Int64?? {
        if text == "forever" || text == "inf" || text == "0" { return .some(nil) }
        let units: [(String, Int64)] = [("s", 1), ("m", 60), ("h", 3_600), ("d", 86_400), ("w", 604_800)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            if let n = Int64(text.dropLast(suffix.count)), n > 0 { return .some(n * factor) }
        }
        return .none
    }
}
