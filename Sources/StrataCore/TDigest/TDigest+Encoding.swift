import StrataIO

/// The binary format of Formats/tdigest.md (version 1): a standalone form with magic, version and
/// CRC32C, and an embedded body for use inside already-checksummed blocks.
extension TDigest {
    /// The standalone magic, "STDG" (Strata T-DiGest), read as a little-endian `UInt32`.
    public static let magic: UInt32 = 0x4744_5453
    /// The format version this build writes and reads.
    public static let formatVersion: UInt8 = 1

    /// Flag bits of the body's first byte.
    enum BodyFlag {
        /// The centroids are the exact distinct values (``isExact``); min and max are implied.
        static let lossless: UInt8 = 0x01
        /// Every weight is 1; the weights are omitted.
        static let unitWeights: UInt8 = 0x02
        /// The sum is stored (it differs from the sum recomputed from the centroids).
        static let sumStored: UInt8 = 0x04
        /// The compression is stored (it is not ``defaultCompression``).
        static let compressionStored: UInt8 = 0x08
        /// Bits a version-1 reader understands; any other bit set is an error.
        static let known: UInt8 = 0x0F
    }

    /// The standalone encoding: magic, version, body, CRC32C (Formats/tdigest.md). Buffered values
    /// are merged first (into a copy); decoding yields a digest equal to this one.
    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: 32 + 12 * storage.count)
        writer.writeUInt32(TDigest.magic)
        writer.writeUInt8(TDigest.formatVersion)
        encodeBody(into: &writer)
        writer.writeChecksum(from: 0)
        return writer.bytes
    }

    /// Decodes the standalone encoding: checks magic, version (only 1 is read; anything else
    /// throws ``FormatError/unsupportedVersion(offset:found:supported:)`` without reading on),
    /// the CRC32C, then the body, which must end exactly at the checksum.
    public init(decoding bytes: [UInt8]) throws(FormatError) {
        var reader = ByteReader(bytes: bytes)
        let magic = try reader.readUInt32()
        guard magic == TDigest.magic else {
            throw FormatError.badMagic(offset: 0, found: UInt64(magic), expected: UInt64(TDigest.magic))
        }
        let version = try reader.readUInt8()
        guard version == TDigest.formatVersion else {
            throw FormatError.unsupportedVersion(offset: 4, found: version, supported: TDigest.formatVersion)
        }
        let bodyStart = reader.offset
        guard reader.remaining >= 5 else {
            throw FormatError.truncated(offset: bodyStart, needed: 5, available: reader.remaining)
        }
        let bodyEnd = reader.end - 4
        var checksumReader = try reader.reader(at: bodyEnd..<reader.end)
        try checksumReader.verifyChecksum(of: 0..<bodyEnd)
        var body = try reader.reader(at: bodyStart..<bodyEnd)
        try self.init(decodingBody: &body)
        guard body.isAtEnd else {
            throw FormatError.invalidValue(offset: body.offset, reason: "\(body.remaining) bytes after the t-digest body")
        }
    }

    /// Appends the embedded form (the body alone: no magic, version or checksum) for use inside a
    /// block that is already versioned and checksummed. Buffered values are merged first.
    public func encodeBody(into writer: inout ByteWriter) {
        let view = mergedView()
        let c = view.storage
        var flags: UInt8 = 0
        if view.lossless { flags |= BodyFlag.lossless }
        let unitWeights = c.allSatisfy { $0.weight == 1 }
        if unitWeights { flags |= BodyFlag.unitWeights }
        let storeSum = TDigest.recomputedSum(c).bitPattern != sum.bitPattern
        if storeSum { flags |= BodyFlag.sumStored }
        let storeCompression = compression != TDigest.defaultCompression
        if storeCompression { flags |= BodyFlag.compressionStored }

        writer.writeUInt8(flags)
        if storeCompression { writer.writeDouble(compression) }
        writer.writeUVarint(UInt64(c.count))
        guard let first = c.first else { return }
        writer.writeDouble(first.mean)
        if c.count > 1 {
            var shift = 63
            for i in 1..<c.count {
                let delta = orderedKey(c[i].mean) &- orderedKey(c[i - 1].mean)
                shift = Swift.min(shift, delta.trailingZeroBitCount)
            }
            writer.writeUInt8(UInt8(shift))
            for i in 1..<c.count {
                writer.writeUVarint((orderedKey(c[i].mean) &- orderedKey(c[i - 1].mean)) >> UInt64(shift))
            }
        }
        if !unitWeights {
            for centroid in c { writer.writeUVarint(centroid.weight) }
        }
        if !view.lossless {
            writer.writeDouble(minimum)
            writer.writeDouble(maximum)
        }
        if storeSum { writer.writeDouble(sum) }
    }

    /// Decodes the embedded form written by ``encodeBody(into:)``, leaving `reader` just past it.
    /// Every field is validated (finite, strictly increasing means; weights ≥ 1; count < 2^64;
    /// min ≤ first mean, max ≥ last mean; compression in range); violations throw, never trap.
    public init(decodingBody reader: inout ByteReader) throws(FormatError) {
        let flagsOffset = reader.offset
        let flags = try reader.readUInt8()
        guard flags & ~BodyFlag.known == 0 else {
            throw FormatError.invalidValue(offset: flagsOffset, reason: "unknown t-digest flags 0x\(String(flags, radix: 16))")
        }
        var compression = TDigest.defaultCompression
        if flags & BodyFlag.compressionStored != 0 {
            let at = reader.offset
            compression = try reader.readDouble()
            guard TDigest.compressionRange.contains(compression) else {
                throw FormatError.invalidValue(offset: at, reason: "t-digest compression \(compression) outside \(TDigest.compressionRange)")
            }
        }
        self.init(compression: compression)
        let lossless = flags & BodyFlag.lossless != 0
        let countOffset = reader.offset
        let n = try reader.readLength(limit: reader.remaining)
        if lossless && n > exactCapacity {
            throw FormatError.invalidValue(offset: countOffset, reason: "exact t-digest with \(n) centroids exceeds \(exactCapacity)")
        }
        if n == 0 {
            guard lossless, flags & BodyFlag.sumStored == 0 else {
                throw FormatError.invalidValue(offset: flagsOffset, reason: "empty t-digest with flags 0x\(String(flags, radix: 16))")
            }
            return
        }
        var centroids: [Centroid] = []
        centroids.reserveCapacity(n)
        let firstOffset = reader.offset
        let firstMean = try reader.readDouble()
        guard firstMean.isFinite else {
            throw FormatError.invalidValue(offset: firstOffset, reason: "non-finite centroid mean")
        }
        centroids.append(Centroid(mean: firstMean, weight: 1))
        if n > 1 {
            let shiftOffset = reader.offset
            let shift = try reader.readUInt8()
            guard shift <= 63 else {
                throw FormatError.invalidValue(offset: shiftOffset, reason: "delta shift \(shift) exceeds 63")
            }
            var key = orderedKey(firstMean)
            for _ in 1..<n {
                let at = reader.offset
                let delta = try reader.readUVarint()
                guard delta > 0, delta <= UInt64.max >> UInt64(shift) else {
                    throw FormatError.invalidValue(offset: at, reason: "centroid mean delta \(delta) out of range")
                }
                let (next, overflow) = key.addingReportingOverflow(delta << UInt64(shift))
                let mean = doubleFromOrderedKey(next)
                guard !overflow, mean.isFinite, mean > centroids[centroids.count - 1].mean else {
                    throw FormatError.invalidValue(offset: at, reason: "centroid means must be finite and strictly increasing")
                }
                key = next
                centroids.append(Centroid(mean: mean, weight: 1))
            }
        }
        var total = UInt64(n)
        if flags & BodyFlag.unitWeights == 0 {
            total = 0
            for i in 0..<n {
                let at = reader.offset
                let weight = try reader.readUVarint()
                let (newTotal, overflow) = total.addingReportingOverflow(weight)
                guard weight > 0, !overflow else {
                    throw FormatError.invalidValue(offset: at, reason: weight == 0 ? "zero centroid weight" : "total weight overflows 64 bits")
                }
                total = newTotal
                centroids[i].weight = weight
            }
        }
        var minimum = centroids[0].mean
        var maximum = centroids[n - 1].mean
        if !lossless {
            let at = reader.offset
            minimum = try reader.readDouble()
            maximum = try reader.readDouble()
            guard minimum.isFinite, maximum.isFinite, minimum <= centroids[0].mean, maximum >= centroids[n - 1].mean else {
                throw FormatError.invalidValue(offset: at, reason: "min/max inconsistent with the centroids")
            }
        }
        var sum = TDigest.recomputedSum(centroids)
        if flags & BodyFlag.sumStored != 0 {
            let at = reader.offset
            sum = try reader.readDouble()
            guard !sum.isNaN else { throw FormatError.invalidValue(offset: at, reason: "sum is NaN") }
        }
        self.totalWeight = total
        self.valueSum = sum
        self.minimum = minimum
        self.maximum = maximum
        self.lossless = lossless
        self.storage = centroids
        self.mergedCount = Int32(n)
    }

    /// The sum a reader recomputes when none is stored: `s = s + Double(weight) × mean` over the
    /// centroids in ascending order, starting from 0, in IEEE-754 double arithmetic.
    static func recomputedSum(_ centroids: [Centroid]) -> Double {
        var s = 0.0
        for c in centroids { s = s + Double(c.weight) * c.mean }
        return s
    }
}

/// Maps a double to a `UInt64` whose unsigned order is the numeric order of finite doubles:
/// non-negative values get the sign bit set, negative values have all bits inverted.
@inlinable
func orderedKey(_ value: Double) -> UInt64 {
    let bits = value.bitPattern
    return bits >> 63 == 0 ? bits | (1 << 63) : ~bits
}

/// The inverse of ``orderedKey(_:)``.
@inlinable
func doubleFromOrderedKey(_ key: UInt64) -> Double {
    Double(bitPattern: key >> 63 == 1 ? key & ~(1 << 63) : ~key)
}
