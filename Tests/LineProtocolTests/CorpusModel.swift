import Foundation
import StrataCore

/// Codable model of the InfluxData line-protocol conformance corpus (`schema.cue`).
struct Corpus: Decodable {
    var decode: [String: DecodeCase]
    var encode: [String: EncodeCase]

    struct DecodeCase: Decodable {
        var input: DecodeInput
        var output: Output<[CorpusPoint]>
    }

    struct EncodeCase: Decodable {
        var input: EncodeInput
        var output: Output<StringOrBinary>
    }

    struct DecodeInput: Decodable {
        var text: StringOrBinary
        var defaultTime: Int64
        var precision: String
    }

    struct EncodeInput: Decodable {
        var point: CorpusPoint
        var precision: String
    }

    /// Either `{result: …}` or `{error: "…"}`.
    enum Output<Result: Decodable>: Decodable {
        case result(Result)
        case error(String)

        private enum Keys: String, CodingKey { case result, error }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Keys.self)
            if let message = try container.decodeIfPresent(String.self, forKey: .error) {
                self = .error(message)
            } else {
                self = .result(try container.decode(Result.self, forKey: .result))
            }
        }
    }

    /// A string given either as JSON text or as `{binary: base64}`.
    struct StringOrBinary: Decodable {
        var bytes: [UInt8]

        private enum Keys: String, CodingKey { case binary }

        init(from decoder: any Decoder) throws {
            if let text = try? decoder.singleValueContainer().decode(String.self) {
                bytes = Array(text.utf8)
            } else {
                let base64 = try decoder.container(keyedBy: Keys.self).decode(String.self, forKey: .binary)
                bytes = Array(Data(base64Encoded: base64)!)
            }
        }

        var string: String { String(decoding: bytes, as: UTF8.self) }
    }

    struct CorpusPoint: Decodable {
        var time: Int64
        var name: StringOrBinary
        var tags: [CorpusTag]
        var fields: [CorpusField]
    }

    struct CorpusTag: Decodable {
        var key: StringOrBinary
        var value: StringOrBinary
    }

    struct CorpusField: Decodable {
        var key: StringOrBinary
        var value: CorpusValue
    }

    /// A typed field value; integers are decoded exactly (no trip through `Double`).
    enum CorpusValue: Decodable {
        case int(Int64), uint(UInt64), float(Double), bool(Bool), string(String), binary([UInt8]), nonNumber(String)

        private enum Keys: String, CodingKey { case int, uint, float, bool, string, binary, floatNonNumber }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Keys.self)
            if let value = try container.decodeIfPresent(Int64.self, forKey: .int) {
                self = .int(value)
            } else if let value = try container.decodeIfPresent(UInt64.self, forKey: .uint) {
                self = .uint(value)
            } else if let value = try container.decodeIfPresent(Double.self, forKey: .float) {
                self = .float(value)
            } else if let value = try container.decodeIfPresent(Bool.self, forKey: .bool) {
                self = .bool(value)
            } else if let value = try container.decodeIfPresent(String.self, forKey: .string) {
                self = .string(value)
            } else if let value = try container.decodeIfPresent(String.self, forKey: .binary) {
                self = .binary(Array(Data(base64Encoded: value)!))
            } else {
                self = .nonNumber(try container.decode(String.self, forKey: .floatNonNumber))
            }
        }
    }
}

/// Finds the corpus: `$STRATA_LP_CORPUS`, else `../shared/line-protocol-corpus/corpus.json` next to the
/// package root.
enum CorpusLocator {
    static var url: URL? {
        if let path = ProcessInfo.processInfo.environment["STRATA_LP_CORPUS"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        // Tests/LineProtocolTests/CorpusModel.swift → package root is three levels up.
        let packageRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return packageRoot.deletingLastPathComponent()
            .appendingPathComponent("shared/line-protocol-corpus/corpus.json")
    }

    static var isAvailable: Bool {
        guard let url else { return false }
        return FileManager.default.fileExists(atPath: url.path)
    }

    static func load() throws -> Corpus {
        let data = try Data(contentsOf: url!)
        return try JSONDecoder().decode(Corpus.self, from: data)
    }
}
