#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open file descriptor with the few operations Strata's formats need: whole writes, positional
/// reads, fsync and truncation. Every call retries on EINTR and throws ``IOError`` naming the path.
///
/// Not copyable: exactly one owner closes it (on `close()` or when it goes away).
public struct File: ~Copyable, Sendable {
    /// The path the file was opened with (for messages).
    public let path: String
    private let descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit { _ = Glibc.close(descriptor) }

    /// Opens an existing file read-only.
    public static func openForReading(_ path: String) throws(IOError) -> File {
        let fd = try retryingOnInterrupt("open", path) { Glibc.open(path, O_RDONLY | O_CLOEXEC) }
        return File(path: path, descriptor: fd)
    }

    /// Creates a new file (failing if it exists) for writing.
    public static func createNew(_ path: String) throws(IOError) -> File {
        let fd = try retryingOnInterrupt("create", path) { Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644) }
        return File(path: path, descriptor: fd)
    }

    /// Opens a file for appending, creating it when missing.
    public static func openForAppending(_ path: String) throws(IOError) -> File {
        let fd = try retryingOnInterrupt("open", path) { Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644) }
        return File(path: path, descriptor: fd)
    }

    /// Writes all of `bytes` at the current offset: either everything is written or it throws.
    public func writeAll(_ bytes: [UInt8]) throws(IOError) {
        var written = 0
        while written < bytes.count {
            let n = try retryingOnInterrupt("write", path) {
                bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + written, $0.count - written) }
            }
            written += n
        }
    }

    /// Reads up to `count` bytes at `offset` (fewer only at end of file).
    public func read(at offset: Int, count: Int) throws(IOError) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = try retryingOnInterrupt("pread", path) {
                output.withUnsafeMutableBytes { Glibc.pread(descriptor, $0.baseAddress! + done, count - done, off_t(offset + done)) }
            }
            if n == 0 { break }
            done += n
        }
        output.removeLast(count - done)
        return output
    }

    /// Reads the whole file.
    public func readAll() throws(IOError) -> [UInt8] {
        try read(at: 0, count: size())
    }

    /// The file's size in bytes.
    public func size() throws(IOError) -> Int {
        var info = stat()
        try retryingOnInterrupt("fstat", path) { fstat(descriptor, &info) }
        return Int(info.st_size)
    }

    /// Forces the file's data and metadata to stable storage, so a host crash cannot lose it.
    public func sync() throws(IOError) {
        try retryingOnInterrupt("fsync", path) { fsync(descriptor) }
    }

    /// Cuts the file to `length` bytes.
    public func truncate(to length: Int) throws(IOError) {
        try retryingOnInterrupt("ftruncate", path) { ftruncate(descriptor, off_t(length)) }
    }

    /// Maps the whole file read-only. The mapping stays valid after this `File` closes.
    public func map() throws(IOError) -> ByteStorage {
        let length = try size()
        if length == 0 { return ByteStorage(copying: []) }
        guard let address = mmap(nil, length, PROT_READ, MAP_PRIVATE, descriptor, 0), address != MAP_FAILED else {
            throw IOError(operation: "mmap", path: path, code: errno)
        }
        let buffer = UnsafeRawBufferPointer(start: address, count: length)
        return ByteStorage(buffer) { munmap(UnsafeMutableRawPointer(mutating: $0.baseAddress), $0.count) }
    }

    /// Closes the file now (otherwise it closes when it goes away).
    public consuming func close() {}
}
