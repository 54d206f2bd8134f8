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

/// A field of a ``ParsedPoint``, stored without allocation: 24 bytes (the parser writes three or
/// so per line and the head reads them back, so their size is memory traffic on the ingest path).
public struct ParsedField: Sendable, BitwiseCopyable {
    /// The unescaped field key in ``ParsedBatch/bytes``.
    public var key: ByteRange
    /// The value's bits: `Double.bitPattern` for floats, the `Int64` bit pattern for integers, the value
    /// for unsigned integers, 0 or 1 for booleans; for strings, the value's ``ByteRange`` (start in the
    /// upper 32 bits, count in the lower; see ``string``).
    public var bits: UInt64
    /// The type of the value.
    public var kind: FieldKind

    /// Creates a parsed field; `string` is the value of a string field (ignored for other kinds).
    @inlinable
    public init(key: ByteRange, kind: FieldKind, bits: UInt64, string: ByteRange = .empty) {
        self.key = key
        self.kind = kind
        self.bits = kind == .string ? UInt64(string.start) << 32 | UInt64(string.count) : bits
    }

    /// The unescaped string value in ``ParsedBatch/bytes`` (string fields only; empty otherwise).
    @inlinable public var string: ByteRange {
        kind == .string ? ByteRange(start: UInt32(truncatingIfNeeded: bits >> 32), count: UInt32(truncatingIfNeeded: bits)) : .empty
    }
    /// The value as a `Double` for floats, integers and unsigned integers; `nil` for booleans and strings.
    @inlinable public var numericValue: Double? {
        switch kind {
        case .float: Double(bitPattern: bits)
        case .integer: Double(Int64(bitPattern: bits))
        case .unsigned: Double(bits)
        case .boolean, .string: nil
        }
    }
    /// The float value (meaningful for ``FieldKind/float`` only).
    @inlinable public var floatValue: Double { Double(bitPattern: bits) }
    /// The integer value (meaningful for ``FieldKind/integer`` only).
    @inlinable public var integerValue: Int64 { Int64(bitPattern: bits) }
    /// The boolean value (meaningful for ``FieldKind/boolean`` only).
    @inlinable public var booleanValue: Bool { bits != 0 }
}
