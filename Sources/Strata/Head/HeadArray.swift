#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A growable array of plain values in one manually managed allocation: the head's hot-loop storage.
///
/// A final class, so writing an element is a bounds check and a store, with none of the copy-on-write
/// uniqueness checks a Swift `Array` inside a mutating struct pays on every write. Copying a
/// `HeadArray` reference shares the storage; ``copy()`` makes an independent one. Not thread-safe:
/// the head is used under the engine's lock.
///
/// The storage comes from `malloc` and grows with `realloc`: elements are plain bytes, and for large
/// arrays the allocator moves the pages (`mremap`) instead of copying them into freshly faulted memory.
final class HeadArray<Element: BitwiseCopyable>: @unchecked Sendable {
    /// Number of elements.
    private(set) var count = 0
    private var capacity: Int
    private var base: UnsafeMutablePointer<Element>

    /// An empty array with room for `capacity` elements before it grows.
    init(capacity: Int = 64) {
        precondition(MemoryLayout<Element>.alignment <= 16, "malloc aligns to 16 bytes")
        self.capacity = Swift.max(capacity, 4)
        base = Self.reallocate(nil, capacity: self.capacity)
    }

    /// An array of `count` copies of `value`.
    convenience init(repeating value: Element, count: Int) {
        self.init(capacity: count)
        base.initialize(repeating: value, count: count)
        self.count = count
    }

    deinit { free(base) }

    var isEmpty: Bool { count == 0 }

    /// The element at `index` (bounds-checked), readable and writable in place.
    subscript(index: Int) -> Element {
        @inline(__always) unsafeAddress {
            precondition(index >= 0 && index < count, "HeadArray index out of range")
            return UnsafePointer(base + index)
        }
        @inline(__always) unsafeMutableAddress {
            precondition(index >= 0 && index < count, "HeadArray index out of range")
            return base + index
        }
    }

    /// The address of element `index`, for prefetch hints only (clamped to the allocation).
    @inline(__always)
    func address(_ index: Int) -> UnsafeRawPointer {
        UnsafeRawPointer(base + Swift.min(Swift.max(index, 0), capacity - 1))
    }

    /// Appends `element`, doubling the allocation when full.
    @inline(__always)
    func append(_ element: Element) {
        if count == capacity { grow(to: capacity * 2) }
        (base + count).initialize(to: element)
        count += 1
    }

    /// Makes room for `additional` more elements without further growth.
    func reserveCapacity(adding additional: Int) {
        if count + additional > capacity { grow(to: Swift.max(capacity * 2, count + additional)) }
    }

    /// Removes every element, keeping the allocation.
    func removeAll() { count = 0 }

    /// An independent copy of the elements.
    func copy() -> HeadArray<Element> {
        let result = HeadArray(capacity: count)
        result.base.initialize(from: base, count: count)
        result.count = count
        return result
    }

    /// Calls `body` with the elements as a buffer (valid only during the call).
    func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Element>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: base, count: count))
    }

    private func grow(to newCapacity: Int) {
        base = Self.reallocate(base, capacity: newCapacity)
        capacity = newCapacity
    }

    /// `realloc` for `capacity` elements (elements are bitwise-copyable, so moving the bytes moves them).
    private static func reallocate(_ old: UnsafeMutablePointer<Element>?, capacity: Int) -> UnsafeMutablePointer<Element> {
        let (bytes, overflow) = capacity.multipliedReportingOverflow(by: MemoryLayout<Element>.stride)
        precondition(!overflow, "HeadArray capacity overflows")
        guard let raw = realloc(old, Swift.max(bytes, 1)) else { fatalError("out of memory growing a HeadArray to \(bytes) bytes") }
        return raw.bindMemory(to: Element.self, capacity: capacity)
    }
}

extension HeadArray where Element == UInt8 {
    /// Appends the bytes of `bytes` with one copy.
    @inline(__always)
    func append(contentsOf bytes: UnsafeRawBufferPointer) {
        reserveCapacity(adding: bytes.count)
        let destination = base + count
        if bytes.count <= 32 {
            // Short keys and values: a plain loop beats a call to memmove.
            for i in 0..<bytes.count { destination[i] = bytes[i] }
        } else if let source = bytes.baseAddress {
            UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: bytes.count)
        }
        count += bytes.count
    }

    /// Lets `body` write up to `maxCount` bytes at the end, then keeps the number of bytes it returns.
    @inline(__always)
    func appendBytes(upTo maxCount: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {
        reserveCapacity(adding: maxCount)
        let written = body(base + count)
        precondition(written >= 0 && written <= maxCount, "wrote outside the reserved bytes")
        count += written
    }

    /// The bytes in `range` as a raw buffer (valid only until the next append).
    @inline(__always)
    func bytes(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "HeadArray range out of bounds")
        return UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count)
    }
}
