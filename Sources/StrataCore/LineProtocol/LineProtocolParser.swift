/// A fast InfluxDB line-protocol parser: it allocates per batch, never per line.
///
/// The parser follows the line-protocol reference and the behaviour of InfluxData's Go reference decoder
/// (`github.com/influxdata/line-protocol/v2/lineprotocol`), checked against its conformance corpus:
///
/// - A line is `measurement[,tag=value...] field=value[,field=value...] [timestamp]`. Leading spaces are
///   ignored; fields and timestamp are separated by one or more spaces; trailing spaces are ignored.
/// - Lines end with `\n` or `\r\n` (the last line may have no terminator). Blank lines and comment
///   lines (`#` after optional spaces) are skipped.
/// - In measurements `\,` and `\ ` are escapes; in tag keys, tag values and field keys `\,`, `\=` and
///   `\ ` are. A backslash before any other byte is kept literally. Names and keys must not contain
///   control characters (tag values may, except `\r` and `\n`, as in the reference decoder), and the
///   unescaped text must be valid UTF-8.
/// - String field values are double-quoted; `\"` and `\\` are escapes, any other byte (including a
///   newline, so a string may span lines) is taken literally.
/// - Floats, `i` integers, `u` unsigned integers, and booleans `t T true True TRUE f F false False FALSE`.
///   `NaN`, `Inf` and hexadecimal floats are rejected.
/// - Duplicate tag keys are rejected; duplicate field keys are kept as given.
///
/// Every bad line produces exactly one ``LineProtocolError`` and parsing resumes on the next line
/// (after the line where the error was found). An unterminated string never swallows the following
/// lines: parsing resumes on the line after its opening quote.
public struct LineProtocolParser: Sendable {
    /// The unit of timestamps in the input.
    public var precision: TimestampPrecision
    /// The size limits enforced on every line.
    public var limits: LineProtocolLimits

    /// Creates a parser for input whose timestamps are in `precision` units.
    public init(precision: TimestampPrecision = .nanoseconds, limits: LineProtocolLimits = .default) {
        self.precision = precision
        self.limits = limits
    }

    /// Parses every line of `input` (the last line may lack a newline), appending good points to
    /// `batch` and one error per bad line. Never stops at a bad line.
    ///
    /// - Parameters:
    ///   - defaultTimestamp: nanoseconds since the epoch for lines without a timestamp; it is rounded
    ///     down to a whole number of `precision` units, as InfluxDB does.
    ///   - firstLineNumber: the line number of the first line of `input`, for error messages when input
    ///     arrives in chunks.
    public func parse(_ input: [UInt8], defaultTimestamp: Int64, firstLineNumber: Int = 1, into batch: inout ParsedBatch) {
        input.withUnsafeBytes { buffer in
            parse(buffer, defaultTimestamp: defaultTimestamp, firstLineNumber: firstLineNumber, into: &batch)
        }
    }

    /// Parses every line of `input`; see ``parse(_:defaultTimestamp:firstLineNumber:into:)-([UInt8],_,_,_)``.
    public func parse(
        _ input: ArraySlice<UInt8>, defaultTimestamp: Int64, firstLineNumber: Int = 1, into batch: inout ParsedBatch
    ) {
        input.withUnsafeBytes { buffer in
            parse(buffer, defaultTimestamp: defaultTimestamp, firstLineNumber: firstLineNumber, into: &batch)
        }
    }

