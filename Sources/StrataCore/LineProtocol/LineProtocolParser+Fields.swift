/// Field values: strings, booleans and numbers.
extension LineScanner {
    /// Parses the field value at `position` (just after `=`) and appends the field.
    @inline(__always)
    mutating func parseFieldValue(key: ByteRange) throws(LineFailure) {
        guard position < end else { throw failure(.missingFieldValue, at: position) }
        let first = input[position]
        switch first {
        case ASCII.quote:
            let value = try scanString()
            try appendField(ParsedField(key: key, kind: .string, bits: 0, string: value, numericValue: nil))
        case UInt8(ascii: "t"), UInt8(ascii: "T"), UInt8(ascii: "f"), UInt8(ascii: "F"):
            let start = position
            let stop = scanValueToken()
            guard let value = Self.boolean(input + start, count: stop - start) else {
                throw failure(.invalidFieldValue(kind: .boolean, text: text(start, stop)), at: start)
            }
            try appendField(ParsedField(key: key, kind: .boolean, bits: value ? 1 : 0, numericValue: nil))
        case ASCII.minus, UInt8(ascii: "."), ASCII.zero...UInt8(ascii: "9"):
            let start = position
            let stop = scanValueToken()
            try appendNumber(key: key, start: start, stop: stop)
        case ASCII.space, ASCII.comma, ASCII.newline, ASCII.carriageReturn:
            throw failure(.missingFieldValue, at: position)
        default:
            let start = position
            let stop = scanValueToken()
            throw failure(.invalidFieldValue(kind: nil, text: text(start, stop)), at: start)
        }
    }

    /// Advances `position` to the end of an unquoted value (the next comma, space, `\r`, `\n` or end of
    /// input) and returns it.
    @inline(__always)
    mutating func scanValueToken() -> Int {
        var index = position
        while index < end {
            let byte = input[index]
            if byte == ASCII.comma || byte == ASCII.space || byte == ASCII.newline || byte == ASCII.carriageReturn {
                break
            }
            index += 1
        }
        position = index
        return index
    }

    /// Parses the numeric token `start..<stop` by its suffix: `i` integer, `u` unsigned, else float.
    @inline(__always)
    mutating func appendNumber(key: ByteRange, start: Int, stop: Int) throws(LineFailure) {
        let suffix = input[stop - 1]
        if suffix == UInt8(ascii: "i") {
            switch DecimalParsing.signed(input, start, stop - 1) {
            case .value(let value):
                try appendField(ParsedField(
                    key: key, kind: .integer, bits: UInt64(bitPattern: value), numericValue: Double(value)))
            case .invalid:
                throw failure(.invalidFieldValue(kind: .integer, text: text(start, stop)), at: start)
            case .outOfRange:
                throw failure(.fieldValueOutOfRange(kind: .integer, text: text(start, stop)), at: start)
            }
        } else if suffix == UInt8(ascii: "u") {
            switch DecimalParsing.unsigned(input, start, stop - 1) {
            case .value(let value):
                try appendField(ParsedField(key: key, kind: .unsigned, bits: value, numericValue: Double(value)))
            case .invalid:
                throw failure(.invalidFieldValue(kind: .unsigned, text: text(start, stop)), at: start)
            case .outOfRange:
                throw failure(.fieldValueOutOfRange(kind: .unsigned, text: text(start, stop)), at: start)
            }
        } else {
            switch DecimalParsing.float(input, start, stop) {
            case .value(let value):
                try appendField(ParsedField(key: key, kind: .float, bits: value.bitPattern, numericValue: value))
            case .invalid:
                throw failure(.invalidFieldValue(kind: .float, text: text(start, stop)), at: start)
            case .outOfRange:
                throw failure(.fieldValueOutOfRange(kind: .float, text: text(start, stop)), at: start)
            }
        }
    }

    /// The boolean spelled by `count` bytes at `bytes`, if it is one of the ten accepted spellings.
    @inline(__always)
    static func boolean(_ bytes: UnsafePointer<UInt8>, count: Int) -> Bool? {
        let buffer = UnsafeBufferPointer(start: bytes, count: count)
        switch count {
        case 1:
            switch bytes[0] {
            case UInt8(ascii: "t"), UInt8(ascii: "T"): return true
            case UInt8(ascii: "f"), UInt8(ascii: "F"): return false
            default: return nil
            }
        case 4:
            if buffer.elementsEqual("true".utf8) || buffer.elementsEqual("True".utf8) || buffer.elementsEqual("TRUE".utf8) {
                return true
            }
            return nil
        case 5:
            if buffer.elementsEqual("false".utf8) || buffer.elementsEqual("False".utf8) || buffer.elementsEqual("FALSE".utf8) {
                return false
            }
            return nil
        default:
            return nil
        }
    }

    /// Scans and unescapes the quoted string at `position` (on the opening quote). `\"` and `\\` are
    /// escapes; other bytes, newlines included, are literal.
    mutating func scanString() throws(LineFailure) -> ByteRange {
        let quoteOffset = position
        let quoteLine = lineNumber
        let quoteLineStart = lineStart
        let outputStart = write
        var index = position + 1
        var written = write
        var combined: UInt8 = 0
        var closed = false
        while index < end {
            guard written < outputCapacity else { throw outOfRoom() }
            let byte = input[index]
            if byte == ASCII.quote {
                closed = true
                break
            }
            if byte == ASCII.backslash && index + 1 < end {
                let next = input[index + 1]
                if next == ASCII.backslash || next == ASCII.quote {
                    output[written] = next
                    written += 1
                    index += 2
                    continue
                }
            } else if byte == ASCII.newline {
                lineNumber += 1
                lineStart = index + 1
            }
            output[written] = byte
            combined |= byte
            written += 1
            index += 1
        }
        guard closed else {
            // Resume on the line after the opening quote, not after the end of input.
            lineNumber = quoteLine
            lineStart = quoteLineStart
            position = quoteOffset
            throw failure(.unterminatedString, at: quoteOffset)
        }
        position = index + 1
        write = written
        let count = written - outputStart
        let quoteColumn = quoteOffset - quoteLineStart + 1
        if count > limits.maxStringFieldLength {
            throw LineFailure(
                line: quoteLine, column: quoteColumn, reason: .valueTooLong(limit: limits.maxStringFieldLength))
        }
        if combined & 0x80 != 0 && !UTF8Validation.isValid(output + outputStart, count: count) {
            throw LineFailure(line: quoteLine, column: quoteColumn, reason: .invalidUTF8)
        }
        return ByteRange(start: UInt32(truncatingIfNeeded: outputStart), count: UInt32(truncatingIfNeeded: count))
    }
}
