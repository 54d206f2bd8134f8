import StrataIO

/// The `<dvalue>` encoding of a `Double` in segment columns (spec: `Formats/segment.md` § dvalue):
/// values that are exactly a decimal with at most six fractional digits (API latencies like `41.7`,
/// byte counts, sums of them) take 1–4 bytes; any other value takes 9, bit-exact either way.
///
/// `uvarint(zigzag(m) << 3 | k)` stands for `m / 10^k` (k = 0…6), chosen only when that division gives
/// back the value bit for bit; tag `k = 7` is followed by the raw little-endian IEEE-754 bits.
enum DecimalValue {
    /// Powers of ten exactly representable as doubles.
    static let powers: [Double] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000]
    /// Largest |m| accepted (integers up to 2^53 are exact doubles).
    static let limit = 9_007_199_254_740_992.0

    static func write(_ value: Double, to writer: inout ByteWriter) {
        if value.isFinite, value.bitPattern != (-0.0 as Double).bitPattern {
            for k in 0..<powers.count {
                let m = (value * powers[k]).rounded()
                if abs(m) < limit, m / powers[k] == value {
                    let integer = Int64(m)
                    let zigzag = UInt64(bitPattern: (integer << 1) ^ (integer >> 63))
                    writer.writeUVarint(zigzag << 3 | UInt64(k))
                    return
                }
            }
        }
        writer.writeUVarint(7)
        writer.writeDouble(value)
    }

    static func read(from reader: inout ByteReader) throws(FormatError) -> Double {
        let start = reader.offset
        let word = try reader.readUVarint()
        let k = Int(word & 7)
        if k == 7 {
            guard word == 7 else { throw .invalidValue(offset: start, reason: "raw dvalue tag with payload bits") }
            return try reader.readDouble()
        }
        let zigzag = word >> 3
        let integer = Int64(bitPattern: (zigzag >> 1) ^ (0 &- (zigzag & 1)))
        return Double(integer) / powers[k]
    }
}
