/// A bounds-checked cursor over a ``ByteStorage``: the one decoder of every Strata format.
///
/// Every read checks the remaining length and throws ``FormatError`` naming the absolute offset
/// (within the storage) where it failed; no decoder touches raw memory. The reader keeps its
/// storage alive, so it may be stored and passed around freely.
public struct ByteReader: Sendable {
    @usableFromInline let storage: ByteStorage
    /// The absolute offset of the next byte to read.
    @inlinable public var offset: Int { position }
    @usableFromInline var position: Int
    /// The absolute offset one past the last readable byte.
    public let end: Int

    init(storage: ByteStorage, range: Range<Int>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= storage.buffer.count, "range outside storage")
        self.storage = storage
        self.position = range.lowerBound
        self.end = range.upperBound
    }

    /// A reader over a heap copy of `bytes` (one `memcpy`).
    public init(bytes: [UInt8]) {
        let storage = ByteStorage(copying: bytes)
        self.init(storage: storage, range: 0..<storage.count)
    }

    /// A reader over a heap copy of `bytes`.
    public init(bytes: some Collection<UInt8>) {
        let storage = ByteStorage(copying: bytes)
        self.init(storage: storage, range: 0..<storage.count)
    }

    /// Bytes left to read.
    @inlinable public var remaining: Int { end - offset }
    /// Whether every byte has been read.
    @inlinable public var isAtEnd: Bool { offset >= end }

    @inlinable
    mutating func require(_ n: Int) throws(FormatError) {
        if n < 0 || end - offset < n { throw FormatError.truncated(offset: offset, needed: n, available: end - offset) }
    }

    @inlinable
    public mutating func readUInt8() throws(FormatError) -> UInt8 {
        try require(1)
        defer { position += 1 }
        return storage.buffer[offset]
    }

    @inlinable
    public mutating func readUInt16() throws(FormatError) -> UInt16 {
        try require(2)
        defer { position += 2 }
        return UInt16(littleEndian: storage.buffer.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inlinable
    public mutating func readUInt32() throws(FormatError) -> UInt32 {
        try require(4)
        defer { position += 4 }
        return UInt32(littleEndian: storage.buffer.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inlinable
    public mutating func readUInt64() throws(FormatError) -> UInt64 {
        try require(8)
        defer { position += 8 }
        return UInt64(littleEndian: storage.buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    @inlinable
    public mutating func readInt64() throws(FormatError) -> Int64 { Int64(bitPattern: try readUInt64()) }

    @inlinable
    public mutating func readDouble() throws(FormatError) -> Double { Double(bitPattern: try readUInt64()) }

    /// Unsigned LEB128; rejects encodings longer than 10 bytes or overflowing 64 bits.
    @inlinable
    public mutating func readUVarint() throws(FormatError) -> UInt64 {
        let start = offset
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < end else { throw FormatError.truncated(offset: offset, needed: 1, available: 0) }
            let byte = storage.buffer[offset]
            position += 1
            if shift == 63 && byte > 1 { position = start; throw FormatError.invalidVarint(offset: start) }
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
            if shift > 63 { position = start; throw FormatError.invalidVarint(offset: start) }
        }
    }

    /// Zig-zag LEB128.
    @inlinable
    public mutating func readVarint() throws(FormatError) -> Int64 {
        let u = try readUVarint()
        return Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
    }

    /// A `UVarint` that must fit in `Int` and be at most `limit`.
    public mutating func readLength(limit: Int = Int.max) throws(FormatError) -> Int {
        let start = offset
        let value = try readUVarint()
        guard value <= UInt64(limit) else {
            throw FormatError.invalidValue(offset: start, reason: "length \(value) exceeds limit \(limit)")
        }
        return Int(value)
    }

    /// Copies the next `count` bytes.
    public mutating func readBytes(_ count: Int) throws(FormatError) -> [UInt8] {
        try require(count)
        defer { position += count }
        return Array(storage.buffer[offset..<(offset + count)])
    }

    /// A reader over the next `count` bytes (sharing the storage), advancing past them.
    public mutating func readSlice(_ count: Int) throws(FormatError) -> ByteReader {
        try require(count)
        defer { position += count }
        return ByteReader(storage: storage, range: offset..<(offset + count))
    }

    /// Skips `count` bytes.
    public mutating func skip(_ count: Int) throws(FormatError) {
        try require(count)
        position += count
    }

    /// The next `count` bytes decoded as UTF-8 (invalid sequences repaired).
    public mutating func readString(_ count: Int) throws(FormatError) -> String {
        try require(count)
        defer { position += count }
        return String(decoding: storage.buffer[offset..<(offset + count)], as: UTF8.self)
    }

    /// A reader over `range` (absolute offsets) of the same storage, independent of this cursor.
    public func reader(at range: Range<Int>) throws(FormatError) -> ByteReader {
        guard range.lowerBound >= 0, range.upperBound <= storage.buffer.count else {
            throw FormatError.truncated(offset: range.lowerBound, needed: range.count, available: max(0, storage.buffer.count - range.lowerBound))
        }
        return ByteReader(storage: storage, range: range)
    }

    /// The CRC32C of the bytes in `range` (absolute offsets).
    public func checksum(_ range: Range<Int>) -> UInt32 { storage.checksum(range) }

    /// Reads a little-endian CRC32C and checks it against the bytes in `range` (absolute offsets).
    public mutating func verifyChecksum(of range: Range<Int>) throws(FormatError) {
        let at = offset
        let stored = try readUInt32()
        let computed = storage.checksum(range)
        if stored != computed { throw FormatError.checksumMismatch(offset: at, stored: stored, computed: computed) }
    }

    /// All unread bytes, copied.
    public var remainingBytes: [UInt8] { Array(storage.buffer[offset..<end]) }
}
