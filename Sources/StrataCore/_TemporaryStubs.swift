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
