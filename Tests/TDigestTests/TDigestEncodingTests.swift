import Testing
import StrataCore
import StrataIO

/// The v1 binary format (Formats/tdigest.md): round trips, sizes, tampering and random bytes.
@Suite struct TDigestEncodingTests {
    /// Digests covering every flag combination of the body.
    static func samples() -> [(String, TDigest)] {
        var result: [(String, TDigest)] = [("empty", TDigest())]
        var one = TDigest()
        one.add(12.5)
        result.append(("one value", one))
        var signed = TDigest()
        for value in [-0.0, 3, -2.5, 1e300, -1e-300, .leastNonzeroMagnitude, 3, 3] { signed.add(value) }
        result.append(("signed and extreme, ties", signed))
        var weighted = TDigest()
        weighted.add(7, weight: 1 << 40)
        weighted.add(8, weight: 3)
        result.append(("large weights", weighted))
        for (name, distribution, n) in [("lognormal 20", Distribution.lognormal, 20), ("integers 2000", .tiedIntegers, 2_000),
                                        ("lognormal 200", .lognormal, 200), ("pareto 100k", .pareto, 100_000)] {
            var digest = TDigest()
            for value in distribution.samples(n, seed: 77) { digest.add(value) }
            result.append((name, digest))
        }
        var custom = TDigest(compression: 37.5)
        for value in Distribution.bimodal.samples(5_000, seed: 78) { custom.add(value) }
        result.append(("compression 37.5", custom))
        return result
    }

    @Test(arguments: samples())
    func roundTrips(name: String, digest: TDigest) throws {
        let bytes = digest.encoded()
        let decoded = try TDigest(decoding: bytes)
        #expect(decoded == digest, "\(name)")
        #expect(decoded.encoded() == bytes)
        #expect(decoded.count == digest.count)
        #expect(decoded.sum.bitPattern == digest.sum.bitPattern)
        #expect(decoded.isExact == digest.isExact)
        #expect(decoded.compression == digest.compression)
        // Means round-trip bit-exactly.
        #expect(decoded.centroids.map(\.mean.bitPattern) == digest.centroids.map(\.mean.bitPattern))

        // Embedded form: the body alone, read back from the middle of a block.
        var writer = ByteWriter()
        writer.writeUInt8(0xAB)
        digest.encodeBody(into: &writer)
        writer.writeUInt8(0xCD)
        #expect(writer.count == bytes.count - 9 + 2)
        var reader = ByteReader(bytes: writer.bytes)
        #expect(try reader.readUInt8() == 0xAB)
        let embedded = try TDigest(decodingBody: &reader)
        #expect(embedded == digest)
        #expect(try reader.readUInt8() == 0xCD)
        #expect(reader.isAtEnd)
    }

    /// A few values take a few bytes (standalone = body + 9 bytes of magic, version and CRC).
    @Test func smallDigestsAreCompact() {
        var digest = TDigest()
        #expect(digest.encoded().count == 4 + 1 + 2 + 4)  // flags, n = 0
        digest.add(12.5)
        #expect(digest.encoded().count == 4 + 1 + 10 + 4)  // flags, n, mean
        digest.add(13)
        digest.add(20)
        // Integer-valued latencies: deltas of the ordered bit patterns share trailing zeros.
        #expect(digest.encoded().count == 4 + 1 + 13 + 4)  // flags, n, mean, shift, 2 one-byte deltas
        digest.add(13)
        #expect(digest.encoded().count == 4 + 1 + 16 + 4)  // + 3 weights
    }

    static func decodeError(_ bytes: [UInt8]) -> FormatError? {
        do {
            _ = try TDigest(decoding: bytes)
            return nil
        } catch {
            return error
        }
    }

    static func sampleBytes() -> [UInt8] {
        var digest = TDigest()
        for value in Distribution.lognormal.samples(500, seed: 9) { digest.add(value) }
        return digest.encoded()
    }

    @Test func flippedMagicIsRejected() {
        var bytes = Self.sampleBytes()
        bytes[0] ^= 0x01
        #expect(Self.decodeError(bytes) == .badMagic(offset: 0, found: 0x4744_5452, expected: 0x4744_5453))
    }

