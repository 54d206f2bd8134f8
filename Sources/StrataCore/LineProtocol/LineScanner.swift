#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a line failed, with its position; thrown inside ``LineScanner`` and turned into a
/// ``LineProtocolError`` by the line loop.
struct LineFailure: Error {
    var line: Int
    var column: Int
    var reason: LineProtocolError.Reason
    /// Whether to resume after the next newline at or after the scanner's position (otherwise the
    /// scanner is already at the start of the next line).
    var skipsRestOfLine = true
}

/// Byte constants used by the scanner.
enum ASCII {
    static let newline = UInt8(ascii: "\n")
    static let carriageReturn = UInt8(ascii: "\r")
    static let space = UInt8(ascii: " ")
    static let comma = UInt8(ascii: ",")
    static let equals = UInt8(ascii: "=")
    static let backslash = UInt8(ascii: "\\")
    static let quote = UInt8(ascii: "\"")
    static let hash = UInt8(ascii: "#")
    static let minus = UInt8(ascii: "-")
    static let zero = UInt8(ascii: "0")
}

/// The parsing state of one ``LineProtocolParser/parse(_:defaultTimestamp:firstLineNumber:into:)-(UnsafeRawBufferPointer,_,_,_)``
/// call: raw input and output cursors plus pointers into the batch's arrays, which the caller pads with
/// placeholders in chunks.
///
/// All raw memory access of the parser is confined to this type and its extensions. Every read is
/// guarded by `position < end` (word reads by `index + 8 <= end`); every write is checked against
/// `outputCapacity`, `tagCapacity`, `fieldCapacity`, or (for points) the room checked at the start of
/// each line. A line that runs out of room is rolled back and retried after the caller pads again.
struct LineScanner {
    let input: UnsafePointer<UInt8>
    let end: Int
    var output: UnsafeMutablePointer<UInt8>
    /// Offsets below this are writable in `output` (the caller pads the batch's bytes in chunks; a line
    /// that runs out of room is rolled back, see ``needsRoom``). The buffer extends at least
    /// ``outputSlack`` bytes further, for length prefixes written without a room check.
    var outputCapacity = 0
    /// Bytes past ``outputCapacity`` that only a length prefix may use (see ``reserveLengthPrefix()``).
    static let outputSlack = 16
    /// Next write offset in the batch's bytes.
    var write: Int
    /// Next read offset in `input`.
    var position = 0
    /// Line number of the byte at `position`.
    var lineNumber: Int
    /// Offset of the first byte of the current line.
    var lineStart = 0
    let precision: TimestampPrecision
    let limits: LineProtocolLimits
    let defaultTimestamp: Int64

    /// Points, tags and fields are written through raw pointers into the batch's arrays, which the
    /// caller pads with placeholder elements (`...Capacity` is the padded count); appending is a store.
    /// A line that runs out of room is rolled back and ``run()`` returns with ``needsRoom`` set.
    var points = UnsafeMutablePointer<ParsedPoint>(bitPattern: MemoryLayout<ParsedPoint>.alignment)!
    var pointCount = 0
    var pointCapacity = 0
    var tags = UnsafeMutablePointer<ParsedTag>(bitPattern: MemoryLayout<ParsedTag>.alignment)!
    var tagCount = 0
    var tagCapacity = 0
    var fields = UnsafeMutablePointer<ParsedField>(bitPattern: MemoryLayout<ParsedField>.alignment)!
    var fieldCount = 0
    var fieldCapacity = 0
    /// Set when ``run()`` stopped early for lack of room in `points`, `tags` or `fields`.
    var needsRoom = false
    var errors: [LineProtocolError] = []
    var linesRead = 0

    init(
        input: UnsafePointer<UInt8>, end: Int, write: Int, lineNumber: Int, precision: TimestampPrecision,
        limits: LineProtocolLimits, defaultTimestamp: Int64
    ) {
        self.input = input
        self.end = end
        self.output = UnsafeMutablePointer(mutating: input)  // replaced before use
        self.write = write
        self.lineNumber = lineNumber
        self.precision = precision
        self.limits = limits
        self.defaultTimestamp = defaultTimestamp
    }

