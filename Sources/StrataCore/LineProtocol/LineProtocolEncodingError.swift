/// Why ``LineProtocolSerializer/validate(_:)`` refused a point.
public struct LineProtocolEncodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong with the point.
    public enum Reason: Sendable, Equatable {
        /// The measurement is empty, contains a control character, ends in a backslash or starts with `#`.
        case invalidMeasurement(String)
        /// A tag key is empty, contains a control character or ends in a backslash.
        case invalidTagKey(String)
        /// A tag value is empty, contains a control character or ends in a backslash.
        case invalidTagValue(key: String, value: String)
        /// Two tags share a key.
        case duplicateTagKey(String)
        /// The point has no fields.
        case noFields
        /// A field key is empty, contains a control character or ends in a backslash.
        case invalidFieldKey(String)
        /// A float field is NaN or infinite, which line protocol cannot express.
        case nonFiniteFloat(key: String)
    }

    /// What is wrong with the point.
    public var reason: Reason

    /// Creates an error.
    public init(_ reason: Reason) {
        self.reason = reason
    }

    /// A human-readable message.
    public var description: String {
        switch reason {
        case .invalidMeasurement(let name): "invalid measurement \(name.debugDescription)"
        case .invalidTagKey(let key): "invalid tag key \(key.debugDescription)"
        case .invalidTagValue(let key, let value): "invalid tag value \(key)=\(value.debugDescription)"
        case .duplicateTagKey(let key): "duplicate tag key \(key.debugDescription)"
        case .noFields: "point has no fields"
        case .invalidFieldKey(let key): "invalid field key \(key.debugDescription)"
        case .nonFiniteFloat(let key): "field \(key.debugDescription) is not a finite number"
        }
    }
}
