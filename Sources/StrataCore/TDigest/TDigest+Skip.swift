import StrataIO

extension TDigest {
    /// Moves `reader` past one embedded-form body (``encodeBody(into:)``) without building the digest:
    /// for column scans that need only some rows' digests. It checks the structure it walks (flags,
    /// lengths) but not the values; a row that is actually used is decoded with
    /// ``init(decodingBody:)``, which validates everything. Spec: `Formats/tdigest.md`.
    public static func skipBody(_ reader: inout ByteReader) throws(FormatError) {
        let flagsOffset = reader.offset
        let flags = try reader.readUInt8()
        guard flags & ~BodyFlag.known == 0 else {
            throw FormatError.invalidValue(offset: flagsOffset, reason: "unknown t-digest flags 0x\(String(flags, radix: 16))")
        }
        if flags & BodyFlag.compressionStored != 0 { try reader.skip(8) }
        let n = try reader.readLength(limit: reader.remaining)
        guard n > 0 else { return }
        try reader.skip(8)
        if n > 1 {
            try reader.skip(1)
            for _ in 1..<n { _ = try reader.readUVarint() }
        }
        if flags & BodyFlag.unitWeights == 0 {
            for _ in 0..<n { _ = try reader.readUVarint() }
        }
        if flags & BodyFlag.lossless == 0 { try reader.skip(16) }
        if flags & BodyFlag.sumStored != 0 { try reader.skip(8) }
    }
}