    // MARK: Line loop

    /// Tags and fields a line may append before ``run()`` asks for more room.
    static let roomPerLine = 64
    /// Output bytes a line may write before ``run()`` asks for more room.
    static let outputRoomPerLine = 1_024

    /// Parses lines from `position` to `end`, or until `points`, `tags` or `fields` run low on room (then
    /// ``needsRoom`` is set and `position` is at the start of the next unparsed line).
    mutating func run() {
        while position < end {
            if pointCount == pointCapacity || tagCapacity - tagCount < Self.roomPerLine
                || fieldCapacity - fieldCount < Self.roomPerLine || outputCapacity - write < Self.outputRoomPerLine
            {
                needsRoom = true
                return
            }
            var start = position
            while start < end && input[start] == ASCII.space { start += 1 }
            guard start < end else {
                position = end
                break
            }
            let first = input[start]
            if first == ASCII.newline {
                position = start + 1
                startNewLine()
                continue
            }
            if first == ASCII.carriageReturn && (start + 1 == end || input[start + 1] == ASCII.newline) {
                position = start + 1
                continue
            }
            if first == ASCII.hash {
                position = start
                skipComment()
                continue
            }
            linesRead += 1
            // The line is parsed optimistically; ``parseLine()`` rejects a successful line that is too
            // long, and a failed line is checked here, so that a line over the limit always reports
            // `lineTooLong` whatever else is wrong with it, without a newline search per good line.
            position = start
            let firstLine = lineNumber
            let firstLineStart = lineStart
            let savedWrite = write
            let savedTags = tagCount
            let savedFields = fieldCount
            do {
                try parseLine()
            } catch {
                write = savedWrite
                tagCount = savedTags
                fieldCount = savedFields
                if needsRoom {
                    // Out of room in the middle of a line: undo it and let the caller make room.
                    linesRead -= 1
                    lineNumber = firstLine
                    lineStart = firstLineStart
                    position = start
                    return
                }
                if end - firstLineStart > limits.maxLineLength {
                    let lineEnd = nextNewline(from: start)
                    var contentEnd = lineEnd
                    if contentEnd > firstLineStart && input[contentEnd - 1] == ASCII.carriageReturn { contentEnd -= 1 }
                    if contentEnd - firstLineStart > limits.maxLineLength {
                        errors.append(LineProtocolError(
                            line: firstLine, column: limits.maxLineLength + 1,
                            reason: .lineTooLong(limit: limits.maxLineLength)))
                        lineNumber = firstLine
                        lineStart = firstLineStart
                        position = lineEnd
                        skipNewline()
                        continue
                    }
                }
                errors.append(LineProtocolError(line: error.line, column: error.column, reason: error.reason))
                if error.skipsRestOfLine {
                    position = nextNewline(from: position)
                    skipNewline()
                }
            }
        }
    }

    /// Marks `position` as the start of a new line.
    @inline(__always)
    mutating func startNewLine() {
        lineNumber += 1
        lineStart = position
    }

    /// Steps over the `\n` at `position`, if any.
    @inline(__always)
    mutating func skipNewline() {
        if position < end {
            position += 1
            startNewLine()
        }
    }

    /// The offset of the first `\n` at or after `offset`, or `end`.
    @inline(__always)
    func nextNewline(from offset: Int) -> Int {
        guard offset < end else { return end }
        guard let found = memchr(input + offset, Int32(ASCII.newline), end - offset) else { return end }
        return input.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }

    /// Skips a comment line starting at `position` (on `#`), reporting control characters in it.
    mutating func skipComment() {
        let lineEnd = nextNewline(from: position)
        var index = position + 1
        while index < lineEnd {
            let byte = input[index]
            if byte < 0x20 || byte == 0x7F {
                let isFinalCarriageReturn = byte == ASCII.carriageReturn && index + 1 == lineEnd
                if !isFinalCarriageReturn {
                    linesRead += 1
                    errors.append(LineProtocolError(line: lineNumber, column: index - lineStart + 1, reason: .invalidComment))
                    break
                }
            }
            index += 1
        }
        position = lineEnd
        skipNewline()
    }

