/// A tag of a ``ParsedPoint``: unescaped key and value bytes in ``ParsedBatch/bytes``.
public struct ParsedTag: Sendable, BitwiseCopyable {
    /// The tag key.
    public var key: ByteRange
    /// The tag value.
    public var value: ByteRange

    /// Creates a parsed tag.
    @inlinable
    public init(key: ByteRange, value: ByteRange) {
        self.key = key
        self.value = value
    }
}
