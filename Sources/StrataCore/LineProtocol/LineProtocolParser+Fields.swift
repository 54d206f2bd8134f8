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
            try appendField(ParsedField(key: key, kind: .string, bits: 0, string: value))
        case UInt8(ascii: "t"), UInt8(ascii: "T"), UInt8(ascii: "f"), UInt8(ascii: "F"):
            let start = position
            let stop = scanValueToken()
            guard let value = Self.boolean(input + start, count: stop - start) else {
                throw failure(.invalidFieldValue(kind: .boolean, text: text(start, stop)), at: start)
            }
            try appendField(ParsedField(key: key, kind: .boolean, bits: value ? 1 : 0))
        case ASCII.minus, UInt8(ascii: "."), ASCII.zero...UInt8(ascii: "9"):
            if try appendCommonNumber(key: key) { return }
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

    /// Parses the common numbers in one pass and appends the field: `-?[0-9]+` followed by `i` or `u`, or
    /// with an optional fraction `.[0-9]*`, at most 19 digits in all, where a float's mantissa is at most
    /// 2^53 (so that one IEEE division is correctly rounded, as in ``DecimalParsing/float(_:_:_:)``).
    /// Returns `false` without consuming anything for everything else, including every error.
    @inline(__always)
    mutating func appendCommonNumber(key: ByteRange) throws(LineFailure) -> Bool {
        let input = self.input
        let end = self.end
        var index = position
        let negative = input[index] == ASCII.minus
        if negative { index &+= 1 }
        let digitStart = index
        var mantissa: UInt64 = 0
        while index < end {
            let digit = input[index] &- ASCII.zero
            guard digit < 10 else { break }
            mantissa = mantissa &* 10 &+ UInt64(digit)
            index &+= 1
        }
        let integerDigits = index &- digitStart
        guard integerDigits >= 1 && integerDigits <= 19 else { return false }
        var fractionDigits = 0
        if index < end {
            let byte = input[index]
            if byte == UInt8(ascii: "i") || byte == UInt8(ascii: "u") {
                let next = index &+ 1
                guard next == end || Self.endsValue(input[next]) else { return false }
                if byte == UInt8(ascii: "i") {
                    guard mantissa <= (negative ? UInt64(Int64.max) + 1 : UInt64(Int64.max)) else { return false }
                    let value = negative ? Int64(bitPattern: 0 &- mantissa) : Int64(bitPattern: mantissa)
                    try appendField(ParsedField(
                        key: key, kind: .integer, bits: UInt64(bitPattern: value)))
                } else {
                    guard !negative else { return false }
                    try appendField(ParsedField(key: key, kind: .unsigned, bits: mantissa))
                }
                position = next
                return true
            }
            if byte == UInt8(ascii: ".") {
                index &+= 1
                let fractionStart = index
                while index < end {
                    let digit = input[index] &- ASCII.zero
                    guard digit < 10 else { break }
                    mantissa = mantissa &* 10 &+ UInt64(digit)
                    index &+= 1
                }
                fractionDigits = index &- fractionStart
                guard integerDigits &+ fractionDigits <= 19 else { return false }
            }
            guard index == end || Self.endsValue(input[index]) else { return false }
        }
        guard mantissa <= 1 << 53 else { return false }
        var value = Double(mantissa)
        if fractionDigits > 0 { value /= DecimalParsing.exactPowerOfTen(fractionDigits) }
        if negative { value = -value }
        try appendField(ParsedField(key: key, kind: .float, bits: value.bitPattern))
        position = index
        return true
    }

    /// Whether `byte` ends an unquoted field value.
    @inline(__always)
    static func endsValue(_ byte: UInt8) -> Bool {
        byte == ASCII.comma || byte == ASCII.space || byte == ASCII.newline || byte == ASCII.carriageReturn
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
                    key: key, kind: .integer, bits: UInt64(bitPattern: value)))
            case .invalid:
                throw failure(.invalidFieldValue(kind: .integer, text: text(start, stop)), at: start)
            case .outOfRange:
                throw failure(.fieldValueOutOfRange(kind: .integer, text: text(start, stop)), at: start)
            }
        } else if suffix == UInt8(ascii: "u") {
            switch DecimalParsing.unsigned(input, start, stop - 1) {
            case .value(let value):
                try appendField(ParsedField(key: key, kind: .unsigned, bits: value))
            case .invalid:
                throw failure(.invalidFieldValue(kind: .unsigned, text: text(start, stop)), at: start)
            case .outOfRange:
                throw failure(.fieldValueOutOfRange(kind: .unsigned, text: text(start, stop)), at: start)
            }
        } else {
            switch DecimalParsing.float(input, start, stop) {
            case .value(let value):
                try appendField(ParsedField(key: key, kind: .float, bits: value.bitPattern))
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
