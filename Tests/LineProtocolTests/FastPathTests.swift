import StrataCore
import Testing

/// Edge cases of the parser's fast paths (word-at-a-time timestamps, optimistic line-length check),
/// compared against exact expectations.
@Suite struct FastPathTests {
    static func parse(_ text: String, precision: TimestampPrecision = .nanoseconds, limits: LineProtocolLimits = .default)
        -> (points: [Point], errors: [LineProtocolError])
    {
        LineProtocolParser(precision: precision, limits: limits).parsePoints(text, defaultTimestamp: 7)
    }

    @Test func timestampsOfEveryLength() {
        // 1...19 digits, each followed by nothing, a space, `\n` and `\r\n`, to cross the 8-byte word edges.
        for length in 1...19 {
            let digits = String("1234567890123456789".prefix(length))
            let expected = Int64(digits)!
            for suffix in ["", " ", "\n", "\r\n", "  \n"] {
                for sign in ["", "-"] {
                    let (points, errors) = Self.parse("m f=1 \(sign)\(digits)\(suffix)")
                    #expect(errors.isEmpty, "\(digits)")
                    #expect(points.first?.timestamp == (sign == "-" ? -expected : expected), "\(sign)\(digits)")
                }
            }
        }
    }

    @Test func timestampLimits() {
        #expect(Self.parse("m f=1 9223372036854775807").points.first?.timestamp == .max)
        #expect(Self.parse("m f=1 -9223372036854775808").points.first?.timestamp == .min)
        #expect(Self.parse("m f=1 0000000000000000001").points.first?.timestamp == 1)
        #expect(Self.parse("m f=1 00000000000000000001").points.first?.timestamp == 1)
        #expect(Self.parse("m f=1 -0").points.first?.timestamp == 0)
        #expect(Self.parse("m f=1 9999999999999999999").errors
            == [LineProtocolError(line: 1, column: 7, reason: .timestampOutOfRange("9999999999999999999"))])
        #expect(Self.parse("m f=1 -9223372036854775809").errors
            == [LineProtocolError(line: 1, column: 7, reason: .timestampOutOfRange("-9223372036854775809"))])
        #expect(Self.parse("m f=1 18446744073709551616").errors
            == [LineProtocolError(line: 1, column: 7, reason: .timestampOutOfRange("18446744073709551616"))])
        #expect(Self.parse("m f=1 12345678x").errors
            == [LineProtocolError(line: 1, column: 7, reason: .invalidTimestamp("12345678x"))])
        #expect(Self.parse("m f=1 1234567812345678-").errors
            == [LineProtocolError(line: 1, column: 7, reason: .invalidTimestamp("1234567812345678-"))])
        #expect(Self.parse("m f=1 -").errors
            == [LineProtocolError(line: 1, column: 7, reason: .invalidTimestamp("-"))])
        #expect(Self.parse("m f=1 1\r2").errors.count == 1)
        #expect(Self.parse("m f=1 9223372036854775807", precision: .microseconds).errors
            == [LineProtocolError(line: 1, column: 7, reason: .timestampOutOfRange("9223372036854775807"))])
        #expect(Self.parse("m f=1 1763800000000000", precision: .microseconds).points.first?.timestamp
            == 1_763_800_000_000_000_000)
    }

    @Test func lineLengthCheckedAfterParsing() {
        let limits = LineProtocolLimits(maxLineLength: 20)
        let tooLong = LineProtocolError(line: 1, column: 21, reason: .lineTooLong(limit: 20))
        // Exactly at the limit, with and without `\r\n`.
        #expect(Self.parse("m f=1 12345678901234", limits: limits).errors.isEmpty)
        #expect(Self.parse("m f=1 12345678901234\r\nm f=2", limits: limits).points.count == 2)
        // One over: good and bad lines alike report only the length, and the next line parses.
        #expect(Self.parse("m f=1 123456789012345\nm f=2", limits: limits).errors == [tooLong])
        #expect(Self.parse("m f=1 123456789012345\nm f=2", limits: limits).points.count == 1)
        #expect(Self.parse("m f=x 123456789012345\nm f=2", limits: limits).errors == [tooLong])
        #expect(Self.parse("m f=\"12345678901234567890\nm f=2", limits: limits).errors == [tooLong])
        // A string spanning lines whose first line is too long: that line alone is rejected.
        let (points, errors) = Self.parse("m f=\"123456789012345678\nx\" 5\nm f=2", limits: limits)
        #expect(errors.first == tooLong)
        #expect(points.last?.fields.first?.value == .float(2))
    }

    /// Many lines with up to 300 tags and fields (more than the room the parser reserves per line and
    /// per round), some bad, parsed in one call and appended to a batch that already holds points.
    @Test func manyPointsTagsAndFields() {
        var expected: [Point] = []
        var text = ""
        for i in 0..<6_000 {
            let tagCount = i % 97 == 0 ? 250 : i % 7
            let fieldCount = i % 89 == 0 ? 300 : 1 + i % 5
            let tags = (0..<tagCount).map { Tag(key: "t\($0)", value: "v\(i)-\($0)") }
            let fields = (0..<fieldCount).map { Field(key: "f\($0)", value: $0 % 2 == 0 ? .integer(Int64(i * $0)) : .float(Double(i) / 4)) }
            var line = "m\(i % 3)"
            for tag in tags { line += ",\(tag.key)=\(tag.value)" }
            line += " " + fields.map { field -> String in
                switch field.value {
                case .integer(let v): "\(field.key)=\(v)i"
                case .float(let v): "\(field.key)=\(v)"
                default: ""
                }
            }.joined(separator: ",")
            line += " \(1_763_800_000_000_000_000 + i)\n"
            if i % 101 == 0 { text += "bad,line\n" }
            text += line
            expected.append(Point(measurement: "m\(i % 3)", tags: tags, fields: fields, timestamp: 1_763_800_000_000_000_000 + Int64(i)))
        }
        let parser = LineProtocolParser()
        var batch = ParsedBatch()
        parser.parse(Array("first f=1 1\n".utf8), defaultTimestamp: 0, into: &batch)
        parser.parse(Array(text.utf8), defaultTimestamp: 0, into: &batch)
        #expect(batch.errors.count == 60)
        #expect(batch.points.count == 6_001)
        let points = batch.allPoints()
        #expect(points.first == Point(measurement: "first", fields: [Field(key: "f", value: .float(1))], timestamp: 1))
        #expect(Array(points.dropFirst()) == expected)
        #expect(batch.tags.count == expected.reduce(0) { $0 + $1.tags.count })
        #expect(batch.fields.count == 1 + expected.reduce(0) { $0 + $1.fields.count })
        #expect(batch.linesRead == 6_061)
    }

    /// Escapes, literal backslashes and terminators at every offset of the eight-byte words.
    @Test func escapesAtEveryOffset() {
        for offset in 0..<18 {
            let pad = String(repeating: "a", count: offset)
            let text = "m\(pad)\\,x\\\\y,k\(pad)\\=\\ z=v\(pad)\\,\\q\\=é f\(pad)\\ =1"
            let (points, errors) = Self.parse(text)
            #expect(errors.isEmpty, "\(offset)")
            #expect(points.first == Point(
                measurement: "m\(pad),x\\\\y", tags: [Tag(key: "k\(pad)= z", value: "v\(pad),\\q=é")],
                fields: [Field(key: "f\(pad) ", value: .float(1))], timestamp: 7), "\(offset)")
            // Control bytes other than `\r` and `\n` (and DEL) belong to tag values, at any offset.
            let (controlPoints, controlErrors) = Self.parse("m,t=\(pad)\u{01}\(pad)\t\u{7F}x f=1")
            #expect(controlErrors.isEmpty, "\(offset)")
            #expect(controlPoints.first?.tags == [Tag(key: "t", value: "\(pad)\u{01}\(pad)\t\u{7F}x")], "\(offset)")
            let (crPoints, crErrors) = Self.parse("m,t=\(pad)\r f=1")
            #expect(crPoints.isEmpty && crErrors.count == 1, "\(offset)")
            // A control byte right after a name at this offset.
            #expect(Self.parse("m\(pad)\u{01} f=1").errors.first?.reason == .unexpectedCharacter(1), "\(offset)")
        }
    }

    /// Text longer than the output room the parser reserves per round (a long string, a long tag value).
    @Test func longTexts() {
        let long = String(repeating: "abcdefghij", count: 20_000)
        let limits = LineProtocolLimits(maxLineLength: 1 << 20, maxTagValueLength: 1 << 20, maxStringFieldLength: 1 << 20)
        let text = "m,t=\(long) s=\"\(long)\\\"\nx\",f=1 5\nm f=2\n"
        let (points, errors) = Self.parse(text, limits: limits)
        #expect(errors.isEmpty)
        #expect(points == [
            Point(measurement: "m", tags: [Tag(key: "t", value: long)],
                  fields: [Field(key: "s", value: .string(long + "\"\nx")), Field(key: "f", value: .float(1))], timestamp: 5),
            Point(measurement: "m", fields: [Field(key: "f", value: .float(2))], timestamp: 7),
        ])
        // Unterminated: one error, and the next line parses.
        let (points2, errors2) = Self.parse("m s=\"\(long)\nm f=2", limits: limits)
        #expect(errors2 == [LineProtocolError(line: 1, column: 5, reason: .unterminatedString)])
        #expect(points2.count == 1)
    }

    /// Numbers of the one-pass path agree with `Double(String)` bit for bit, and its edges fall back to
    /// the exact parsers (same values and errors).
    @Test func numbers() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 11
        }
        var text = ""
        var expected: [UInt64] = []
        for _ in 0..<20_000 {
            let integerDigits = Int(next() % 20) + 1
            let fractionDigits = next() % 3 == 0 ? -1 : Int(next() % 20)
            var number = next() % 4 == 0 ? "-" : ""
            for _ in 0..<integerDigits { number += String(next() % 10) }
            if fractionDigits >= 0 {
                number += "."
                for _ in 0..<fractionDigits { number += String(next() % 10) }
            }
            text += "m f=\(number)\n"
            expected.append(Double(number)!.bitPattern)
        }
        let (points, errors) = Self.parse(text)
        #expect(errors.isEmpty)
        #expect(points.count == expected.count)
        for (point, bits) in zip(points, expected) {
            guard case .float(let value) = point.fields.first?.value else {
                Issue.record("not a float")
                continue
            }
            #expect(value.bitPattern == bits)
        }
        #expect(Self.parse("m f=-0").points.first?.fields.first?.value == .float(-0.0))
        #expect(Self.parse("m f=-0").points.first.map { $0.fields[0].value == .float(0) && "\($0.fields[0].value)".contains("-") } == true)
        #expect(Self.parse("m f=9007199254740993").points.first?.fields.first?.value == .float(9007199254740992))
        #expect(Self.parse("m f=1.,g=-12.5e1,h=.5").points.first?.fields.map(\.value) == [.float(1), .float(-125), .float(0.5)])
        #expect(Self.parse("m a=-9223372036854775808i,b=9223372036854775807i,c=18446744073709551615u,d=-0i").points.first?
            .fields.map(\.value) == [.integer(.min), .integer(.max), .unsigned(.max), .integer(0)])
        #expect(Self.parse("m a=9223372036854775808i").errors.first?.reason
            == .fieldValueOutOfRange(kind: .integer, text: "9223372036854775808i"))
        #expect(Self.parse("m a=18446744073709551616u").errors.first?.reason
            == .fieldValueOutOfRange(kind: .unsigned, text: "18446744073709551616u"))
        #expect(Self.parse("m a=-1u").errors.first?.reason == .invalidFieldValue(kind: .unsigned, text: "-1u"))
        #expect(Self.parse("m a=1.5i").errors.first?.reason == .invalidFieldValue(kind: .integer, text: "1.5i"))
        #expect(Self.parse("m a=1ix").errors.first?.reason == .invalidFieldValue(kind: .float, text: "1ix"))
        #expect(Self.parse("m a=12x").errors.first?.reason == .invalidFieldValue(kind: .float, text: "12x"))
        #expect(Self.parse("m a=1.2.3").errors.first?.reason == .invalidFieldValue(kind: .float, text: "1.2.3"))
        #expect(Self.parse("m a=-").errors.first?.reason == .invalidFieldValue(kind: .float, text: "-"))
        #expect(Self.parse("m a=1\"").errors.count == 1)
    }

    /// Non-ASCII bytes at every offset of a name: valid UTF-8 is kept, invalid UTF-8 rejected.
    @Test func utf8AtEveryOffset() {
        for offset in 0..<18 {
            let pad = Array(repeating: UInt8(ascii: "a"), count: offset)
            for (bytes, valid) in [([0xC3, 0xA9] as [UInt8], true), ([0xC3] as [UInt8], false), ([0xFF] as [UInt8], false)] {
                for position in 0..<3 {
                    // position 0: measurement, 1: tag value, 2: field key.
                    var line: [UInt8] = Array("m".utf8) + (position == 0 ? pad + bytes : [])
                    line += Array(",t=".utf8) + (position == 1 ? pad + bytes : Array("v".utf8))
                    line += Array(" f".utf8) + (position == 2 ? pad + bytes : []) + Array("=1 5\n".utf8)
                    var batch = ParsedBatch()
                    LineProtocolParser().parse(line, defaultTimestamp: 0, into: &batch)
                    if valid {
                        #expect(batch.errors.isEmpty && batch.points.count == 1, "\(offset) \(position)")
                    } else {
                        #expect(batch.errors.map(\.reason) == [.invalidUTF8] && batch.points.isEmpty, "\(offset) \(position)")
                    }
                }
            }
        }
    }
}
