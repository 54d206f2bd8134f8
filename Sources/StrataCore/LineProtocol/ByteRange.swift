/// A range of bytes in ``ParsedBatch/bytes``.
public struct ByteRange: Sendable, Equatable, BitwiseCopyable {
    /// Offset of the first byte.
    public var start: UInt32
    /// Number of bytes.
    public var count: UInt32

    /// Creates a range.
    @inlinable
    public init(start: UInt32, count: UInt32) {
        self.start = start
        self.count = count
    }

    /// The empty range at offset zero.
    public static let empty = ByteRange(start: 0, count: 0)

    /// The offsets covered, as an `Int` range.
    @inlinable
    public var indices: Range<Int> { Int(start)..<(Int(start) + Int(count)) }
}