    /// A failure at `offset` on the current line.
    @inline(__always)
    func failure(_ reason: LineProtocolError.Reason, at offset: Int) -> LineFailure {
        LineFailure(line: lineNumber, column: offset - lineStart + 1, reason: reason)
    }

    /// Whether `position` is at the end of a line: `\n`, `\r\n`, a final `\r`, or the end of input.
    @inline(__always)
    func atEndOfLine() -> Bool {
        guard position < end else { return true }
        let byte = input[position]
        if byte == ASCII.newline { return true }
        return byte == ASCII.carriageReturn && (position + 1 == end || input[position + 1] == ASCII.newline)
    }

    @inline(__always)
    mutating func skipSpaces() {
        while position < end && input[position] == ASCII.space { position += 1 }
    }

    // MARK: One line

    /// Parses the line at `position` and appends its point, or throws without touching the point list.
    mutating func parseLine() throws(LineFailure) {
        let firstLine = lineNumber
        let firstLineStart = lineStart
        let tagStart = tagCount
        let fieldStart = fieldCount

        let measurementOffset = position
        var measurement = try scanMeasurement()
        if measurement.count == 0 {
            let byte = input[measurementOffset]
            throw failure(byte == ASCII.comma ? .missingMeasurement : .unexpectedCharacter(byte), at: measurementOffset)
        }

        try parseTagSet(pointTagStart: tagStart)
        measurement = try writeLengthPrefixes(measurement, tagStart: tagStart)

        try parseFieldSet(pointFieldStart: fieldStart)

        // Timestamp.
        skipSpaces()
        var timestamp = defaultTimestamp
        if !atEndOfLine() {
            timestamp = try parseTimestamp()
            skipSpaces()
            if !atEndOfLine() { throw failure(.unexpectedCharacter(input[position]), at: position) }
        }

        // Too long: a single line is rejected here; for a string with newlines, the caller checks the
        // first physical line, and otherwise the whole stretch is rejected here.
        if position - firstLineStart > limits.maxLineLength {
            if lineNumber == firstLine {
                throw failure(.lineTooLong(limit: limits.maxLineLength), at: firstLineStart + limits.maxLineLength)
            } else {
                var failure = LineFailure(
                    line: firstLine, column: limits.maxLineLength + 1, reason: .lineTooLong(limit: limits.maxLineLength))
                failure.skipsRestOfLine = false
                skipLineTerminator()
                throw failure
            }
        }
        skipLineTerminator()

        // ``run()`` checked that there is room for this line's point.
        points[pointCount] = ParsedPoint(
            measurement: measurement,
            tagStart: Int32(truncatingIfNeeded: tagStart),
            tagCount: Int32(truncatingIfNeeded: tagCount - tagStart),
            fieldStart: Int32(truncatingIfNeeded: fieldStart),
            fieldCount: Int32(truncatingIfNeeded: fieldCount - fieldStart),
            timestamp: timestamp,
            line: Int32(truncatingIfNeeded: firstLine)
        )
        pointCount &+= 1
    }

    /// Steps over the line terminator at `position` (the caller checked ``atEndOfLine()``).
    @inline(__always)
    mutating func skipLineTerminator() {
        guard position < end else { return }
        if input[position] == ASCII.carriageReturn { position += 1 }
        if position < end {
            position += 1
            startNewLine()
        }
    }

    /// Parses the tag set after the measurement, up to and including the spaces before the field set
    /// (one call per line, not per tag).
    mutating func parseTagSet(pointTagStart tagStart: Int) throws(LineFailure) {
        while true {
            guard position < end else { throw failure(.missingFields, at: position) }
            let byte = input[position]
            if byte == ASCII.space {
                skipSpaces()
                break
            }
            guard byte == ASCII.comma else {
                let isLineEnd = byte == ASCII.newline || byte == ASCII.carriageReturn
                throw failure(isLineEnd ? .missingFields : .unexpectedCharacter(byte), at: position)
            }
            position += 1
            try parseTag(pointTagStart: tagStart)
        }
    }

