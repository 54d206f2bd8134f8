/// A rejected line: where it went wrong and why.
///
/// `line` and `column` are 1-based; the column counts bytes from the start of that line. When a string
/// field spans several lines, the position is on the line where the problem was found.
public struct LineProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The 1-based line number.
    public var line: Int
    /// The 1-based byte column within the line.
    public var column: Int
    /// What was wrong.
    public var reason: Reason

    /// Creates an error.
    public init(line: Int, column: Int, reason: Reason) {
        self.line = line
        self.column = column
        self.reason = reason
    }

    /// Why a line was rejected. Texts quoted in payloads are cut to at most 64 bytes.
    public enum Reason: Sendable, Equatable {
        /// The line has no measurement name (for example it starts with a comma).
        case missingMeasurement
        /// The line ends before its field set (for example `cpu,host=a` or `cpu `).
        case missingFields
        /// A tag key is empty (`cpu,=a f=1`).
        case missingTagKey
        /// A tag value is empty (`cpu,host= f=1`).
        case missingTagValue
        /// A field key is empty (`cpu =1`, or a trailing comma in the field set).
        case missingFieldKey
        /// A field has no value (`cpu f=` or `cpu f=,g=1`).
        case missingFieldValue
        /// A tag or field key is not followed by `=`.
        case expectedEquals
        /// A byte that is not allowed at this position (control characters, a stray `\r`, text after a
        /// closing quote, ...).
        case unexpectedCharacter(UInt8)
        /// Two tags of the line have the same key.
        case duplicateTagKey(String)
        /// A field value that does not parse as its kind; `kind` is `nil` when no kind matches at all
        /// (for example `NaN`).
        case invalidFieldValue(kind: FieldKind?, text: String)
        /// A numeric field value outside the range of its kind (`9223372036854775808i`, `1e400`).
        case fieldValueOutOfRange(kind: FieldKind, text: String)
        /// A string field value with no closing double quote.
        case unterminatedString
        /// A timestamp that is not an optionally negative decimal integer, or text after the timestamp.
        case invalidTimestamp(String)
        /// A timestamp that does not fit in `Int64` nanoseconds after conversion from the precision.
        case timestampOutOfRange(String)
        /// A name, key, tag value or string value that is not valid UTF-8.
        case invalidUTF8
        /// A comment line containing a control character.
        case invalidComment
        /// The line is longer than ``LineProtocolLimits/maxLineLength``.
        case lineTooLong(limit: Int)
        /// The line has more tags than ``LineProtocolLimits/maxTags``.
        case tooManyTags(limit: Int)
        /// The line has more fields than ``LineProtocolLimits/maxFields``.
        case tooManyFields(limit: Int)
        /// A measurement, tag key or field key is longer than ``LineProtocolLimits/maxKeyLength``.
        case keyTooLong(limit: Int)
        /// A tag value or string field is longer than its limit.
        case valueTooLong(limit: Int)
    }

    /// A human-readable message such as `line 3, column 17: invalid integer field value "12x"`.
    public var description: String {
        "line \(line), column \(column): \(reason)"
    }
}

extension LineProtocolError.Reason: CustomStringConvertible {
    /// A short human-readable explanation.
    public var description: String {
        switch self {
        case .missingMeasurement: "missing measurement name"
        case .missingFields: "missing field set"
        case .missingTagKey: "empty tag key"
        case .missingTagValue: "empty tag value"
        case .missingFieldKey: "empty field key"
        case .missingFieldValue: "missing field value"
        case .expectedEquals: "expected '=' after key"
        case .unexpectedCharacter(let byte): "unexpected character \(Self.describe(byte))"
        case .duplicateTagKey(let key): "duplicate tag key \(Self.quote(key))"
        case .invalidFieldValue(let kind?, let text): "invalid \(Self.name(of: kind)) field value \(Self.quote(text))"
        case .invalidFieldValue(nil, let text): "unrecognized field value \(Self.quote(text))"
        case .fieldValueOutOfRange(let kind, let text):
            "\(Self.name(of: kind)) field value out of range \(Self.quote(text))"
        case .unterminatedString: "string field value has no closing quote"
        case .invalidTimestamp(let text): "invalid timestamp \(Self.quote(text))"
        case .timestampOutOfRange(let text): "timestamp out of range \(Self.quote(text))"
        case .invalidUTF8: "invalid UTF-8"
        case .invalidComment: "control character in comment line"
        case .lineTooLong(let limit): "line longer than \(limit) bytes"
        case .tooManyTags(let limit): "more than \(limit) tags"
        case .tooManyFields(let limit): "more than \(limit) fields"
        case .keyTooLong(let limit): "name or key longer than \(limit) bytes"
        case .valueTooLong(let limit): "value longer than \(limit) bytes"
        }
    }

    private static func name(of kind: FieldKind) -> String {
        switch kind {
        case .float: "float"
        case .integer: "integer"
        case .unsigned: "unsigned integer"
        case .boolean: "boolean"
        case .string: "string"
        }
    }

    private static func quote(_ text: String) -> String {
        var quoted = "\""
        for scalar in text.unicodeScalars {
            quoted += scalar.escaped(asASCII: false)
        }
        return quoted + "\""
    }

    private static func describe(_ byte: UInt8) -> String {
        switch byte {
        case 0x20...0x7E: "'\(Character(Unicode.Scalar(byte)))'"
        case UInt8(ascii: "\n"): "'\\n'"
        case UInt8(ascii: "\r"): "'\\r'"
        case UInt8(ascii: "\t"): "'\\t'"
        default: "0x" + String(byte, radix: 16, uppercase: true)
        }
    }
}