    /// Parses every line of the bytes in `input` (for example a NIO `ByteBuffer`'s readable bytes); see
    /// ``parse(_:defaultTimestamp:firstLineNumber:into:)-([UInt8],_,_,_)``. The bytes are only read during
    /// the call.
    public func parse(
        _ input: UnsafeRawBufferPointer, defaultTimestamp: Int64, firstLineNumber: Int = 1, into batch: inout ParsedBatch
    ) {
        guard let inputBase = input.baseAddress, input.count > 0 else { return }
        let writeBase = batch.bytes.count
        precondition(writeBase + input.count <= Int(UInt32.max), "a ParsedBatch holds at most 4 GiB of text")

        var bytes: [UInt8] = []
        swap(&bytes, &batch.bytes)

        var scanner = LineScanner(
            input: inputBase.assumingMemoryBound(to: UInt8.self),
            end: input.count,
            write: writeBase,
            lineNumber: firstLineNumber,
            precision: precision,
            limits: limits,
            defaultTimestamp: precision.truncate(nanoseconds: defaultTimestamp)
        )
        var points: [ParsedPoint] = []
        var tags: [ParsedTag] = []
        var fields: [ParsedField] = []
        swap(&points, &batch.points)
        swap(&tags, &batch.tags)
        swap(&fields, &batch.fields)
        swap(&scanner.errors, &batch.errors)
        scanner.pointCount = points.count
        scanner.tagCount = tags.count
        scanner.fieldCount = fields.count
        // Pad the arrays with placeholders and let the scanner store into them; when it runs low on
        // room, pad again (a line that did not fit doubles the padding). Small pads (tens of KiB) are
        // still in cache when the scanner overwrites them. A tag or field takes at least three input bytes
        // and a line at least four, which bounds the padding for short input.
        var tagPadding = min(1_024, input.count / 3 + 1) + LineScanner.roomPerLine
        var fieldPadding = tagPadding
        var pointPadding = min(512, input.count / 4 + 1)
        // Text, length prefixes included, is never longer than the line it came from (but for parts of
        // 128 bytes or more, whose longer prefixes the out-of-room path handles).
        var bytePadding = min(Self.placeholderBytes.count, input.count + 8) + LineScanner.outputRoomPerLine
        // A new empty batch gets arrays sized for the whole input up front, uninitialized: padding with
        // placeholders would write every element twice. Typical lines (≈ 150 bytes, 4 tags, 3 fields)
        // fill a fraction of this; unusually short lines fall back to padding below. For large input
        // (``reuseMinimumInputBytes``), an emptied batch whose arrays kept enough capacity
        // (``ParsedBatch/removeAll()``, reused for the next write) is padded in place instead: arrays
        // that large are fresh memory from the system, which costs a page fault and zeroing per 4 KiB,
        // more than copying placeholders into pages that are already mapped. (Smaller arrays come
        // back from the allocator's free lists, already mapped.)
        let wholeInputBytes = input.count + 2 * bytePadding + LineScanner.outputSlack
        let reuse = input.count >= Self.reuseMinimumInputBytes && bytes.capacity >= wholeInputBytes
        if bytes.isEmpty && points.isEmpty && tags.isEmpty && fields.isEmpty && !reuse {
            let expectedLines = input.count / 48 + 1
            bytes = Self.uninitializedArray(count: wholeInputBytes)
            points = Self.uninitializedArray(count: expectedLines + pointPadding)
            tags = Self.uninitializedArray(count: 4 * expectedLines + tagPadding)
            fields = Self.uninitializedArray(count: 3 * expectedLines + fieldPadding)
        }
        while true {
            if bytes.count - LineScanner.outputSlack - scanner.write < max(bytePadding / 2, LineScanner.outputRoomPerLine) {
                Self.pad(&bytes, count: bytePadding, from: Self.placeholderBytes)
            }
            bytes.withUnsafeMutableBufferPointer { buffer in
                scanner.output = buffer.baseAddress!
                scanner.outputCapacity = buffer.count - LineScanner.outputSlack
                // Elements past the counts are initialized but unused; only arrays low on room grow.
                if points.count - scanner.pointCount < max(pointPadding / 2, 1) {
                    Self.pad(&points, count: pointPadding, from: Self.placeholderPoints)
                }
                if tags.count - scanner.tagCount < max(tagPadding / 2, LineScanner.roomPerLine) {
                    Self.pad(&tags, count: tagPadding, from: Self.placeholderTags)
                }
                if fields.count - scanner.fieldCount < max(fieldPadding / 2, LineScanner.roomPerLine) {
                    Self.pad(&fields, count: fieldPadding, from: Self.placeholderFields)
                }
                points.withUnsafeMutableBufferPointer { pointBuffer in
                    tags.withUnsafeMutableBufferPointer { tagBuffer in
                        fields.withUnsafeMutableBufferPointer { fieldBuffer in
                            scanner.points = pointBuffer.baseAddress!
                            scanner.pointCapacity = pointBuffer.count
                            scanner.tags = tagBuffer.baseAddress!
                            scanner.tagCapacity = tagBuffer.count
                            scanner.fields = fieldBuffer.baseAddress!
                            scanner.fieldCapacity = fieldBuffer.count
                            scanner.run()
                        }
                    }
                }
            }
            guard scanner.needsRoom else { break }
            // A line that did not fit even though the run started it with room to spare.
            if scanner.tagCapacity - scanner.tagCount >= LineScanner.roomPerLine
                && scanner.fieldCapacity - scanner.fieldCount >= LineScanner.roomPerLine
                && scanner.pointCapacity > scanner.pointCount
                && scanner.outputCapacity - scanner.write >= LineScanner.outputRoomPerLine
            {
                tagPadding *= 2
                fieldPadding *= 2
                pointPadding *= 2
                bytePadding *= 2
            }
            scanner.needsRoom = false
        }
        points.removeLast(points.count - scanner.pointCount)
        tags.removeLast(tags.count - scanner.tagCount)
        fields.removeLast(fields.count - scanner.fieldCount)
        let written = scanner.write
        bytes.removeLast(bytes.count - written)
        swap(&bytes, &batch.bytes)
        swap(&points, &batch.points)
        swap(&tags, &batch.tags)
        swap(&fields, &batch.fields)
        swap(&scanner.errors, &batch.errors)
        batch.linesRead += scanner.linesRead
    }

