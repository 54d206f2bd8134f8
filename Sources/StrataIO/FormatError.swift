/// A problem found while decoding bytes: every case names the offset where it was found.
///
/// Decoders throw these from ``ByteReader``; callers wrap them with the file and section they were reading
/// (see `CorruptionError` in the engine) so that a message always says where the damage is.
public enum FormatError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Fewer bytes remain than the field at `offset` needs.
    case truncated(offset: Int, needed: Int, available: Int)
    /// A varint at `offset` runs past 10 bytes or overflows 64 bits.
    case invalidVarint(offset: Int)
    /// The stored CRC32C does not match the computed one.
    case checksumMismatch(offset: Int, stored: UInt32, computed: UInt32)
    /// A magic number did not match.
    case badMagic(offset: Int, found: UInt64, expected: UInt64)
    /// The format version is not one this build can read.
    case unsupportedVersion(offset: Int, found: UInt8, supported: UInt8)
    /// A field holds a value that the format does not allow.
    case invalidValue(offset: Int, reason: String)

    public var description: String {
        switch self {
        case let .truncated(offset, needed, available):
            return "truncated at offset \(offset): needed \(needed) bytes, \(available) available"
        case let .invalidVarint(offset):
            return "invalid varint at offset \(offset)"
        case let .checksumMismatch(offset, stored, computed):
            return "checksum mismatch at offset \(offset): stored 0x\(String(stored, radix: 16)), computed 0x\(String(computed, radix: 16))"
        case let .badMagic(offset, found, expected):
            return "bad magic at offset \(offset): found 0x\(String(found, radix: 16)), expected 0x\(String(expected, radix: 16))"
        case let .unsupportedVersion(offset, found, supported):
            return "unsupported format version \(found) at offset \(offset) (this build reads version \(supported))"
        case let .invalidValue(offset, reason):
            return "invalid value at offset \(offset): \(reason)"
        }
    }
}
