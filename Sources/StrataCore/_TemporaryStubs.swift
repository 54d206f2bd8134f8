// TEMPORARY compile stubs, removed when the parser and t-digest branches merge.
import StrataIO
public struct TDigest: Sendable, Equatable {
    public static let defaultCompression: Double = 100
    var values: [Double] = []
    public init(compression: Double = 100) {}
    public var count: UInt64 { UInt64(values.count) }
    public var min: Double { values.min() ?? .nan }
    public var max: Double { values.max() ?? .nan }
    public mutating func add(_ value: Double) { values.append(value) }
    public mutating func add(_ value: Double, weight: UInt64) { for _ in 0..<weight { values.append(value) } }
    public mutating func merge(_ other: TDigest) { values += other.values }
    public mutating func compress() { values.sort() }
    public func quantile(_ q: Double) -> Double { let s = values.sorted(); return s.isEmpty ? .nan : s[Int(Double(s.count - 1) * q)] }
    public func encodeBody(into writer: inout ByteWriter) { writer.writeUVarint(UInt64(values.count)); for v in values { writer.writeDouble(v) } }
    public init(decodingBody reader: inout ByteReader) throws(FormatError) { let n = try reader.readLength(limit: 1 << 24); for _ in 0..<n { values.append(try reader.readDouble()) } }
}
public struct Tag: Sendable, Equatable, Hashable { public var key: String; public var value: String; public init(key: String, value: String) { self.key = key; self.value = value } }
public struct ByteRange: Sendable, Equatable { public var start: UInt32; public var count: UInt32 }
public enum FieldKind: UInt8, Sendable { case float, integer, unsigned, boolean, string }
public struct ParsedTag: Sendable { public var key: ByteRange; public var value: ByteRange }
public struct ParsedField: Sendable { public var key: ByteRange; public var kind: FieldKind; public var bits: UInt64; public var string: ByteRange }
public struct ParsedPoint: Sendable { public var measurement: ByteRange; public var tagStart: Int32; public var tagCount: Int32; public var fieldStart: Int32; public var fieldCount: Int32; public var timestamp: Int64; public var line: Int32 }
public struct LineProtocolError: Error, Sendable, Equatable { public var line: Int; public var column: Int }
public enum TimestampPrecision: String, Sendable { case nanoseconds = "ns", microseconds = "us", milliseconds = "ms", seconds = "s" }
public struct ParsedBatch: Sendable {
    public init() {}
    public mutating func removeAll() {}
    public internal(set) var bytes: [UInt8] = []
    public internal(set) var points: [ParsedPoint] = []
    public internal(set) var tags: [ParsedTag] = []
    public internal(set) var fields: [ParsedField] = []
    public internal(set) var errors: [LineProtocolError] = []
    public internal(set) var linesRead = 0
    public func string(_ r: ByteRange) -> String { String(decoding: bytes[Int(r.start)..<Int(r.start + r.count)], as: UTF8.self) }
}
public struct LineProtocolParser: Sendable {
    public init(precision: TimestampPrecision = .nanoseconds, limits: LineProtocolLimits = .default) {}
    public func parse(_ input: [UInt8], defaultTimestamp: Int64, firstLineNumber: Int = 1, into batch: inout ParsedBatch) {}
}
public struct LineProtocolLimits: Sendable { public static let `default` = LineProtocolLimits() }
