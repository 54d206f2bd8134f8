import StrataCore
import Testing

/// Every error case, with exact line and column, and recovery around bad lines.
@Suite struct ParserErrorTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var text: String
        var column: Int
        var reason: LineProtocolError.Reason
        var testDescription: String { text.debugDescription }
    }

    static let cases: [Case] = [
        Case(text: ",t=1 f=1", column: 1, reason: .missingMeasurement),
        Case(text: "\tm f=1", column: 1, reason: .unexpectedCharacter(9)),
        Case(text: "cpu", column: 4, reason: .missingFields),
        Case(text: "cpu ", column: 5, reason: .missingFields),
        Case(text: "cpu,host=a", column: 11, reason: .missingFields),
        Case(text: "cpu,=a f=1", column: 5, reason: .missingTagKey),
        Case(text: "cpu, f=1", column: 5, reason: .missingTagKey),
        Case(text: "cpu,host f=1", column: 9, reason: .expectedEquals),
        Case(text: "cpu,host= f=1", column: 10, reason: .missingTagValue),
        Case(text: "cpu,a=1,a=2 f=1", column: 9, reason: .duplicateTagKey("a")),
        // Tag values may hold control characters (as in the reference decoder), so the tab is part of it.
        Case(text: "cpu,a=1\tf=1", column: 10, reason: .unexpectedCharacter(UInt8(ascii: "="))),
        Case(text: "cpu,a\tb=1 f=1", column: 6, reason: .expectedEquals),
        Case(text: "cpu =1", column: 5, reason: .missingFieldKey),
        Case(text: "cpu f=1,", column: 9, reason: .missingFieldKey),
        Case(text: "cpu f", column: 6, reason: .expectedEquals),
        Case(text: "cpu f=", column: 7, reason: .missingFieldValue),
        Case(text: "cpu f=,g=1", column: 7, reason: .missingFieldValue),
        Case(text: "cpu f=12x", column: 7, reason: .invalidFieldValue(kind: .float, text: "12x")),
        Case(text: "cpu f=12xi", column: 7, reason: .invalidFieldValue(kind: .integer, text: "12xi")),
        Case(text: "cpu f=1.5i", column: 7, reason: .invalidFieldValue(kind: .integer, text: "1.5i")),
        Case(text: "cpu f=-1u", column: 7, reason: .invalidFieldValue(kind: .unsigned, text: "-1u")),
        Case(text: "cpu f=tru", column: 7, reason: .invalidFieldValue(kind: .boolean, text: "tru")),
        Case(text: "cpu f=NaN", column: 7, reason: .invalidFieldValue(kind: nil, text: "NaN")),
        Case(text: "cpu f=-Inf", column: 7, reason: .invalidFieldValue(kind: .float, text: "-Inf")),
        Case(text: "cpu f=0x10", column: 7, reason: .invalidFieldValue(kind: .float, text: "0x10")),
        Case(text: "cpu f=.", column: 7, reason: .invalidFieldValue(kind: .float, text: ".")),
        Case(text: "cpu f=1e", column: 7, reason: .invalidFieldValue(kind: .float, text: "1e")),
        Case(text: "cpu f=9223372036854775808i", column: 7, reason: .fieldValueOutOfRange(kind: .integer, text: "9223372036854775808i")),
        Case(text: "cpu f=18446744073709551616u", column: 7, reason: .fieldValueOutOfRange(kind: .unsigned, text: "18446744073709551616u")),
        Case(text: "cpu f=1e309", column: 7, reason: .fieldValueOutOfRange(kind: .float, text: "1e309")),
        Case(text: "cpu f=\"abc", column: 7, reason: .unterminatedString),
        Case(text: "cpu f=\"a\"x", column: 10, reason: .unexpectedCharacter(UInt8(ascii: "x"))),
        Case(text: "cpu f=1 12a", column: 9, reason: .invalidTimestamp("12a")),
        Case(text: "cpu f=1 1-2", column: 9, reason: .invalidTimestamp("1-2")),
        Case(text: "cpu f=1 -", column: 9, reason: .invalidTimestamp("-")),
        Case(text: "cpu f=1 9223372036854775808", column: 9, reason: .timestampOutOfRange("9223372036854775808")),
        Case(text: "cpu f=1 1 2", column: 11, reason: .unexpectedCharacter(UInt8(ascii: "2"))),
        Case(text: "cpu f=1\rx", column: 8, reason: .unexpectedCharacter(13)),
        Case(text: "c\u{FF}u f=1", column: 1, reason: .invalidUTF8),
        Case(text: "cpu,t=\u{FF} f=1", column: 7, reason: .invalidUTF8),
        Case(text: "cpu f=\"\u{FF}\"", column: 7, reason: .invalidUTF8),
        Case(text: "# bad \u{1} comment", column: 7, reason: .invalidComment),
    ]

    @Test(arguments: cases) func reportsExactPosition(_ testCase: Case) {
        // Invalid UTF-8 cannot be written in a Swift string literal, so U+00FF stands for a lone 0xFF byte.
        let bytes = Array(testCase.text.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) })
        var batch = ParsedBatch()
        LineProtocolParser().parse(bytes + Array("\ngood f=1".utf8), defaultTimestamp: 0, into: &batch)
        #expect(batch.errors == [LineProtocolError(line: 1, column: testCase.column, reason: testCase.reason)])
        // The next line is never swallowed.
        #expect(batch.points.count == 1 && batch.points.first?.line == 2)
        #expect(batch.linesRead == 2)
    }

    @Test func descriptionNamesPositionAndReason() {
        let error = LineProtocolError(line: 3, column: 17, reason: .invalidFieldValue(kind: .integer, text: "12x"))
        #expect(error.description == #"line 3, column 17: invalid integer field value "12x""#)
    }

    @Test func goodLinesAroundBadOnesAreKept() {
        let text = """
        # header comment

        a f=1
        bad line here
           # indented comment
        b f=2\r
        c,x= f=3

        d f=4
        """
        let (points, errors) = LineProtocolParser().parsePoints(text, defaultTimestamp: 0)
        #expect(points.map(\.measurement) == ["a", "b", "d"])
        #expect(errors.map(\.line) == [4, 7])
        #expect(errors.map(\.reason) == [.expectedEquals, .missingTagValue])
    }

    @Test func crlfAndBlankLines() {
        let (points, errors) = LineProtocolParser().parsePoints("a f=1\r\n\r\n  \r\nb f=2 5\r\n", defaultTimestamp: 0)
        #expect(errors.isEmpty)
        #expect(points == [Point(measurement: "a", fields: [Field(key: "f", value: .float(1))], timestamp: 0),
                           Point(measurement: "b", fields: [Field(key: "f", value: .float(2))], timestamp: 5)])
    }

    @Test func unterminatedStringDoesNotSwallowFollowingLines() {
        let (points, errors) = LineProtocolParser().parsePoints("a s=\"open\nb f=1\nc f=2", defaultTimestamp: 0)
        #expect(errors == [LineProtocolError(line: 1, column: 5, reason: .unterminatedString)])
        #expect(points.map(\.measurement) == ["b", "c"])
    }

    @Test func errorAfterMultilineStringIsOnItsLine() {
        let (points, errors) = LineProtocolParser().parsePoints("a s=\"x\ny\" 1z\nb f=1", defaultTimestamp: 0)
        #expect(errors == [LineProtocolError(line: 2, column: 4, reason: .invalidTimestamp("1z"))])
        #expect(points.map(\.measurement) == ["b"])
    }
}
