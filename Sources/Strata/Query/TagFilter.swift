/// One tag condition of a query. Conditions on different tags are combined with AND; one condition
/// can accept several values (OR within one tag: a list for `=`, an alternation for `=~`).
///
/// A series that lacks the tag never matches `=` or `=~` and always passes `!=` and `!~`. Regular
/// expressions use Swift `Regex` syntax and are *searched* in the value (not anchored): write
/// `^5` for "starts with 5", `^(4|5)` for 4xx or 5xx, `^200$` for an exact value.
public struct TagFilter: Sendable, Equatable, Hashable, Codable {
    /// The comparison.
    public enum Operator: String, Sendable, Equatable, Hashable, Codable {
        /// The value is one of ``TagFilter/values``.
        case equal = "="
        /// The value is none of ``TagFilter/values``.
        case notEqual = "!="
        /// The value contains a match of the regular expression ``TagFilter/values``[0].
        case matches = "=~"
        /// The value contains no match of the regular expression ``TagFilter/values``[0].
        case notMatches = "!~"
    }

    /// The tag key (a stored tag, or a derived tag such as `status_class`).
    public var key: String
    /// The comparison.
    public var op: Operator
    /// The accepted values (`=`, `!=`), or one regular expression (`=~`, `!~`).
    public var values: [String]

    /// A condition with explicit values.
    public init(_ key: String, _ op: Operator, _ values: [String]) {
        self.key = key
        self.op = op
        self.values = values
    }

    /// `key = value`.
    public static func equal(_ key: String, _ values: String...) -> TagFilter { TagFilter(key, .equal, values) }
    /// `key != value`.
    public static func notEqual(_ key: String, _ values: String...) -> TagFilter { TagFilter(key, .notEqual, values) }
    /// `key =~ pattern`.
    public static func matches(_ key: String, _ pattern: String) -> TagFilter { TagFilter(key, .matches, [pattern]) }
    /// `key !~ pattern`.
    public static func notMatches(_ key: String, _ pattern: String) -> TagFilter { TagFilter(key, .notMatches, [pattern]) }

    /// Whether the condition is positive (`=`, `=~`): a series must have a matching value.
    var isPositive: Bool { op == .equal || op == .matches }
}
