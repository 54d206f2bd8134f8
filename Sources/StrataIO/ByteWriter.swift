/// The one encoder of every Strata format: appends little-endian integers, LEB128 varints,
/// IEEE-754 doubles and raw bytes to a growable array.
///
/// All multi-byte integers are little-endian. `UVarint` is unsigned LEB128 (7 bits a byte, low
/// groups first, at most 10 bytes); `Varint` is zig-zag encoded then written as a `UVarint`.
public struct ByteWriter: Sendable {
    /// The bytes written so far.
    @inlinable public var bytes: [UInt8] { storage }
    @usableFromInline var storage: [UInt8]

    /// An empty writer, reserving `capacity` bytes.
    public init(capacity: Int = 256) {
        storage = []
        storage.reserveCapacity(capacity)
    }

    /// The number of bytes written so far.
    @inlinable public var count: Int { storage.count }

    @inlinable
    public mutating func writeUInt8(_ value: UInt8) { storage.append(value) }

    @inlinable
    public mutating func writeUInt16(_ value: UInt16) {
        storage.append(UInt8(truncatingIfNeeded: value))
        storage.append(UInt8(truncatingIfNeeded: value >> 8))
    }

    @inlinable
    public mutating func writeUInt32(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { storage.append(contentsOf: $0) }
    }

    @inlinable
    public mutating func writeUInt64(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { storage.append(contentsOf: $0) }
    }

    @inlinable
    public mutating func writeInt64(_ value: Int64) { writeUInt64(UInt64(bitPattern: value)) }

    /// Writes the IEEE-754 bit pattern of `value` as a little-endian `UInt64`.
    @inlinable
    public mutating func writeDouble(_ value: Double) { writeUInt64(value.bitPattern) }

    /// Unsigned LEB128: 1 byte for values below 128, at most 10 bytes.
    @inlinable
    public mutating func writeUVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            storage.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        storage.append(UInt8(v))
    }

    /// Zig-zag then LEB128: small magnitudes of either sign take few bytes.
    @inlinable
    public mutating func writeVarint(_ value: Int64) {
        writeUVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    @inlinable
    public mutating func writeBytes(_ other: some Sequence<UInt8>) { storage.append(contentsOf: other) }

    /// Writes a `UVarint` length then the bytes.
    @inlinable
    public mutating func writeLengthPrefixed(_ other: [UInt8]) {
        writeUVarint(UInt64(other.count))
        storage.append(contentsOf: other)
    }

    /// Writes the CRC32C of the bytes from `start` to the current end, as a little-endian `UInt32`.
    public mutating func writeChecksum(from start: Int) {
        let crc = storage.withUnsafeBytes { CRC32C.update(0, UnsafeRawBufferPointer(rebasing: $0[start...])) }
        writeUInt32(crc)
    }

    /// Overwrites 4 bytes at `offset` with `value`, little-endian (for back-patched lengths).
    public mutating func patchUInt32(_ value: UInt32, at offset: Int) {
        precondition(offset >= 0 && offset + 4 <= storage.count, "patch outside written bytes")
        for i in 0..<4 { storage[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(i))) }
    }

    /// Forgets the bytes written, keeping the capacity.
    public mutating func removeAll() { storage.removeAll(keepingCapacity: true) }
}
