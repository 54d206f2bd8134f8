/// Writes points as line protocol, byte-compatible with the Go reference encoder.
///
/// Measurements escape `,` and space; tag keys, tag values and field keys escape `,`, `=` and space;
/// string values escape `"` and `\`. Floats use the shortest text that parses back to the same
/// `Double`, formatted like Go's `strconv.FormatFloat(x, 'g', -1, 64)` (`1`, `12.5`, `6.632243e+06`,
/// `1e-05`). Integers get an `i` suffix, unsigned integers a `u` suffix.
///
/// The serializer does not check its input: a point that ``validate(_:)`` rejects (empty names, control
/// characters, a trailing backslash, NaN or infinity, no fields, duplicate tag keys) produces text that
/// the parser rejects or reads differently. Validate points from untrusted sources first.
public enum LineProtocolSerializer {
    /// Appends `point` as one line, terminated by `\n`, to `output`. The timestamp (if any) is written
    /// in `precision` units, truncated towards zero; a point without a timestamp is written without one.
    public static func append(_ point: Point, precision: TimestampPrecision = .nanoseconds, to output: inout [UInt8]) {
        appendLine(point, precision: precision, to: &output)
        output.append(ASCII.newline)
    }

    /// The line for `point`, without a line terminator.
    public static func line(_ point: Point, precision: TimestampPrecision = .nanoseconds) -> String {
        var output: [UInt8] = []
        appendLine(point, precision: precision, to: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// Checks that `point` can be written as line protocol that parses back to the same point.
    public static func validate(_ point: Point) throws(LineProtocolEncodingError) {
        guard isValidName(point.measurement), point.measurement.utf8.first != ASCII.hash else {
            throw LineProtocolEncodingError(.invalidMeasurement(point.measurement))
        }
        for (index, tag) in point.tags.enumerated() {
            guard isValidName(tag.key) else { throw LineProtocolEncodingError(.invalidTagKey(tag.key)) }
            guard isValidName(tag.value) else { throw LineProtocolEncodingError(.invalidTagValue(key: tag.key, value: tag.value)) }
            if point.tags[..<index].contains(where: { $0.key == tag.key }) {
                throw LineProtocolEncodingError(.duplicateTagKey(tag.key))
            }
        }
        guard !point.fields.isEmpty else { throw LineProtocolEncodingError(.noFields) }
        for field in point.fields {
            guard isValidName(field.key) else { throw LineProtocolEncodingError(.invalidFieldKey(field.key)) }
            if case .float(let value) = field.value, !value.isFinite {
                throw LineProtocolEncodingError(.nonFiniteFloat(key: field.key))
            }
        }
    }

    /// Whether `name` is non-empty, free of control characters and does not end in a backslash (which
    /// would escape the separator after it).
    private static func isValidName(_ name: String) -> Bool {
        let bytes = name.utf8
        guard let last = bytes.last, last != ASCII.backslash else { return false }
        return !bytes.contains { $0 < 0x20 || $0 == 0x7F }
    }

    private static func appendLine(_ point: Point, precision: TimestampPrecision, to output: inout [UInt8]) {
        appendEscaped(point.measurement, escapingEquals: false, to: &output)
        for tag in point.tags {
            output.append(ASCII.comma)
            appendEscaped(tag.key, escapingEquals: true, to: &output)
            output.append(ASCII.equals)
            appendEscaped(tag.value, escapingEquals: true, to: &output)
        }
        for (index, field) in point.fields.enumerated() {
            output.append(index == 0 ? ASCII.space : ASCII.comma)
            appendEscaped(field.key, escapingEquals: true, to: &output)
            output.append(ASCII.equals)
            appendValue(field.value, to: &output)
        }
        if let timestamp = point.timestamp {
            output.append(ASCII.space)
            output.append(contentsOf: String(timestamp / precision.nanosecondsPerUnit).utf8)
        }
    }

    private static func appendEscaped(_ text: String, escapingEquals: Bool, to output: inout [UInt8]) {
        for byte in text.utf8 {
            if byte == ASCII.comma || byte == ASCII.space || (escapingEquals && byte == ASCII.equals) {
                output.append(ASCII.backslash)
            }
            output.append(byte)
        }
    }

    private static func appendValue(_ value: FieldValue, to output: inout [UInt8]) {
        switch value {
        case .float(let number):
            output.append(contentsOf: GoFloatFormat.shortest(number).utf8)
        case .integer(let number):
            output.append(contentsOf: String(number).utf8)
            output.append(UInt8(ascii: "i"))
        case .unsigned(let number):
            output.append(contentsOf: String(number).utf8)
            output.append(UInt8(ascii: "u"))
        case .boolean(let flag):
            output.append(contentsOf: (flag ? "true" : "false").utf8)
        case .string(let text):
            output.append(ASCII.quote)
            for byte in text.utf8 {
                if byte == ASCII.quote || byte == ASCII.backslash { output.append(ASCII.backslash) }
                output.append(byte)
            }
            output.append(ASCII.quote)
        }
    }
}
