/// A fast, allocation-free InfluxDB line-protocol parser.
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

        // The unescaped text of a line is never longer than the line, so the input's size is room enough:
        // grow `bytes` once (by copying the input, a plain memcpy) and write through a raw pointer.
        var bytes: [UInt8] = []
        swap(&bytes, &batch.bytes)
        bytes.append(contentsOf: input)

        var scanner = LineScanner(
            input: inputBase.assumingMemoryBound(to: UInt8.self),
            end: input.count,
            write: writeBase,
            lineNumber: firstLineNumber,
            precision: precision,
            limits: limits,
            defaultTimestamp: precision.truncate(nanoseconds: defaultTimestamp)
        )
        swap(&scanner.points, &batch.points)
        swap(&scanner.tags, &batch.tags)
        swap(&scanner.fields, &batch.fields)
        swap(&scanner.errors, &batch.errors)
        let written = bytes.withUnsafeMutableBufferPointer { buffer in
            scanner.output = buffer.baseAddress!
            scanner.run()
            return scanner.write
        }
        bytes.removeLast(bytes.count - written)
        swap(&bytes, &batch.bytes)
        swap(&scanner.points, &batch.points)
        swap(&scanner.tags, &batch.tags)
        swap(&scanner.fields, &batch.fields)
        swap(&scanner.errors, &batch.errors)
        batch.linesRead += scanner.linesRead
    }

    /// Parses `text` into owned points plus errors: a convenience for tests and clients.
    public func parsePoints(_ text: String, defaultTimestamp: Int64) -> (points: [Point], errors: [LineProtocolError]) {
        var batch = ParsedBatch()
        parse(Array(text.utf8), defaultTimestamp: defaultTimestamp, into: &batch)
        return (batch.allPoints(), batch.errors)
    }
}