    /// Parses the field set, up to the space or line end after it (one call per line, not per field).
    mutating func parseFieldSet(pointFieldStart fieldStart: Int) throws(LineFailure) {
        while true {
            let keyOffset = position
            let key = try scanKey()
            if key.count == 0 {
                if atEndOfLine() {
                    throw failure(fieldCount == fieldStart ? .missingFields : .missingFieldKey, at: position)
                }
                let byte = input[position]
                throw failure(byte == ASCII.equals ? .missingFieldKey : .unexpectedCharacter(byte), at: position)
            }
            guard position < end && input[position] == ASCII.equals else { throw failure(.expectedEquals, at: position) }
            position += 1
            if fieldCount - fieldStart == limits.maxFields {
                throw failure(.tooManyFields(limit: limits.maxFields), at: keyOffset)
            }
            // Numbers, the common case, skip the general dispatch when their one-pass parse applies.
            if position < end && input[position] &- ASCII.zero < 10 {
                if try !appendCommonNumber(key: key) { try parseFieldValue(key: key) }
            } else {
                try parseFieldValue(key: key)
            }
            guard position < end else { break }
            let byte = input[position]
            if byte == ASCII.comma {
                position += 1
                continue
            }
            if byte == ASCII.space || byte == ASCII.newline || byte == ASCII.carriageReturn { break }
            throw failure(.unexpectedCharacter(byte), at: position)
        }
    }

    /// Parses `key=value` after a tag comma and appends the tag.
    @inline(__always)
    mutating func parseTag(pointTagStart: Int) throws(LineFailure) {
        let keyOffset = position
        let key = try scanTagKey()
        if key.count == 0 {
            guard position < end else { throw failure(.missingTagKey, at: position) }
            let byte = input[position]
            let isMissing = byte == ASCII.equals || byte == ASCII.space || byte == ASCII.comma || byte == ASCII.newline
            throw failure(isMissing ? .missingTagKey : .unexpectedCharacter(byte), at: position)
        }
        guard position < end && input[position] == ASCII.equals else { throw failure(.expectedEquals, at: position) }
        position += 1
        let value = try scanTagValue()
        if value.count == 0 { throw failure(.missingTagValue, at: position) }
        if tagCount - pointTagStart == limits.maxTags {
            throw failure(.tooManyTags(limit: limits.maxTags), at: keyOffset)
        }
        var index = pointTagStart
        while index < tagCount {
            let other = tags[index].key
            if other.count == key.count
                && Self.bytesEqual(output + Int(other.start), output + Int(key.start), count: Int(key.count))
            {
                let text = String(decoding: UnsafeBufferPointer(start: output + Int(key.start), count: Int(key.count)), as: UTF8.self)
                throw failure(.duplicateTagKey(text), at: keyOffset)
            }
            index += 1
        }
        guard tagCount < tagCapacity else { throw outOfRoom() }
        tags[tagCount] = ParsedTag(key: key, value: value)
        tagCount &+= 1
    }

    /// Appends a field, or fails the line if `fields` is full (see ``needsRoom``).
    @inline(__always)
    mutating func appendField(_ field: ParsedField) throws(LineFailure) {
        guard fieldCount < fieldCapacity else { throw outOfRoom() }
        fields[fieldCount] = field
        fieldCount &+= 1
    }

    /// Records that the line ran out of room; ``run()`` rolls it back instead of reporting an error.
    @inline(never)
    mutating func outOfRoom() -> LineFailure {
        needsRoom = true
        return LineFailure(line: lineNumber, column: 1, reason: .missingFields)
    }

    /// Whether `count` bytes at `a` and `b` are equal (keys are short: no call to `memcmp`).
    @inline(__always)
    static func bytesEqual(_ a: UnsafeMutablePointer<UInt8>, _ b: UnsafeMutablePointer<UInt8>, count: Int) -> Bool {
        var index = 0
        while index < count {
            if a[index] != b[index] { return false }
            index += 1
        }
        return true
    }

