import Testing
@testable import StrataIO

@Suite struct ByteCodingTests {
    @Test func crc32cCheckValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        // 32 zero bytes: RFC 3720 B.4 test vector.
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
    }

    /// The CRC32 instruction and the tables agree on every length and alignment, and on continued sums.
    @Test func crc32cHardwareMatchesTheTables() {
        #if arch(x86_64)
        #expect(CRC32C.hardwareAvailable, "x86-64 machines of this kind have SSE4.2")
        #endif
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        let bytes = (0..<4_200).map { _ -> UInt8 in
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: seed >> 56)
        }
        bytes.withUnsafeBytes { all in
            for start in 0..<9 {
                for length in [0, 1, 7, 8, 9, 15, 16, 63, 64, 65, 1_000, 4_000] {
                    let slice = UnsafeRawBufferPointer(rebasing: all[start..<(start + length)])
                    #expect(CRC32C.update(0, slice) == CRC32C.updateWithTables(0, slice))
                    #expect(CRC32C.update(0xDEAD_BEEF, slice) == CRC32C.updateWithTables(0xDEAD_BEEF, slice))
                }
            }
            let whole = CRC32C.updateWithTables(0, all)
            let halves = CRC32C.update(CRC32C.update(0, UnsafeRawBufferPointer(rebasing: all[..<1_234])), UnsafeRawBufferPointer(rebasing: all[1_234...]))
            #expect(halves == whole)
        }
        #expect(CRC32C.updateWithTables(0, UnsafeRawBufferPointer(start: nil, count: 0)) == 0)
    }

    @Test func integersAreLittleEndian() throws {
        var w = ByteWriter()
        w.writeUInt16(0x0102)
        w.writeUInt32(0x0304_0506)
        w.writeUInt64(0x0708_090A_0B0C_0D0E)
        w.writeDouble(1.5)
        #expect(w.bytes == [0x02, 0x01, 0x06, 0x05, 0x04, 0x03, 0x0E, 0x0D, 0x0C, 0x0B, 0x0A, 0x09, 0x08, 0x07,
                            0, 0, 0, 0, 0, 0, 0xF8, 0x3F])
        var r = ByteReader(bytes: w.bytes)
        #expect(try r.readUInt16() == 0x0102)
        #expect(try r.readUInt32() == 0x0304_0506)
        #expect(try r.readUInt64() == 0x0708_090A_0B0C_0D0E)
        #expect(try r.readDouble() == 1.5)
        #expect(r.isAtEnd)
    }

    @Test(arguments: [UInt64(0), 1, 127, 128, 300, 16_383, 16_384, UInt64(UInt32.max), UInt64.max])
    func uvarintRoundTrips(value: UInt64) throws {
        var w = ByteWriter()
        w.writeUVarint(value)
        var r = ByteReader(bytes: w.bytes)
        #expect(try r.readUVarint() == value)
        #expect(r.isAtEnd)
    }

    @Test func uvarintBytes() {
        var w = ByteWriter()
        w.writeUVarint(300)
        w.writeVarint(-1)
        w.writeVarint(1)
        w.writeVarint(-64)
        #expect(w.bytes == [0xAC, 0x02, 0x01, 0x02, 0x7F])
    }

    @Test(arguments: [Int64(0), -1, 1, Int64.min, Int64.max, -123_456_789])
    func varintRoundTrips(value: Int64) throws {
        var w = ByteWriter()
        w.writeVarint(value)
        var r = ByteReader(bytes: w.bytes)
        #expect(try r.readVarint() == value)
    }

    @Test func overlongVarintIsRejected() {
        var r = ByteReader(bytes: [UInt8](repeating: 0x81, count: 11))
        #expect(throws: FormatError.invalidVarint(offset: 0)) { try r.readUVarint() }
        var overflow = ByteReader(bytes: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02])
        #expect(throws: FormatError.invalidVarint(offset: 0)) { try overflow.readUVarint() }
    }

    @Test func truncationNamesTheOffset() throws {
        var r = ByteReader(bytes: [1, 2, 3])
        _ = try r.readUInt8()
        #expect(throws: FormatError.truncated(offset: 1, needed: 4, available: 2)) { try r.readUInt32() }
        var cut = ByteReader(bytes: [0x80])
        #expect(throws: FormatError.truncated(offset: 1, needed: 1, available: 0)) { try cut.readUVarint() }
    }

    @Test func checksumVerification() throws {
        var w = ByteWriter()
        w.writeBytes([9, 8, 7])
        w.writeChecksum(from: 0)
        var r = ByteReader(bytes: w.bytes)
        try r.skip(3)
        try r.verifyChecksum(of: 0..<3)
        var damaged = w.bytes
        damaged[1] ^= 0x10
        var d = ByteReader(bytes: damaged)
        try d.skip(3)
        #expect(throws: FormatError.self) { try d.verifyChecksum(of: 0..<3) }
    }

    @Test func lz4RoundTripAndDamage() throws {
        let input = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 % 17) }
        let compressed = LZ4.compress(input)
        #expect(compressed.count < input.count / 10)
        #expect(try LZ4.decompress(compressed, originalSize: input.count) == input)
        #expect(throws: FormatError.self) { try LZ4.decompress(compressed, originalSize: input.count + 1) }
        #expect(throws: FormatError.self) { try LZ4.decompress(Array(compressed.prefix(compressed.count / 2)), originalSize: input.count) }
        #expect(LZ4.compress([]) == [])
        #expect(try LZ4.decompress([UInt8](), originalSize: 0) == [])
    }
}