    @Test(arguments: [UInt8(0), 2, 255])
    func unknownVersionIsRejected(version: UInt8) {
        var bytes = Self.sampleBytes()
        bytes[4] = version
        #expect(Self.decodeError(bytes) == .unsupportedVersion(offset: 4, found: version, supported: 1))
    }

    @Test func everyCutTailIsRejected() {
        let bytes = Self.sampleBytes()
        for length in 0..<bytes.count {
            let error = Self.decodeError(Array(bytes[..<length]))
            #expect(error != nil, "prefix of \(length) bytes decoded")
            if length < 10, let error {
                guard case .truncated = error else {
                    Issue.record("prefix of \(length) bytes: \(error)")
                    continue
                }
            }
        }
        #expect(Self.decodeError(bytes + [0]) != nil)
    }

    @Test func everyChangedByteIsRejected() {
        let bytes = Self.sampleBytes()
        for index in bytes.indices {
            for mask: UInt8 in [0x01, 0x80, 0xFF] {
                var changed = bytes
                changed[index] ^= mask
                let error = Self.decodeError(changed)
                switch error {
                case .checksumMismatch?, .badMagic?, .unsupportedVersion?: break
                default: Issue.record("byte \(index) ^ \(mask): \(String(describing: error))")
                }
            }
        }
    }

    /// Bodies with valid checksums but invalid contents throw clear errors.
    @Test(arguments: [
        ([UInt8(0x10), 0], "unknown t-digest flags"),
        ([0x00, 0], "empty t-digest"),
        ([0x01, 1, 0, 0, 0, 0, 0, 0, 0xF0, 0x7F], "non-finite"),
        ([0x03, 2, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F, 0, 0], "centroid mean delta"),
        ([0x01, 1, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F, 0], "zero centroid weight"),
        ([0x08, 0, 0, 0, 0, 0, 0, 0, 0, 0], "compression"),
    ])
    func invalidBodiesAreRejected(body: [UInt8], reason: String) {
        var writer = ByteWriter()
        writer.writeUInt32(TDigest.magic)
        writer.writeUInt8(1)
        writer.writeBytes(body)
        writer.writeChecksum(from: 0)
        guard case let .invalidValue(_, message)? = Self.decodeError(writer.bytes) else {
            Issue.record("expected invalidValue for \(reason), got \(String(describing: Self.decodeError(writer.bytes)))")
            return
        }
        #expect(message.contains(reason), "\(message)")
    }

    /// Seeded random bytes and random mutations of valid bodies never crash the decoders.
    @Test func randomBytesNeverCrash() {
        var rng = SplitMix64(seed: 0xF022)
        let valid = Self.samples().map { $0.1 }
        var bodies: [[UInt8]] = valid.map { digest in
            var writer = ByteWriter()
            digest.encodeBody(into: &writer)
            return writer.bytes
        }
        bodies.removeLast()  // keep the loop cheap
        var decoded = 0
        for iteration in 0..<20_000 {
            var bytes: [UInt8]
            if iteration % 2 == 0 {
                bytes = (0..<Int(rng.next() % 48)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            } else {
                bytes = bodies[Int(rng.next() % UInt64(bodies.count))]
                for _ in 0..<(1 + Int(rng.next() % 4)) where !bytes.isEmpty {
                    bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
                }
                if rng.next() % 4 == 0 { bytes.removeLast(Int(rng.next() % UInt64(bytes.count + 1))) }
            }
            var reader = ByteReader(bytes: bytes)
            if let digest = try? TDigest(decodingBody: &reader) {
                decoded += 1
                // Whatever decodes is a usable digest.
                _ = digest.quantile(0.5)
                _ = digest.cdf(1)
                #expect(digest.count > 0 || digest.isEmpty)
            }
            _ = Self.decodeError(bytes)
            _ = Self.decodeError(Array([0x53, 0x54, 0x44, 0x47, 0x01] + bytes))
        }
        #expect(decoded > 0)
    }
}
