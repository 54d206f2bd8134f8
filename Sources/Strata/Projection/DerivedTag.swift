/// A tag computed from another tag's value, for projections and filters (e.g. `status_class` = `5xx`
/// from `status` = `503`).
public struct DerivedTag: Sendable, Equatable, Hashable, Codable {
    /// How the value is computed.
    public enum Rule: String, Sendable, Equatable, Hashable, Codable {
        /// A three-digit code `Dnn` becomes `Dxx`; any other value becomes `other`.
        case statusClass
    }

    /// The derived tag's key.
    public var name: String
    /// The stored tag it is computed from.
    public var source: String
    /// The computation.
    public var rule: Rule

    /// A derived tag.
    public init(name: String, source: String, rule: Rule) {
        self.name = name
        self.source = source
        self.rule = rule
    }

    /// `status_class` from `status`: `2xx`, `4xx`, `5xx`, … (`other` for non-three-digit values).
    public static let statusClass = DerivedTag(name: "status_class", source: "status", rule: .statusClass)

    /// The derived value for a source value (nil when the series lacks the source tag).
    public func value(from source: String?) -> String? {
        guard let source else { return nil }
        switch rule {
        case .statusClass:
            let bytes = Array(source.utf8)
            guard bytes.count == 3, bytes.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return "other" }
            return String(decoding: [bytes[0]], as: UTF8.self) + "xx"
        }
    }
}
