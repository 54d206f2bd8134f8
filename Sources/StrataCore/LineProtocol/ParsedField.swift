/// The type of a field value.
public enum FieldKind: UInt8, Sendable, BitwiseCopyable {
    /// A 64-bit float.
    case float
    /// A signed 64-bit integer (`i` suffix).
    case integer
    /// An unsigned 64-bit integer (`u` suffix).
    case unsigned
    /// A boolean.
    case boolean
    /// A string.
    case string
}

/// A field of a ``ParsedPoint``, stored without allocation.
public struct ParsedField: Sendable, BitwiseCopyable {
    // Stored in this order (not the initializer's) so that the struct packs into 40 bytes, not 48.

    /// The unescaped field key in ``ParsedBatch/bytes``.
    public var key: ByteRange
    /// The unescaped string value in ``ParsedBatch/bytes`` (string fields only; empty otherwise).
    public var string: ByteRange
    /// The value's bits: `Double.bitPattern` for floats, the `Int64` bit pattern for integers, the value
    /// for unsigned integers, 0 or 1 for booleans, 0 for strings.
    public var bits: UInt64
    /// The value as a `Double` for floats, integers and unsigned integers; `nil` for booleans and strings.
    public var numericValue: Double?
    /// The type of the value.
    public var kind: FieldKind

    /// Creates a parsed field.
    @inlinable
    public init(key: ByteRange, kind: FieldKind, bits: UInt64, string: ByteRange = .empty, numericValue: Double?) {
        self.key = key
        self.kind = kind
        self.bits = bits
        self.string = string
        self.numericValue = numericValue
    }

    /// The float value (meaningful for ``FieldKind/float`` only).
    @inlinable public var floatValue: Double { Double(bitPattern: bits) }
    /// The integer value (meaningful for ``FieldKind/integer`` only).
    @inlinable public var integerValue: Int64 { Int64(bitPattern: bits) }
    /// The boolean value (meaningful for ``FieldKind/boolean`` only).
    @inlinable public var booleanValue: Bool { bits != 0 }
}
