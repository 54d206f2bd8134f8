#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An immutable run of bytes that stays valid for the life of this object: an owned heap copy or a
/// read-only memory map. ``ByteReader``s hold a reference, so a reader can never outlive its bytes.
public final class ByteStorage: @unchecked Sendable {
    /// The bytes. Immutable for the life of the object; never escapes StrataIO.
    @usableFromInline let buffer: UnsafeRawBufferPointer
    private let release: @Sendable (UnsafeRawBufferPointer) -> Void

    /// A heap copy of `bytes`.
    public convenience init(copying bytes: some Collection<UInt8>) {
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
        _ = memory.initializeMemory(as: UInt8.self, from: bytes)
        self.init(UnsafeRawBufferPointer(start: memory.baseAddress, count: bytes.count)) { $0.deallocate() }
    }

    /// A heap copy of `bytes` (one `memcpy`).
    public convenience init(copying bytes: [UInt8]) {
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
        bytes.withUnsafeBytes { source in
            if let base = source.baseAddress { memory.baseAddress!.copyMemory(from: base, byteCount: source.count) }
        }
        self.init(UnsafeRawBufferPointer(start: memory.baseAddress, count: bytes.count)) { $0.deallocate() }
    }

    /// Takes ownership of `buffer`; `release` frees it when the storage goes away.
    init(_ buffer: UnsafeRawBufferPointer, release: @escaping @Sendable (UnsafeRawBufferPointer) -> Void) {
        self.buffer = buffer
        self.release = release
    }

    deinit { release(buffer) }

    /// The number of bytes.
    public var count: Int { buffer.count }

    /// A reader over all the bytes, or over `range`.
    public func reader(_ range: Range<Int>? = nil) -> ByteReader {
        ByteReader(storage: self, range: range ?? 0..<buffer.count)
    }

    /// A copy of the bytes in `range`.
    public func copyBytes(_ range: Range<Int>) -> [UInt8] {
        precondition(range.lowerBound >= 0 && range.upperBound <= buffer.count, "range outside storage")
        return Array(buffer[range])
    }

    /// The CRC32C of the bytes in `range`.
    public func checksum(_ range: Range<Int>) -> UInt32 {
        precondition(range.lowerBound >= 0 && range.upperBound <= buffer.count, "range outside storage")
        return CRC32C.update(0, UnsafeRawBufferPointer(rebasing: buffer[range]))
    }
}