    // MARK: Names

    /// Scans and unescapes a measurement name (escapes `\,` and `\ `), after a byte for its length
    /// (see ``writeLengthPrefixes(_:tagStart:)``).
    @inline(__always)
    mutating func scanMeasurement() throws(LineFailure) -> ByteRange {
        reserveLengthPrefix()
        return try scanName(allowsEquals: true, allowsControl: false)
    }

    /// Scans and unescapes a tag key (escapes `\,`, `\=` and `\ `), after a byte for its length.
    @inline(__always)
    mutating func scanTagKey() throws(LineFailure) -> ByteRange {
        reserveLengthPrefix()
        return try scanName(allowsEquals: false, allowsControl: false)
    }

    /// Scans and unescapes a field key (escapes `\,`, `\=` and `\ `).
    @inline(__always)
    mutating func scanKey() throws(LineFailure) -> ByteRange {
        try scanName(allowsEquals: false, allowsControl: false)
    }

    /// Scans and unescapes a tag value (escapes `\,`, `\=` and `\ `), after a byte for its length.
    /// Unlike keys, tag values may contain control characters other than `\r` and `\n`, as the
    /// reference decoder accepts them.
    @inline(__always)
    mutating func scanTagValue() throws(LineFailure) -> ByteRange {
        reserveLengthPrefix()
        return try scanName(allowsEquals: false, allowsControl: true)
    }

    /// Skips one output byte for the length of the name about to be scanned. No room check: a name
    /// never ends past ``outputCapacity``, so the byte is at most one past it, in ``outputSlack``; and a
    /// name that would need room past the capacity runs out of room, so such a line never completes.
    @inline(__always)
    mutating func reserveLengthPrefix() {
        write &+= 1
    }

    /// Writes the length of the measurement and of each tag key and value of the current line into the
    /// byte reserved before each, so that they form the series key (``ParsedBatch/seriesKeyRange(of:)``);
    /// returns the measurement's range (which moves only when a part is 128 bytes or longer).
    @inline(__always)
    mutating func writeLengthPrefixes(_ measurement: ByteRange, tagStart: Int) throws(LineFailure) -> ByteRange {
        var long = measurement.count >= 0x80
        output[Int(measurement.start) &- 1] = UInt8(truncatingIfNeeded: measurement.count)
        var index = tagStart
        while index < tagCount {
            let tag = tags[index]
            long = long || tag.key.count >= 0x80 || tag.value.count >= 0x80
            output[Int(tag.key.start) &- 1] = UInt8(truncatingIfNeeded: tag.key.count)
            output[Int(tag.value.start) &- 1] = UInt8(truncatingIfNeeded: tag.value.count)
            index &+= 1
        }
        guard _slowPath(long) else { return measurement }
        return try writeLongLengthPrefixes(measurement, tagStart: tagStart)
    }

    /// ``writeLengthPrefixes(_:tagStart:)`` when a part needs a varint of two bytes or more: moves the
    /// parts up, last first, to make room for the longer prefixes, and updates their ranges.
    @inline(never)
    mutating func writeLongLengthPrefixes(_ measurement: ByteRange, tagStart: Int) throws(LineFailure) -> ByteRange {
        func varintLength(_ count: UInt32) -> Int {
            var length = 1
            var rest = count >> 7
            while rest > 0 {
                length += 1
                rest >>= 7
            }
            return length
        }
        var parts = [measurement]
        for index in tagStart..<tagCount { parts += [tags[index].key, tags[index].value] }
        let extra = parts.reduce(0) { $0 + varintLength($1.count) - 1 }
        guard write &+ extra <= outputCapacity else { throw outOfRoom() }
        // Part i moves up by the extra bytes of parts 0...i; moving the last part first never
        // overwrites a part that has not moved yet.
        var shifts = [Int](repeating: 0, count: parts.count)
        var total = 0
        for (i, part) in parts.enumerated() {
            total += varintLength(part.count) - 1
            shifts[i] = total
        }
        for i in parts.indices.reversed() {
            let start = Int(parts[i].start)
            let shift = shifts[i]
            var offset = Int(parts[i].count)
            while offset > 0 {  // back to front: the old and new places may overlap
                offset -= 1
                output[start + shift + offset] = output[start + offset]
            }
            // The prefix ends right before the moved part.
            let prefixLength = varintLength(parts[i].count)
            var cursor = start + shift - prefixLength
            var length = UInt(parts[i].count)
            while length >= 0x80 {
                output[cursor] = UInt8(truncatingIfNeeded: length) | 0x80
                cursor += 1
                length >>= 7
            }
            output[cursor] = UInt8(length)
            parts[i] = ByteRange(start: UInt32(start + shift), count: parts[i].count)
        }
        for index in tagStart..<tagCount {
            let i = 1 + 2 * (index - tagStart)
            tags[index] = ParsedTag(key: parts[i], value: parts[i + 1])
        }
        write &+= extra
        return parts[0]
    }

