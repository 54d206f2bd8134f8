/// One tag of a point: an indexed key/value pair (both unescaped).
public struct Tag: Sendable, Equatable, Hashable {
    /// The tag key.
    public var key: String
    /// The tag value.
    public var value: String

    /// Creates a tag.
    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}