    /// Input at least this long parses into the capacity an emptied batch kept (see ``parse``).
    static let reuseMinimumInputBytes = 1 << 20

    /// An array of `count` plain-data elements whose memory is left as allocated: only for scratch that
    /// the scanner writes before anything reads it (``parse`` removes the unwritten rest before returning).
    private static func uninitializedArray<Element: BitwiseCopyable>(count: Int) -> [Element] {
        Array(unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }

    /// Appends `count` placeholders to `array`, copying from `source` (a bulk copy, not element by element).
    private static func pad<Element>(_ array: inout [Element], count: Int, from source: [Element]) {
        var remaining = count
        while remaining > 0 {
            let chunk = min(remaining, source.count)
            array.append(contentsOf: source[..<chunk])
            remaining -= chunk
        }
    }

    private static let placeholderBytes = [UInt8](repeating: 0, count: 16_384)
    private static let placeholderPoints = [ParsedPoint](
        repeating: ParsedPoint(
            measurement: .empty, tagStart: 0, tagCount: 0, fieldStart: 0, fieldCount: 0, timestamp: 0, line: 0),
        count: 512)
    private static let placeholderTags = [ParsedTag](
        repeating: ParsedTag(key: .empty, value: .empty), count: 1_024 + LineScanner.roomPerLine)
    private static let placeholderFields = [ParsedField](
        repeating: ParsedField(key: .empty, kind: .float, bits: 0), count: 1_024 + LineScanner.roomPerLine)

    /// Parses `text` into owned points plus errors: a convenience for tests and clients.
    public func parsePoints(_ text: String, defaultTimestamp: Int64) -> (points: [Point], errors: [LineProtocolError]) {
        var batch = ParsedBatch()
        parse(Array(text.utf8), defaultTimestamp: defaultTimestamp, into: &batch)
        return (batch.allPoints(), batch.errors)
    }
}
