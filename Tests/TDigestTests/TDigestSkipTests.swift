import Testing
import StrataCore
import StrataIO

@Suite struct TDigestSkipTests {
    /// Skipping a body lands exactly where decoding it does, for every kind of body.
    @Test func skipMatchesDecodeForEveryBodyKind() throws {
        var bodies: [TDigest] = [TDigest()]
        var single = TDigest(); single.add(41.7); bodies.append(single)
        var tied = TDigest(); for v in [1.0, 1, 2, 2, 2, 3] { tied.add(v) }; bodies.append(tied)
        var lossy = TDigest(); for i in 0..<5_000 { lossy.add(Double(i % 977) * 0.37) }; bodies.append(lossy)
        var custom = TDigest(compression: 50); for i in 0..<300 { custom.add(Double(i) / 3) }; bodies.append(custom)
        var weighted = TDigest(); weighted.add(5, weight: 7); weighted.add(9.5, weight: 2); bodies.append(weighted)
        var writer = ByteWriter()
        for digest in bodies { digest.encodeBody(into: &writer) }
        var decoding = ByteReader(bytes: writer.bytes)
        var skipping = ByteReader(bytes: writer.bytes)
        for digest in bodies {
            let decoded = try TDigest(decodingBody: &decoding)
            #expect(decoded == digest.compressed())
            try TDigest.skipBody(&skipping)
            #expect(skipping.offset == decoding.offset)
        }
        #expect(skipping.isAtEnd)
        var bad = ByteReader(bytes: [0x80])
        #expect(throws: FormatError.self) { try TDigest.skipBody(&bad) }
    }
}
