import StrataCore
import Testing

/// Limits and serializer round trips.
@Suite struct LimitsAndSerializerTests {
    @Test func defaultsAreDocumentedValues() {
        let limits = LineProtocolLimits.default
        #expect(limits.maxLineLength == 65_536)
        #expect(limits.maxTags == 256)
        #expect(limits.maxFields == 512)
        #expect(limits.maxKeyLength == 256)
        #expect(limits.maxTagValueLength == 4_096)
        #expect(limits.maxStringFieldLength == 65_536)
    }

    static let small = LineProtocolLimits(
        maxLineLength: 40, maxTags: 2, maxFields: 2, maxKeyLength: 4, maxTagValueLength: 5, maxStringFieldLength: 3)

    struct Case: Sendable, CustomTestStringConvertible {
        var text: String
        var column: Int
        var reason: LineProtocolError.Reason
        var testDescription: String { text }
    }

    static let cases: [Case] = [
        Case(text: "m f=1 " + String(repeating: " ", count: 40), column: 41, reason: .lineTooLong(limit: 40)),
        Case(text: "m,a=1,b=2,c=3 f=1", column: 11, reason: .tooManyTags(limit: 2)),
        Case(text: "m f=1,g=2,h=3", column: 11, reason: .tooManyFields(limit: 2)),
        Case(text: "mmmmm f=1", column: 1, reason: .keyTooLong(limit: 4)),
        Case(text: "m,kkkkk=1 f=1", column: 3, reason: .keyTooLong(limit: 4)),
        Case(text: "m fffff=1", column: 3, reason: .keyTooLong(limit: 4)),
        Case(text: "m,k=vvvvvv f=1", column: 5, reason: .valueTooLong(limit: 5)),
        Case(text: "m s=\"abcd\"", column: 5, reason: .valueTooLong(limit: 3)),
    ]

    @Test(arguments: cases) func limitsRejectTheWholeLine(_ testCase: Case) {
        var batch = ParsedBatch()
        LineProtocolParser(limits: Self.small)
            .parse(Array((testCase.text + "\nok f=1\n").utf8), defaultTimestamp: 0, into: &batch)
        #expect(batch.errors == [LineProtocolError(line: 1, column: testCase.column, reason: testCase.reason)])
        #expect(batch.points.count == 1)
        #expect(batch.points.first.map { batch.string($0.measurement) } == "ok")
    }

    @Test func multilineStringCountsTowardsLineLength() {
        var limits = Self.small
        limits.maxStringFieldLength = 1_000
        let text = "m s=\"a\n" + String(repeating: "b", count: 40) + "\"\nok f=1"
        let (points, errors) = LineProtocolParser(limits: limits).parsePoints(text, defaultTimestamp: 0)
        #expect(errors == [LineProtocolError(line: 1, column: 41, reason: .lineTooLong(limit: 40))])
        #expect(points.map(\.measurement) == ["ok"])
    }

    @Test func limitsAtTheBoundaryAreAccepted() {
        let text = "mmmm,kkkk=vvvvv,k2=v ffff=1,g=\"abc\"\n"  // 36 bytes, every limit met exactly
        let (points, errors) = LineProtocolParser(limits: Self.small).parsePoints(text, defaultTimestamp: 0)
        #expect(errors.isEmpty && points.count == 1)
    }

    @Test(arguments: [
        (Point(measurement: "cpu", fields: [Field(key: "v", value: .float(1))], timestamp: 0), "cpu v=1 0"),
        (Point(measurement: "c pu,x=y", tags: [Tag(key: "a=b", value: "c d,e")],
               fields: [Field(key: "f g", value: .string("q\"b\\"))], timestamp: nil),
         #"c\ pu\,x=y,a\=b=c\ d\,e f\ g="q\"b\\""#),
        (Point(measurement: "m", fields: [Field(key: "a", value: .float(6632243)), Field(key: "b", value: .float(1e-5)),
                                          Field(key: "c", value: .float(123456.5)), Field(key: "d", value: .float(-0.0)),
                                          Field(key: "e", value: .integer(-3)), Field(key: "f", value: .unsigned(3)),
                                          Field(key: "g", value: .boolean(false))], timestamp: 5_000_000_000),
         "m a=6.632243e+06,b=1e-05,c=123456.5,d=-0,e=-3i,f=3u,g=false 5"),
    ])
    func serializesLikeTheReference(_ point: Point, _ expected: String) {
        let precision: TimestampPrecision = point.timestamp == 5_000_000_000 ? .seconds : .nanoseconds
        #expect(LineProtocolSerializer.line(point, precision: precision) == expected)
        var output: [UInt8] = []
        LineProtocolSerializer.append(point, precision: precision, to: &output)
        #expect(output == Array((expected + "\n").utf8))
    }

    @Test func validationRejectsUnencodablePoints() {
        let field = [Field(key: "f", value: .float(1))]
        let bad: [Point] = [
            Point(measurement: "", fields: field),
            Point(measurement: "#m", fields: field),
            Point(measurement: "m\\", fields: field),
            Point(measurement: "m", tags: [Tag(key: "t", value: "")], fields: field),
            Point(measurement: "m", tags: [Tag(key: "t\n", value: "v")], fields: field),
            Point(measurement: "m", tags: [Tag(key: "t", value: "v"), Tag(key: "t", value: "w")], fields: field),
            Point(measurement: "m", fields: []),
            Point(measurement: "m", fields: [Field(key: "f", value: .float(.nan))]),
            Point(measurement: "m", fields: [Field(key: "f", value: .float(-.infinity))]),
        ]
        for point in bad {
            #expect(throws: LineProtocolEncodingError.self) { try LineProtocolSerializer.validate(point) }
        }
    }

    @Test func roundTripsGeneratedPoints() throws {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("ab Z,=\\\"é#\t_1".unicodeScalars)
        func name() -> String {
            var text = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 1...8, using: &generator) {
                text.append(alphabet.randomElement(using: &generator)!)
            }
            return String(text)
        }
        func value() -> FieldValue {
            switch Int.random(in: 0..<5, using: &generator) {
            case 0: .float(Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &generator)))
            case 1: .integer(Int64.random(in: .min ... .max, using: &generator))
            case 2: .unsigned(UInt64.random(in: 0 ... .max, using: &generator))
            case 3: .boolean(Bool.random(using: &generator))
            default: .string(name() + "\n\\\"" + name())
            }
        }
        var checked = 0
        for _ in 0..<3_000 {
            var tags: [StrataCore.Tag] = []
            for _ in 0..<Int.random(in: 0...3, using: &generator) {
                tags.append(Tag(key: name(), value: name()))
            }
            let fields = (0..<Int.random(in: 1...4, using: &generator)).map { _ in Field(key: name(), value: value()) }
            let point = Point(measurement: name(), tags: tags, fields: fields,
                              timestamp: Bool.random(using: &generator) ? Int64.random(in: .min ... .max, using: &generator) : nil)
            guard (try? LineProtocolSerializer.validate(point)) != nil else { continue }
            checked += 1
            var bytes: [UInt8] = []
            LineProtocolSerializer.append(point, to: &bytes)
            let (points, errors) = LineProtocolParser().parsePoints(String(decoding: bytes, as: UTF8.self), defaultTimestamp: 42)
            var expected = point
            if expected.timestamp == nil { expected.timestamp = 42 }
            #expect(errors.isEmpty, "\(String(decoding: bytes, as: UTF8.self).debugDescription): \(errors)")
            #expect(points == [expected], "\(String(decoding: bytes, as: UTF8.self).debugDescription)")
        }
        #expect(checked > 100)
    }
}
