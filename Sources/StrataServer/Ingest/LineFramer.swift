/// Splits a byte stream of newline-delimited line protocol into batches of complete lines.
///
/// Bytes arrive in arbitrary pieces (a line may be split across reads, even byte by byte). The framer
/// scans every byte exactly once: a partial line is kept in ``partial`` (which never contains a
/// newline, so it is never rescanned), and complete lines are appended, with their terminator, to the
/// pending batch that ``takeBatch()`` hands out.
///
/// A line longer than `maxLineLength` bytes (not counting `\n` or `\r\n`) is rejected whole: the
/// framer stops buffering it as soon as it is known to be too long and skips to the next newline, so
/// an endless line costs no memory. Such lines are counted in ``overlongLines``.
public struct LineFramer: Sendable {
    /// The longest accepted line, without its terminator.
    public let maxLineLength: Int
    /// The unterminated tail of the stream (never contains `\n`).
    public private(set) var partial: [UInt8] = []
    /// Complete lines not yet handed out, each ending in `\n`.
    public private(set) var batch: [UInt8] = []
    /// An empty buffer with capacity, for the next batch (see ``recycle(_:maxKeptBytes:)``).
    private var spare: [UInt8] = []
    /// Complete lines in ``batch``.
    public private(set) var batchLines = 0
    /// Whether the framer is skipping the rest of an over-long line.
    public private(set) var discarding = false
    /// Over-long lines rejected so far.
    public private(set) var overlongLines = 0
    /// Bytes seen so far.
    public private(set) var bytesSeen = 0

    public init(maxLineLength: Int) {
        precondition(maxLineLength > 0)
        self.maxLineLength = maxLineLength
    }

    /// Whether a batch is ready.
    public var hasBatch: Bool { !batch.isEmpty }

    /// Feeds the next bytes of the stream.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        let count = bytes.count
        bytesSeen += count
        guard count > 0, let base = bytes.baseAddress else { return }
        var start = 0
        while start < count {
            // memchr: the next newline at or after `start`, each byte looked at once.
            let found = memchr(base + start, 0x0A, count - start)
            let end = found.map { UnsafeRawPointer($0) - base } ?? count  // index of '\n' or count
            let segment = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
            if discarding {
                if found != nil { discarding = false }
            } else if partial.count + segment.count > maxLineLength + 1 {
                // Too long even if its last byte is the '\r' of a "\r\n": reject without buffering.
                partial.removeAll(keepingCapacity: partial.capacity <= 4096)
                overlongLines += 1
                discarding = found == nil
            } else if found != nil {
                let length = partial.count + segment.count
                let lastByte = segment.last ?? partial.last
                let contentLength = lastByte == 0x0D ? length - 1 : length
                if contentLength > maxLineLength {
                    overlongLines += 1
                } else if contentLength > 0 {
                    batch.append(contentsOf: partial)
                    batch.append(contentsOf: segment)
                    batch.append(0x0A)
                    batchLines += 1
                }
                partial.removeAll(keepingCapacity: partial.capacity <= 4096)
            } else {
                partial.append(contentsOf: segment)
            }
            start = end + 1
        }
    }

    /// Feeds the next bytes of the stream.
    public mutating func feed(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { feed($0) }
    }

    /// The stream ended: an unterminated last line counts as a line.
    public mutating func finish() {
        if !discarding, !partial.isEmpty {
            let contentLength = partial.last == 0x0D ? partial.count - 1 : partial.count
            if contentLength > maxLineLength {
                overlongLines += 1
            } else if contentLength > 0 {
                batch.append(contentsOf: partial)
                batch.append(0x0A)
                batchLines += 1
            }
        }
        partial = []
        discarding = false
    }

    /// Forgets the unterminated tail (the stream was cut, not ended).
    public mutating func dropPartial() {
        partial = []
        discarding = false
    }

    /// Hands out the complete lines gathered so far and starts a new batch (in the buffer last given
    /// to ``recycle(_:)``, if any).
    public mutating func takeBatch() -> (bytes: [UInt8], lines: Int) {
        defer {
            batch = spare
            spare = []
            batchLines = 0
        }
        return (batch, batchLines)
    }

    /// Gives back a batch's buffer once it is stored: the next batch is gathered into it, so its
    /// memory is reused instead of being mapped (and page-faulted) afresh. Buffers larger than
    /// `maxKeptBytes` are dropped.
    public mutating func recycle(_ buffer: consuming [UInt8], maxKeptBytes: Int) {
        guard buffer.capacity <= maxKeptBytes, buffer.capacity > spare.capacity else { return }
        var kept = consume buffer
        kept.removeAll(keepingCapacity: true)
        spare = kept
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
