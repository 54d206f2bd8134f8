import Foundation
import StrataCore
import Testing

/// Runs the InfluxData line-protocol conformance corpus against the parser and serializer.
///
/// Skipped (with a message) when the corpus is not found; set `STRATA_LP_CORPUS` to its path to run it
/// from elsewhere.
@Suite(.enabled(if: CorpusLocator.isAvailable, "line-protocol corpus not found (set STRATA_LP_CORPUS)"))
struct CorpusConformanceTests {
    /// Decode cases where Strata deliberately differs from the reference decoder, with the reason.
    /// Each listed case is asserted to still differ, so the list cannot go stale.
    static let decodeDeviations: [String: String] = [:]

    /// Encode cases where Strata deliberately differs from the reference encoder, with the reason.
    static let encodeDeviations: [String: String] = [:]

    @Test func decodeCases() throws {
        let corpus = try CorpusLocator.load()
        Self.check(corpus.decode, deviations: Self.decodeDeviations, kind: "decode", expectedCount: 6_615, problem: Self.decodeProblem)
    }

    @Test func encodeCases() throws {
        let corpus = try CorpusLocator.load()
        Self.check(corpus.encode, deviations: Self.encodeDeviations, kind: "encode", expectedCount: 115, problem: Self.encodeProblem)
    }

    /// Runs every case: each must conform unless listed in `deviations`, and each listed case must still differ.
    static func check<Case>(_ cases: [String: Case], deviations: [String: String], kind: String, expectedCount: Int,
                            problem: (Case) -> String?) {
        var passed = 0
        var failures: [String] = []
        var deviatingAsListed = 0
        for (key, testCase) in cases.sorted(by: { $0.key < $1.key }) {
            let difference = problem(testCase)
            if deviations[key] != nil {
                #expect(difference != nil, "listed deviation \(key) now conforms; remove it from the list")
                if difference != nil { deviatingAsListed += 1 }
            } else if let difference {
                failures.append("\(key): \(difference)")
            } else {
                passed += 1
            }
        }
        print("line-protocol corpus \(kind): \(passed) passed, \(deviatingAsListed) deliberately differing, \(failures.count) failing of \(cases.count)")
        for failure in failures.prefix(40) { print("  FAIL \(failure)") }
        #expect(failures.isEmpty, "\(failures.count) \(kind) cases fail")
        #expect(cases.count == expectedCount)
    }

    /// `nil` when Strata's parser agrees with the expected output, else a description of the difference.
    static func decodeProblem(_ testCase: Corpus.DecodeCase) -> String? {
        guard let precision = TimestampPrecision(influxName: testCase.input.precision) else {
            return "unsupported precision \(testCase.input.precision)"
        }
        var batch = ParsedBatch()
        LineProtocolParser(precision: precision)
            .parse(testCase.input.text.bytes, defaultTimestamp: testCase.input.defaultTime, into: &batch)
        switch testCase.output {
        case .error(let message):
            return batch.errors.isEmpty ? "accepted input the reference rejects (\(message))" : nil
        case .result(let expected):
            if !batch.errors.isEmpty { return "rejected: \(batch.errors)" }
            let actual = batch.allPoints()
            guard actual.count == expected.count else { return "got \(actual.count) points, want \(expected.count)" }
            for (got, want) in zip(actual, expected) {
                if let difference = pointDifference(got, want) { return difference }
            }
            return nil
        }
    }

    /// Compares a parsed point with a corpus point. The reference output lists tags sorted by key while
    /// Strata keeps input order, so tags are compared sorted. Floats compare bit for bit, except that the
    /// corpus JSON writes negative zero as `0`.
    static func pointDifference(_ got: Point, _ want: Corpus.CorpusPoint) -> String? {
        if got.measurement != want.name.string { return "measurement \(got.measurement.debugDescription)" }
        if got.timestamp != want.time { return "timestamp \(String(describing: got.timestamp)) want \(want.time)" }
        let gotTags = got.tags.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
        let wantTags = want.tags.map { Tag(key: $0.key.string, value: $0.value.string) }
        if gotTags != wantTags { return "tags \(gotTags) want \(wantTags)" }
        guard got.fields.count == want.fields.count else { return "field count \(got.fields.count)" }
        for (field, expected) in zip(got.fields, want.fields) {
            if field.key != expected.key.string { return "field key \(field.key.debugDescription)" }
            let same: Bool
            switch (field.value, expected.value) {
            case (.float(let a), .float(let b)): same = a.bitPattern == b.bitPattern || (a == 0 && b == 0)
            case (.integer(let a), .int(let b)): same = a == b
            case (.unsigned(let a), .uint(let b)): same = a == b
            case (.boolean(let a), .bool(let b)): same = a == b
            case (.string(let a), .string(let b)): same = a == b
            case (.string(let a), .binary(let b)): same = Array(a.utf8) == b
            default: same = false
            }
            if !same { return "field \(field.key): \(field.value) want \(expected.value)" }
        }
        return nil
    }

    /// `nil` when Strata's serializer agrees with the expected output.
    static func encodeProblem(_ testCase: Corpus.EncodeCase) -> String? {
        guard let precision = TimestampPrecision(influxName: testCase.input.precision) else {
            return "unsupported precision \(testCase.input.precision)"
        }
        let source = testCase.input.point
        var fields: [Field] = []
        for field in source.fields {
            let value: FieldValue
            switch field.value {
            case .int(let v): value = .integer(v)
            case .uint(let v): value = .unsigned(v)
            case .float(let v): value = .float(v)
            case .bool(let v): value = .boolean(v)
            case .string(let v): value = .string(v)
            case .binary(let v): value = .string(String(decoding: v, as: UTF8.self))
            case .nonNumber(let v): value = .float(v == "NaN" ? .nan : .infinity)
            }
            fields.append(Field(key: field.key.string, value: value))
        }
        let point = Point(
            measurement: source.name.string,
            tags: source.tags.map { Tag(key: $0.key.string, value: $0.value.string) },
            fields: fields,
            timestamp: source.time
        )
        let validation = Result { () throws(LineProtocolEncodingError) in try LineProtocolSerializer.validate(point) }
        switch (testCase.output, validation) {
        case (.error, .failure):
            return nil
        case (.error(let message), .success):
            return "accepted a point the reference rejects (\(message))"
        case (.result, .failure(let error)):
            return "rejected: \(error)"
        case (.result(let expected), .success):
            let line = LineProtocolSerializer.line(point, precision: precision)
            return Array(line.utf8) == expected.bytes ? nil : "got \(line.debugDescription) want \(expected.string.debugDescription)"
        }
    }
}