    /// Copies printable bytes (or, if `allowsControl`, any bytes but `\r` and `\n`) other than `,`, space
    /// and (unless `allowsEquals`) `=` to the output, unescaping backslash sequences, and stops at the
    /// first other byte. Tag values (`allowsControl`) are limited to ``LineProtocolLimits/maxTagValueLength``,
    /// names and keys to ``LineProtocolLimits/maxKeyLength``.
    @inline(__always)
    mutating func scanName(allowsEquals: Bool, allowsControl: Bool) throws(LineFailure) -> ByteRange {
        // Locals, not stored properties: raw stores to the output could otherwise force reloads.
        let input = self.input
        let output = self.output
        let end = self.end
        let outputCapacity = self.outputCapacity
        let startOffset = position
        let outputStart = write
        var index = position
        var written = write
        // The OR of all copied bytes (in any lane): its high bits tell whether UTF-8 must be validated.
        var combinedWords: UInt64 = 0
        // Words are read below `wordEnd`, which also keeps the eight-byte store below `outputCapacity`
        // (`written - index` only changes at an escape).
        var wordEnd = min(end, index &+ (outputCapacity &- written))
        while true {
            let byte: UInt8
            if index &+ 8 <= wordEnd {
                // Eight bytes at a time while no byte needs attention (storing all eight).
                let word = UnsafeRawPointer(input + index).loadUnaligned(as: UInt64.self)
                UnsafeMutableRawPointer(output + written).storeBytes(of: word, as: UInt64.self)
                let special = SWAR.specialBytes(word, allowsEquals: allowsEquals, allowsControl: allowsControl)
                if special == 0 {
                    combinedWords |= word
                    index &+= 8
                    written &+= 8
                    continue
                }
                // The lowest flagged byte is exact: it ends the name unless it is a backslash.
                // Bytes up to and including the flagged one, which is ASCII.
                combinedWords |= word & (special ^ (special &- 1))
                let plainBits = UInt64(truncatingIfNeeded: special.trailingZeroBitCount & ~7)
                let plainCount = Int(truncatingIfNeeded: plainBits &>> 3)
                index &+= plainCount
                written &+= plainCount
                byte = UInt8(truncatingIfNeeded: word &>> plainBits)
                if allowsControl && byte < ASCII.space && byte != ASCII.newline && byte != ASCII.carriageReturn {
                    // A control byte other than `\r` and `\n` is part of a tag value (and already stored).
                    index &+= 1
                    written &+= 1
                    continue
                }
                guard byte == ASCII.backslash else { break }
            } else {
                guard index < end else { break }
                byte = input[index]
                let allowedByClass = allowsControl
                    ? byte != ASCII.space && byte != ASCII.newline && byte != ASCII.carriageReturn
                    : byte > ASCII.space && byte != 0x7F
                if allowedByClass && byte != ASCII.comma && byte != ASCII.backslash
                    && (allowsEquals || byte != ASCII.equals)
                {
                    guard written < outputCapacity else { throw outOfRoom() }
                    output[written] = byte
                    written &+= 1
                    index &+= 1
                    combinedWords |= UInt64(byte)
                    continue
                }
                guard byte == ASCII.backslash else { break }
            }
            // A backslash: an escape, or else a literal backslash.
            guard written < outputCapacity else { throw outOfRoom() }
            if index &+ 1 < end {
                let next = input[index &+ 1]
                if next == ASCII.comma || next == ASCII.space || (!allowsEquals && next == ASCII.equals) {
                    output[written] = next
                    written &+= 1
                    index &+= 2
                    wordEnd = min(end, index &+ (outputCapacity &- written))
                    continue
                }
            }
            output[written] = byte
            written &+= 1
            index &+= 1
        }
        position = index
        write = written
        let count = written &- outputStart
        let maxLength = allowsControl ? limits.maxTagValueLength : limits.maxKeyLength
        if count > maxLength {
            throw failure(allowsControl ? .valueTooLong(limit: maxLength) : .keyTooLong(limit: maxLength), at: startOffset)
        }
        if combinedWords & SWAR.highBits != 0 && !UTF8Validation.isValid(output + outputStart, count: count) {
            throw failure(.invalidUTF8, at: startOffset)
        }
        return ByteRange(start: UInt32(truncatingIfNeeded: outputStart), count: UInt32(truncatingIfNeeded: count))
    }

