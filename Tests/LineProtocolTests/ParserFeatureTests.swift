@testable import StrataCore
import Testing

/// Exact parsed values for each line-protocol feature.
@Suite struct ParserFeatureTests {
    static let parser = LineProtocolParser()

    static func parseOne(_ text: String, precision: TimestampPrecision = .nanoseconds, defaultTimestamp: Int64 = 7) -> Point? {
        let (points, errors) = LineProtocolParser(precision: precision).parsePoints(text, defaultTimestamp: defaultTimestamp)
        guard errors.isEmpty, points.count == 1 else { return nil }
        return points[0]
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var text: String
        var point: Point
        var testDescription: String { text.debugDescription }
    }

    static let cases: [Case] = [
        Case(text: "cpu value=1", point: Point(measurement: "cpu", fields: [Field(key: "value", value: .float(1))], timestamp: 7)),
        Case(text: "cpu,host=a,region=eu f=1.5 123", point: Point(
            measurement: "cpu", tags: [Tag(key: "host", value: "a"), Tag(key: "region", value: "eu")],
            fields: [Field(key: "f", value: .float(1.5))], timestamp: 123)),
        Case(text: "m,z=1,a=2 x=1 5", point: Point(
            measurement: "m", tags: [Tag(key: "z", value: "1"), Tag(key: "a", value: "2")],
            fields: [Field(key: "x", value: .float(1))], timestamp: 5)),
        Case(text: "m i=-42i,u=42u,b=true,s=\"hi\",f=-1.5e3 -5", point: Point(
            measurement: "m",
            fields: [Field(key: "i", value: .integer(-42)), Field(key: "u", value: .unsigned(42)),
                     Field(key: "b", value: .boolean(true)), Field(key: "s", value: .string("hi")),
                     Field(key: "f", value: .float(-1500))],
            timestamp: -5)),
        Case(text: "m a=9223372036854775807i,b=-9223372036854775808i,c=18446744073709551615u", point: Point(
            measurement: "m",
            fields: [Field(key: "a", value: .integer(.max)), Field(key: "b", value: .integer(.min)),
                     Field(key: "c", value: .unsigned(.max))], timestamp: 7)),
        Case(text: #"c\,p\ u=x,t\ k\=1=v\,a\=l\ 2 f\=k\ 1=1"#, point: Point(
            measurement: "c,p u=x", tags: [Tag(key: "t k=1", value: "v,a=l 2")],
            fields: [Field(key: "f=k 1", value: .float(1))], timestamp: 7)),
        Case(text: #"m\=x,t=a\b f=1"#, point: Point(
            measurement: #"m\=x"#, tags: [Tag(key: "t", value: #"a\b"#)], fields: [Field(key: "f", value: .float(1))], timestamp: 7)),
        Case(text: #"m s="a \"q\" \\ b\n""#, point: Point(
            measurement: "m", fields: [Field(key: "s", value: .string(#"a "q" \ b\n"#))], timestamp: 7)),
        Case(text: "m s=\"line1\nline2\"", point: Point(
            measurement: "m", fields: [Field(key: "s", value: .string("line1\nline2"))], timestamp: 7)),
        Case(text: "m s=\"w\u{E8} \u{1F600}\",t=\"\"", point: Point(
            measurement: "m", fields: [Field(key: "s", value: .string("w\u{E8} \u{1F600}")), Field(key: "t", value: .string(""))], timestamp: 7)),
        Case(text: "   m   f=.5   12   ", point: Point(measurement: "m", fields: [Field(key: "f", value: .float(0.5))], timestamp: 12)),
        Case(text: "m f=1.\r\n", point: Point(measurement: "m", fields: [Field(key: "f", value: .float(1))], timestamp: 7)),
        Case(text: "m f=0.1,g=1e-5,h=1E+2,k=-0.0", point: Point(
            measurement: "m", fields: [Field(key: "f", value: .float(0.1)), Field(key: "g", value: .float(1e-5)),
                                       Field(key: "h", value: .float(100)), Field(key: "k", value: .float(-0.0))], timestamp: 7)),
    ]

    @Test(arguments: cases) func parsesExactly(_ testCase: Case) {
        #expect(Self.parseOne(testCase.text) == testCase.point)
    }

    @Test(arguments: ["t", "T", "true", "True", "TRUE", "f", "F", "false", "False", "FALSE"])
    func booleans(_ spelling: String) {
        let expected = spelling.lowercased().hasPrefix("t")
        #expect(Self.parseOne("m b=\(spelling)")?.fields.first?.value == .boolean(expected))
    }

    @Test(arguments: ["0", "1", "-1", "0.1", "3.141592653589793", "1e308", "1.7976931348623157e308", "5e-324",
                      "2.2250738585072014e-308", "123456789012345678901234567890", "0.000000000000000000000000001",
                      "9007199254740993", "1e23", "8.98846567431158e307", "4.9406564584124654e-324", "00001.5000",
                      ".123456789e-10", "1234567.891011e-3", "-0", "7e22", "7e-22", "9007199254740992e22"])
    func floatsAreBitExact(_ text: String) throws {
        let point = try #require(Self.parseOne("m f=\(text)"))
        guard case .float(let value) = point.fields[0].value else {
            Issue.record("not a float")
            return
        }
        #expect(value.bitPattern == Double(text)!.bitPattern)
    }

    @Test func randomFloatsAreBitExact() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let digits = String(UInt64.random(in: 0...UInt64.max, using: &generator) >> UInt64.random(in: 0...63, using: &generator))
            let exponent = Int.random(in: -40...40, using: &generator)
            let split = Int.random(in: 0...digits.count, using: &generator)
            let text = digits.prefix(split) + "." + digits.dropFirst(split) + "e\(exponent)"
            guard let point = Self.parseOne("m f=\(text)"), case .float(let value) = point.fields[0].value else {
                Issue.record("failed to parse \(text)")
                continue
            }
            #expect(value.bitPattern == Double(String(text))!.bitPattern, "\(text)")
        }
    }

    @Test func precisionConversion() {
        #expect(Self.parseOne("m f=1 5", precision: .seconds)?.timestamp == 5_000_000_000)
        #expect(Self.parseOne("m f=1 5", precision: .milliseconds)?.timestamp == 5_000_000)
        #expect(Self.parseOne("m f=1 5", precision: .microseconds)?.timestamp == 5_000)
        #expect(Self.parseOne("m f=1 -5", precision: .seconds)?.timestamp == -5_000_000_000)
        // Default timestamps are rounded down to the precision.
        #expect(Self.parseOne("m f=1", precision: .seconds, defaultTimestamp: 1_999_999_999)?.timestamp == 1_000_000_000)
        #expect(Self.parseOne("m f=1", precision: .milliseconds, defaultTimestamp: -1)?.timestamp == -1_000_000)
        // Overflow after conversion is an error for that line only.
        let (points, errors) = LineProtocolParser(precision: .seconds)
            .parsePoints("m f=1 9223372037\nm f=2 9223372036", defaultTimestamp: 0)
        #expect(points.count == 1 && points.first?.timestamp == 9_223_372_036_000_000_000)
        #expect(errors == [LineProtocolError(line: 1, column: 7, reason: .timestampOutOfRange("9223372037"))])
    }

    @Test(arguments: [("n", TimestampPrecision.nanoseconds), ("ns", .nanoseconds), ("1ns", .nanoseconds),
                      ("u", .microseconds), ("us", .microseconds), ("\u{B5}", .microseconds), ("1\u{B5}s", .microseconds),
                      ("1us", .microseconds), ("ms", .milliseconds), ("1ms", .milliseconds), ("s", .seconds), ("1s", .seconds)])
    func precisionNames(_ name: String, _ precision: TimestampPrecision) {
        #expect(TimestampPrecision(influxName: name) == precision)
    }

    @Test func unknownPrecisionNames() {
        #expect(TimestampPrecision(influxName: "h") == nil)
        #expect(TimestampPrecision(influxName: "") == nil)
        #expect(TimestampPrecision(influxName: "1m") == nil)
    }

    @Test func batchExposesStructOfArrays() {
        var batch = ParsedBatch()
        Self.parser.parse(Array("a,t=x f=1i,s=\"v\"\nb g=2u 9\n".utf8), defaultTimestamp: 3, into: &batch)
        #expect(batch.points.count == 2 && batch.errors.isEmpty && batch.linesRead == 2)
        let first = batch.points[0]
        #expect(batch.string(first.measurement) == "a")
        #expect(first.tagCount == 1 && first.fieldCount == 2 && first.timestamp == 3 && first.line == 1)
        let field = batch.fields[Int(first.fieldStart)]
        #expect(field.kind == .integer && field.integerValue == 1 && field.numericValue == 1)
        let string = batch.fields[Int(first.fieldStart) + 1]
        #expect(string.kind == .string && batch.string(string.string) == "v" && string.numericValue == nil)
        #expect(batch.withBytes(batch.tags[0].key) { Array($0) } == Array("t".utf8))
        #expect(batch.points[1].line == 2 && batch.points[1].timestamp == 9)
        #expect(batch.fields[Int(batch.points[1].fieldStart)].bits == 2)
        batch.removeAll()
        #expect(batch.points.isEmpty && batch.bytes.isEmpty && batch.linesRead == 0)
        // Appending a second chunk continues the line numbering given by the caller.
        Self.parser.parse(Array("x f=1\ny f=\n".utf8)[...], defaultTimestamp: 0, firstLineNumber: 10, into: &batch)
        #expect(batch.points.first?.line == 10)
        #expect(batch.errors == [LineProtocolError(line: 11, column: 5, reason: .missingFieldValue)])
    }

    /// An emptied batch keeps its arrays' capacity and is padded in place instead of getting fresh
    /// arrays: whatever it held before, it must parse exactly what a new batch parses.
    @Test func reusedBatchParsesLikeANewOne() {
        var workload = APIWorkload()
        var big: [UInt8] = []
        workload.appendLines(9_000, to: &big)  // over 1 MiB: the in-place path
        #expect(big.count >= LineProtocolParser.reuseMinimumInputBytes)
        var small: [UInt8] = []
        workload.appendLines(40, to: &small)
        let odd = Array("a,t=x f=1i,s=\"v\"\nbad line\nb g=2u 9\nx\\ y,k\\=1=v\\,w f=-1.5e3 12\n\n# c\nshort f=1".utf8)
        var reused = ParsedBatch()
        for input in [big, big, small, odd, big, big + odd + [0x0A] + small, big] {
            var fresh = ParsedBatch()
            Self.parser.parse(input, defaultTimestamp: 7, into: &fresh)
            reused.removeAll()
            Self.parser.parse(input, defaultTimestamp: 7, into: &reused)
            #expect(reused.allPoints() == fresh.allPoints())
            #expect(reused.errors == fresh.errors && reused.linesRead == fresh.linesRead)
            #expect(reused.bytes == fresh.bytes)
            #expect((0..<fresh.points.count).allSatisfy { reused.seriesKeyRange(of: reused.points[$0]) == fresh.seriesKeyRange(of: fresh.points[$0]) })
        }
        #expect(reused.points.count == 9_000)
    }

    @Test func rawBufferInput() {
        var batch = ParsedBatch()
        let bytes = Array("m f=1\n".utf8)
        bytes.withUnsafeBytes { Self.parser.parse($0, defaultTimestamp: 0, into: &batch) }
        #expect(batch.point(at: 0) == Point(measurement: "m", fields: [Field(key: "f", value: .float(1))], timestamp: 0))
    }

    /// Each point's measurement and tags sit length-prefixed and back to back in the batch: with sorted
    /// tags that stretch is exactly the canonical series key, escapes and long (multi-byte varint) parts
    /// included; with unsorted tags it is the same encoding in input order. Bad lines and field keys
    /// around them do not disturb it.
    @Test func seriesKeyRangeIsTheEncodedKey() {
        let long = String(repeating: "v", count: 200)  // a 2-byte length prefix
        let veryLong = String(repeating: "w", count: 20_000)  // a 3-byte length prefix
        let limits = LineProtocolLimits(maxLineLength: 100_000, maxTagValueLength: 30_000)
        let text = """
        m,a=1,b=2 f=1
        bad line
        c\\,p\\ u,t\\ k=v\\,a\\=l\\ 2,z=\(long) f\\=k=1,g=2
        n,b=\(veryLong),a=x f=1
        o f=1
        \(String(repeating: "M", count: 130)),k=\(long) f=1

        """
        var batch = ParsedBatch()
        LineProtocolParser(limits: limits).parse(Array(text.utf8), defaultTimestamp: 0, into: &batch)
        #expect(batch.errors.map(\.line) == [2])
        #expect(batch.points.count == 5)
        let keys = batch.points.map { point in Array(batch.bytes[batch.seriesKeyRange(of: point)]) }
        #expect(keys[0] == SeriesKey(measurement: "m", tags: [Tag(key: "a", value: "1"), Tag(key: "b", value: "2")]).canonicalBytes)
        #expect(keys[1] == SeriesKey(measurement: "c,p u", tags: [Tag(key: "t k", value: "v,a=l 2"), Tag(key: "z", value: long)]).canonicalBytes)
        #expect(keys[3] == SeriesKey(measurement: "o", tags: []).canonicalBytes)
        #expect(keys[4] == SeriesKey(measurement: String(repeating: "M", count: 130), tags: [Tag(key: "k", value: long)]).canonicalBytes)
        // Unsorted: the input order, in the same encoding (prefixes 1, 1, 1, 3 bytes, 1, 1).
        #expect(keys[2] == [1] + Array("n".utf8) + [1] + Array("b".utf8) + [0xA0, 0x9C, 0x01] + Array(veryLong.utf8)
            + [1] + Array("a".utf8) + [1] + Array("x".utf8))
        // The parsed values themselves are unchanged by the prefixes.
        #expect(batch.point(at: 2) == Point(
            measurement: "n", tags: [Tag(key: "b", value: veryLong), Tag(key: "a", value: "x")],
            fields: [Field(key: "f", value: .float(1))], timestamp: 0))
        #expect(batch.point(at: 1).fields == [Field(key: "f=k", value: .float(1)), Field(key: "g", value: .float(2))])
    }
}
