#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed file-system call: which operation, on which path, and the system's reason.
public struct IOError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The call that failed (`open`, `write`, `fsync`, `rename`, …).
    public var operation: String
    /// The path it acted on.
    public var path: String
    /// The `errno` value.
    public var code: Int32

    public init(operation: String, path: String, code: Int32) {
        self.operation = operation
        self.path = path
        self.code = code
    }

    public var description: String {
        "\(operation) \(path): \(String(cString: strerror(code))) (errno \(code))"
    }
}

/// Runs `call` until it does not fail with EINTR; returns its result or throws ``IOError``.
@discardableResult
func retryingOnInterrupt<T: BinaryInteger>(_ operation: String, _ path: String, _ call: () -> T) throws(IOError) -> T {
    while true {
        let result = call()
        if result >= 0 { return result }
        let code = errno
        if code == EINTR { continue }
        throw IOError(operation: operation, path: path, code: code)
    }
}