    // MARK: Timestamp

    /// Parses the timestamp at `position` and converts it to nanoseconds.
    ///
    /// One pass for the common case: an optional `-` and 1...19 digits (eight at a time while possible)
    /// that end the token and fit `Int64` after conversion. Anything else goes to
    /// ``parseTimestampSlow()``, which reports errors exactly.
    @inline(__always)
    mutating func parseTimestamp() throws(LineFailure) -> Int64 {
        var index = position
        guard index < end else { return try parseTimestampSlow() }
        let negative = input[index] == ASCII.minus
        if negative { index += 1 }
        let digitStart = index
        var magnitude: UInt64 = 0
        // Nanosecond timestamps of today have 19 digits: try two words at once first.
        if index &+ 16 <= end {
            let high = UnsafeRawPointer(input + index).loadUnaligned(as: UInt64.self)
            let low = UnsafeRawPointer(input + index + 8).loadUnaligned(as: UInt64.self)
            if SWAR.isEightDigits(high) && SWAR.isEightDigits(low) {
                magnitude = SWAR.eightDigitsValue(high) &* 100_000_000 &+ SWAR.eightDigitsValue(low)
                index &+= 16
            }
        }
        // At most two words in all: 16 digits, so that 19 digits never wrap a UInt64.
        while index + 8 <= end && index - digitStart < 16 {
            let word = UnsafeRawPointer(input + index).loadUnaligned(as: UInt64.self)
            guard SWAR.isEightDigits(word) else { break }
            magnitude = magnitude &* 100_000_000 &+ SWAR.eightDigitsValue(word)
            index += 8
        }
        while index < end {
            let digit = input[index] &- ASCII.zero
            guard digit < 10 else { break }
            magnitude = magnitude &* 10 &+ UInt64(digit)
            index += 1
        }
        let digits = index - digitStart
        if digits >= 1 && digits <= 19 {
            var terminated = index == end
            if !terminated {
                let byte = input[index]
                terminated = byte == ASCII.space || byte == ASCII.newline
                    || (byte == ASCII.carriageReturn && (index + 1 == end || input[index + 1] == ASCII.newline))
            }
            let limit = negative ? UInt64(Int64.max) + 1 : UInt64(Int64.max)
            if terminated && magnitude <= limit {
                let value = negative ? Int64(bitPattern: 0 &- magnitude) : Int64(bitPattern: magnitude)
                if let nanoseconds = precision.nanoseconds(value) {
                    position = index
                    return nanoseconds
                }
            }
        }
        return try parseTimestampSlow()
    }

