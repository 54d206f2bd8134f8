/// One field of a point: an unescaped key and a typed value.
public struct Field: Sendable, Equatable {
    /// The field key.
    public var key: String
    /// The field value.
    public var value: FieldValue

    /// Creates a field.
    public init(key: String, value: FieldValue) {
        self.key = key
        self.value = value
    }
}
