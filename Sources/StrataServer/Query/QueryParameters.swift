import Foundation
import HTTPTypes
import Strata
import StrataCore

/// Turns the HTTP query API's parameters (URL parameters of `GET /api/v1/query`, or the same names in
/// the JSON object of `POST /api/v1/query`) into a ``Query``. Every error names the parameter.
///
/// | parameter | form |
/// |---|---|
/// | `measurement`, `field` | names (required) |
/// | `agg` | `count`, `sum`, `avg`, `min`, `max`, `rate`, `p50`, `p90`, `p95`, `p99`, `p99.9`, or `quantile` with `q` (default `count`) |
/// | `start`, `end` | RFC 3339, Unix seconds, `now`, or relative `-24h` / `now-30m` (defaults `-1h`, `now`) |
/// | `step` | `1m`, `5m`, `1h`, `1d`, `300s`, a multiple of 60 s; omitted: one point for the range |
/// | `where` | repeatable `tag=value`, `tag!=value`, `tag=~regex`, `tag!~regex`; several `=` or `!=` on one tag are OR-ed |
/// | `group_by` | comma-separated tags |
/// | `order`, `limit` | `asc` / `desc` by the value over the whole range; top-N |
/// | `fill` | `null` (default), `zero`, `none` |
struct QueryParameters {
    var values: [String: [String]]
    var now: Int64

    func first(_ name: String) -> String? { values[name]?.first.flatMap { $0.isEmpty ? nil : $0 } }

    func query() throws -> Query {
        guard let measurement = first("measurement") else { throw missing("measurement") }
        guard let field = first("field") else { throw missing("field") }
        let aggregation = try parseAggregation()
        let start = try Self.time(first("start") ?? "-1h", now: now, parameter: "start")
        let end = try Self.time(first("end") ?? "now", now: now, parameter: "end")
        var step: Int64?
        if let text = first("step") {
            guard let seconds = Self.duration(text) else {
                throw APIError(.badRequest, "invalid step", detail: "step must be a duration such as 1m, 5m, 1h, 1d or 300s; got \"\(text)\"")
            }
            step = seconds
        }
        let groupBy = (values["group_by"] ?? []).flatMap { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
            .filter { !$0.isEmpty }
        var order: QueryOrder?
        if let text = first("order") {
            guard let parsed = QueryOrder(rawValue: text) else {
                throw APIError(.badRequest, "invalid order", detail: "order must be asc or desc; got \"\(text)\"")
            }
            order = parsed
        }
        var limit: Int?
        if let text = first("limit") {
            guard let parsed = Int(text) else { throw APIError(.badRequest, "invalid limit", detail: "limit must be a positive integer; got \"\(text)\"") }
            limit = parsed
        }
        var fill = FillPolicy.null
        if let text = first("fill") {
            guard let parsed = FillPolicy(rawValue: text) else {
                throw APIError(.badRequest, "invalid fill", detail: "fill must be null, zero or none; got \"\(text)\"")
            }
            fill = parsed
        }
        return Query(measurement: measurement, field: field, aggregation: aggregation, start: start, end: end, step: step,
                     filters: try filters(), groupBy: groupBy, order: order, limit: limit, fill: fill)
    }

    func parseAggregation() throws -> Aggregation {
        let name = first("agg") ?? "count"
        if name == "quantile" {
            guard let text = first("q"), let q = Double(text), q >= 0, q <= 1 else {
                throw APIError(.badRequest, "invalid q", detail: "agg=quantile needs q between 0 and 1 (e.g. q=0.975)")
            }
            return .quantile(q)
        }
        do {
            return try Aggregation(parsing: name)
        } catch {
            throw APIError(.badRequest, "invalid agg", detail: "\(error)")
        }
    }

    func filters() throws -> [TagFilter] {
        var filters: [TagFilter] = []
        for text in values["where"] ?? [] where !text.isEmpty {
            guard let (key, op, value) = Self.condition(text) else {
                throw APIError(.badRequest, "invalid where", detail: "where must be tag=value, tag!=value, tag=~regex or tag!~regex; got \"\(text)\"")
            }
            if op == .equal || op == .notEqual, let index = filters.firstIndex(where: { $0.key == key && $0.op == op }) {
                filters[index].values.append(value)
            } else {
                filters.append(TagFilter(key, op, [value]))
            }
        }
        return filters
    }

    func missing(_ name: String) -> APIError {
        APIError(.badRequest, "missing \(name)", detail: "the parameter \(name) is required")
    }

    /// Splits `tag<op>value` at the first operator.
    static func condition(_ text: String) -> (String, TagFilter.Operator, String)? {
        let characters = Array(text)
        for i in characters.indices where i > 0 {
            let next = i + 1 < characters.count ? characters[i + 1] : nil
            let op: TagFilter.Operator?
            var width = 2
            switch (characters[i], next) {
            case ("!", "="): op = .notEqual
            case ("!", "~"): op = .notMatches
            case ("=", "~"): op = .matches
            case ("=", _): op = .equal; width = 1
            default: op = nil
            }
            if let op {
                return (String(characters[..<i]), op, String(characters[(i + width)...]))
            }
        }
        return nil
    }

    /// A duration in seconds: `300`, `300s`, `5m`, `1h`, `1d`, `1w`.
    static func duration(_ text: String) -> Int64? {
        if let seconds = Int64(text), seconds > 0 { return seconds }
        let units: [(String, Int64)] = [("ms", 0), ("s", 1), ("m", 60), ("h", 3_600), ("d", 86_400), ("w", 604_800)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            guard factor > 0, let n = Int64(text.dropLast(suffix.count)), n > 0 else { return nil }
            return n * factor
        }
        return nil
    }

    /// RFC 3339, Unix seconds (integer or decimal), `now`, `-24h`, `now-24h`.
    static func time(_ text: String, now: Int64, parameter: String) throws -> Int64 {
        if text == "now" { return now }
        var relative = text
        if relative.hasPrefix("now") { relative.removeFirst(3) }
        if relative.hasPrefix("-"), let seconds = duration(String(relative.dropFirst())) { return now - seconds }
        if let seconds = Int64(text) { return seconds }
        if let seconds = Double(text), seconds.isFinite { return Int64(seconds.rounded(.down)) }
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return Int64(date.timeIntervalSince1970.rounded(.down)) }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return Int64(date.timeIntervalSince1970.rounded(.down)) }
        throw APIError(.badRequest, "invalid \(parameter)",
                       detail: "\(parameter) must be RFC 3339, Unix seconds, now, or relative like -24h; got \"\(text)\"")
    }
}