    /// Parses the timestamp at `position` token by token, with exact error reporting.
    @inline(never)
    mutating func parseTimestampSlow() throws(LineFailure) -> Int64 {
        let start = position
        while position < end {
            let byte = input[position]
            guard byte == ASCII.minus || byte &- ASCII.zero < 10 else { break }
            position += 1
        }
        let tokenEnd = position
        if position == start || !(atEndOfLine() || input[position] == ASCII.space) {
            // Report the whole token up to the next space or line end.
            var stop = position
            while stop < end {
                let byte = input[stop]
                if byte == ASCII.space || byte == ASCII.newline || byte == ASCII.carriageReturn { break }
                stop += 1
            }
            if stop == start { throw failure(.unexpectedCharacter(input[start]), at: start) }
            throw failure(.invalidTimestamp(text(start, stop)), at: start)
        }
        switch DecimalParsing.signed(input, start, tokenEnd) {
        case .invalid:
            throw failure(.invalidTimestamp(text(start, tokenEnd)), at: start)
        case .outOfRange:
            throw failure(.timestampOutOfRange(text(start, tokenEnd)), at: start)
        case .value(let value):
            guard let nanoseconds = precision.nanoseconds(value) else {
                throw failure(.timestampOutOfRange(text(start, tokenEnd)), at: start)
            }
            return nanoseconds
        }
    }

    /// The input bytes `start..<stop` (at most 64) as text, for error messages.
    func text(_ start: Int, _ stop: Int) -> String {
        let count = min(stop - start, 64)
        return String(decoding: UnsafeBufferPointer(start: input + start, count: count), as: UTF8.self)
    }
}

/// Word-at-a-time byte classification (SIMD within a register) for the name scanner.
enum SWAR {
    static let ones: UInt64 = 0x0101_0101_0101_0101
    static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// Whether all eight bytes of `word` are ASCII digits.
    @inline(__always)
    static func isEightDigits(_ word: UInt64) -> Bool {
        // Every byte is 0x30...0x3F, and adding 6 keeps it below 0x40 (no carry between bytes).
        (word & 0xF0F0_F0F0_F0F0_F0F0) == 0x3030_3030_3030_3030
            && ((word &+ 0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0) == 0x3030_3030_3030_3030
    }

    /// The value of eight ASCII digits loaded little-endian (the first digit in the lowest byte).
    @inline(__always)
    static func eightDigitsValue(_ word: UInt64) -> UInt64 {
        var value = word &- 0x3030_3030_3030_3030
        value = (value &* 10 &+ (value &>> 8)) & 0x00FF_00FF_00FF_00FF
        value = (value &* 100 &+ (value &>> 16)) & 0x0000_FFFF_0000_FFFF
        return (value &* 10_000 &+ (value &>> 32)) & 0xFFFF_FFFF
    }

    /// High bit set in each byte of `word` that is zero (exact for the lowest such byte).
    @inline(__always)
    static func zeroBytes(_ word: UInt64) -> UInt64 {
        (word &- ones) & ~word & highBits
    }

    /// High bit set in each byte equal to `byte` (exact for the lowest such byte).
    @inline(__always)
    static func bytes(_ word: UInt64, equalTo byte: UInt8) -> UInt64 {
        zeroBytes(word ^ (ones &* UInt64(byte)))
    }

    /// High bit set in bytes that end or escape a name: `,` `\\` (and `=` unless `allowsEquals`), plus
    /// control bytes and space, and DEL unless `allowsControl`. The lowest flagged byte is exact; flags
    /// above it may be spurious.
    @inline(__always)
    static func specialBytes(_ word: UInt64, allowsEquals: Bool, allowsControl: Bool) -> UInt64 {
        var mask = bytes(word, equalTo: ASCII.comma) | bytes(word, equalTo: ASCII.backslash)
        if !allowsEquals { mask |= bytes(word, equalTo: ASCII.equals) }
        // Bytes below 0x21 (controls and space): with `allowsControl` only space, `\r` and `\n` end a
        // name, so a flagged control byte is a false alarm the caller must step over.
        mask |= (word &- ones &* 0x21) & ~word & highBits
        if !allowsControl { mask |= bytes(word, equalTo: 0x7F) }
        return mask
    }
}
