/// A compiled ``TagFilter``: tests one tag value (nil when the series lacks the tag).
struct TagMatcher {
    let key: String
    let op: TagFilter.Operator
    private let values: Set<String>
    private let regex: Regex<AnyRegexOutput>?

    /// Compiles `filter`; a bad pattern throws ``QueryError/invalidRegex(tag:pattern:)``.
    static func compile(_ filter: TagFilter) throws(QueryError) -> TagMatcher {
        switch filter.op {
        case .equal, .notEqual:
            return TagMatcher(key: filter.key, op: filter.op, values: Set(filter.values), regex: nil)
        case .matches, .notMatches:
            let pattern = filter.values.first ?? ""
            do {
                let regex = try Regex(pattern)
                return TagMatcher(key: filter.key, op: filter.op, values: [], regex: regex)
            } catch {
                throw .invalidRegex(tag: filter.key, pattern: pattern)
            }
        }
    }

    /// Whether `op` requires a matching value (`=`, `=~`) rather than excluding one (`!=`, `!~`).
    var isPositive: Bool { op == .equal || op == .matches }

    /// Whether `value` is listed (`=`, `!=`) or contains a match (`=~`, `!~`), ignoring the negation.
    func hits(_ value: String) -> Bool {
        if let regex { return (try? regex.firstMatch(in: value)) != nil }
        return values.contains(value)
    }

    /// Whether a series whose tag has `value` passes the condition.
    func accepts(_ value: String?) -> Bool {
        guard let value else { return !isPositive }
        return hits(value) == isPositive
    }
}
