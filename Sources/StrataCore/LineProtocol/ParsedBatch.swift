/// The reusable output of ``LineProtocolParser``: every good point of one or more parse calls, as a
/// struct of arrays, plus one error per bad line.
///
/// All text (measurements, keys, tag values, string values) is unescaped and copied into ``bytes``;
/// points, tags and fields refer to it by ``ByteRange``. A point's measurement, tag keys and tag values
/// are written back to back, each preceded by its length as a LEB128 varint: that stretch
/// (``seriesKeyRange(of:)``) is the point's series key in the encoding of ``SeriesKey/canonicalBytes``,
/// with the tags in input order, so lines whose tags arrive sorted need no key building at all.
///
/// Parsing into an empty batch allocates its four arrays once, sized for the whole input and not
/// initialized beforehand; parsing a line allocates nothing (beyond amortised growth when more input is
/// parsed into a batch that already holds points). A batch holds at most 4 GiB of text.
public struct ParsedBatch: Sendable {
    /// Unescaped text of all points.
    public internal(set) var bytes: [UInt8] = []
    /// The good points, in input order.
    public internal(set) var points: [ParsedPoint] = []
    /// Tags of all points; a point's tags are the contiguous run ``ParsedPoint/tagIndices``.
    public internal(set) var tags: [ParsedTag] = []
    /// Fields of all points; a point's fields are the contiguous run ``ParsedPoint/fieldIndices``.
    public internal(set) var fields: [ParsedField] = []
    /// One error per rejected line, in input order.
    public internal(set) var errors: [LineProtocolError] = []
    /// Lines that were neither blank nor comments (good and bad), over all parse calls.
    public internal(set) var linesRead: Int = 0

    /// Creates an empty batch.
    public init() {}

    /// Empties the batch, keeping its capacity for reuse.
    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        points.removeAll(keepingCapacity: true)
        tags.removeAll(keepingCapacity: true)
        fields.removeAll(keepingCapacity: true)
        errors.removeAll(keepingCapacity: true)
        linesRead = 0
    }

    /// Where `point`'s measurement and tags are in ``bytes``, each part prefixed by its varint length:
    /// the series key with the tags in input order (the canonical key when they are sorted by key).
    public func seriesKeyRange(of point: ParsedPoint) -> Range<Int> {
        tags.withUnsafeBufferPointer { Self.seriesKeyRange(of: point, tags: $0) }
    }

    /// ``seriesKeyRange(of:)`` given the batch's ``tags`` as a buffer (for hot loops).
    @inlinable @inline(__always)
    public static func seriesKeyRange(of point: ParsedPoint, tags: UnsafeBufferPointer<ParsedTag>) -> Range<Int> {
        let start = Int(point.measurement.start)
        let count = Int(point.measurement.count)
        var prefixLength = 1
        var rest = count >> 7
        while rest > 0 {
            prefixLength += 1
            rest >>= 7
        }
        guard point.tagCount > 0 else { return (start - prefixLength)..<(start + count) }
        let last = tags[Int(point.tagStart) + Int(point.tagCount) - 1].value
        return (start - prefixLength)..<(Int(last.start) + Int(last.count))
    }

    /// The text in `range` as a `String` (allocates; not for the hot path).
    public func string(_ range: ByteRange) -> String {
        withBytes(range) { String(decoding: $0, as: UTF8.self) }
    }

    /// Calls `body` with the bytes in `range`, without copying: for hashing or comparing keys.
    @inlinable
    public func withBytes<R>(_ range: ByteRange, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        precondition(Int(range.start) + Int(range.count) <= bytes.count, "range outside batch bytes")
        return try bytes.withUnsafeBytes { all in
            try body(UnsafeRawBufferPointer(rebasing: all[range.indices]))
        }
    }

    /// The bytes in `range` as a slice of ``bytes`` (no copy).
    @inlinable
    public func slice(_ range: ByteRange) -> ArraySlice<UInt8> {
        bytes[range.indices]
    }

    /// Whether the bytes in two ranges are equal.
    @inlinable
    public func bytesEqual(_ a: ByteRange, _ b: ByteRange) -> Bool {
        a.count == b.count && bytes[a.indices].elementsEqual(bytes[b.indices])
    }

    /// The typed value of `field` (allocates for strings).
    public func value(of field: ParsedField) -> FieldValue {
        switch field.kind {
        case .float: .float(Double(bitPattern: field.bits))
        case .integer: .integer(Int64(bitPattern: field.bits))
        case .unsigned: .unsigned(field.bits)
        case .boolean: .boolean(field.bits != 0)
        case .string: .string(string(field.string))
        }
    }

    /// An owned copy of the point at `index` in ``points``.
    public func point(at index: Int) -> Point {
        let parsed = points[index]
        return Point(
            measurement: string(parsed.measurement),
            tags: parsed.tagIndices.map { Tag(key: string(tags[$0].key), value: string(tags[$0].value)) },
            fields: parsed.fieldIndices.map { Field(key: string(fields[$0].key), value: value(of: fields[$0])) },
            timestamp: parsed.timestamp
        )
    }

    /// Owned copies of all points.
    public func allPoints() -> [Point] {
        points.indices.map(point(at:))
    }
}
