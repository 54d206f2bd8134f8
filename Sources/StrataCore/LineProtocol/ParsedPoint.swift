/// One good line of a ``ParsedBatch``: indexes into the batch's shared arrays.
public struct ParsedPoint: Sendable, BitwiseCopyable {
    /// The unescaped measurement name in ``ParsedBatch/bytes``.
    public var measurement: ByteRange
    /// Index of the point's first tag in ``ParsedBatch/tags``.
    public var tagStart: Int32
    /// Number of tags (in input order).
    public var tagCount: Int32
    /// Index of the point's first field in ``ParsedBatch/fields``.
    public var fieldStart: Int32
    /// Number of fields (at least one, in input order).
    public var fieldCount: Int32
    /// Timestamp in nanoseconds since the Unix epoch; the parse call's default when the line had none.
    public var timestamp: Int64
    /// The 1-based line number the point started on.
    public var line: Int32

    /// Creates a parsed point.
    @inlinable
    public init(
        measurement: ByteRange, tagStart: Int32, tagCount: Int32, fieldStart: Int32, fieldCount: Int32,
        timestamp: Int64, line: Int32
    ) {
        self.measurement = measurement
        self.tagStart = tagStart
        self.tagCount = tagCount
        self.fieldStart = fieldStart
        self.fieldCount = fieldCount
        self.timestamp = timestamp
        self.line = line
    }

    /// The indexes of this point's tags in ``ParsedBatch/tags``.
    @inlinable public var tagIndices: Range<Int> { Int(tagStart)..<Int(tagStart + tagCount) }
    /// The indexes of this point's fields in ``ParsedBatch/fields``.
    @inlinable public var fieldIndices: Range<Int> { Int(fieldStart)..<Int(fieldStart + fieldCount) }
}
