import Foundation
import Testing
import StrataCore

/// Golden files of format version 1 (Tests/TDigestTests/Golden). They were written by
/// `writeGoldenFiles()` below (run with `STRATA_WRITE_GOLDEN=1 swift test --filter writeGoldenFiles`)
/// from these fixed seeded inputs:
///
/// ```swift
/// // tdigest-v1-small.bin: 12 integer-millisecond lognormal latencies plus one weighted value.
/// var rng = SplitMix64(seed: 2026)
/// var small = TDigest()
/// for _ in 0..<12 { small.add(Distribution.lognormal.sample(&rng).rounded()) }
/// small.add(7.25, weight: 3)
///
/// // tdigest-v1-large.bin: 20,000 lognormal latencies (a compressed, lossy digest).
/// var large = TDigest()
/// for value in Distribution.lognormal.samples(20_000, seed: 2027) { large.add(value) }
/// ```
///
/// The tests decode the committed bytes to exact expected values and re-encode them to identical
/// bytes; they never regenerate the files, so a format change cannot silently pass.
@Suite struct TDigestGoldenTests {
    static func smallInput() -> TDigest {
        var rng = SplitMix64(seed: 2026)
        var small = TDigest()
        for _ in 0..<12 { small.add(Distribution.lognormal.sample(&rng).rounded()) }
        small.add(7.25, weight: 3)
        return small
    }

    static func largeInput() -> TDigest {
        var large = TDigest()
        for value in Distribution.lognormal.samples(20_000, seed: 2027) { large.add(value) }
        return large
    }

    static func golden(_ name: String) throws -> [UInt8] {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "bin", subdirectory: "Golden"))
        return Array(try Data(contentsOf: url))
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["STRATA_WRITE_GOLDEN"] != nil))
    func writeGoldenFiles() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
        try Data(Self.smallInput().encoded()).write(to: directory.appendingPathComponent("tdigest-v1-small.bin"))
        try Data(Self.largeInput().encoded()).write(to: directory.appendingPathComponent("tdigest-v1-large.bin"))
    }

    /// The small file byte for byte (see the annotated dump in Formats/tdigest.md).
    static let smallBytes: [UInt8] = [
        0x53, 0x54, 0x44, 0x47, 0x01, 0x01, 0x0D, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1D, 0x40, 0x2E,
        0x24, 0x34, 0x08, 0x14, 0x28, 0x02, 0x06, 0x16, 0x2C, 0x04, 0x03, 0x04, 0x03, 0x01, 0x01, 0x01,
        0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x68, 0xC6, 0x93, 0xC7,
    ]

    @Test func smallGolden() throws {
        let bytes = try Self.golden("tdigest-v1-small")
        let digest = try TDigest(decoding: bytes)
        #expect(digest.count == 15)
        #expect(digest.min == 7.25)
        #expect(digest.max == 101)
        #expect(digest.sum == 660.75)
        #expect(digest.isExact)
        #expect(digest.compression == TDigest.defaultCompression)
        #expect(digest.centroids == [
            Centroid(mean: 7.25, weight: 3), Centroid(mean: 11, weight: 1), Centroid(mean: 19, weight: 1),
            Centroid(mean: 21, weight: 1), Centroid(mean: 26, weight: 1), Centroid(mean: 40, weight: 1),
            Centroid(mean: 41, weight: 1), Centroid(mean: 44, weight: 1), Centroid(mean: 55, weight: 1),
            Centroid(mean: 90, weight: 1), Centroid(mean: 94, weight: 1), Centroid(mean: 97, weight: 1),
            Centroid(mean: 101, weight: 1),
        ])
        #expect(digest.encoded() == bytes)
        #expect(bytes == Self.smallBytes)
    }

    /// The small input is integer-valued, so it does not depend on the platform's `exp`/`log`:
    /// encoding it again must reproduce the committed file exactly.
    @Test func smallGoldenMatchesItsInput() throws {
        #expect(Self.smallInput().encoded() == (try Self.golden("tdigest-v1-small")))
    }

    @Test func largeGolden() throws {
        let bytes = try Self.golden("tdigest-v1-large")
        let digest = try TDigest(decoding: bytes)
        #expect(digest.count == 20_000)
        #expect(digest.min.bitPattern == 0x4000_B53C_A7E6_8204)
        #expect(digest.max.bitPattern == 0x4098_0976_8D37_4635)
        #expect(digest.sum.bitPattern == 0x4135_0A80_EBEF_FE0B)
        #expect(!digest.isExact)
        let centroids = digest.centroids
        #expect(centroids.count == 147)
        #expect(centroids.reduce(0) { $0 + $1.weight } == 20_000)
        #expect(centroids.prefix(3).map { [$0.mean.bitPattern, $0.weight] } == [[0x4000_B53C_A7E6_8204, 1], [0x4007_8316_0152_BCA6, 3], [0x400B_1B58_3F94_B461, 7]])
        #expect(centroids.suffix(3).map { [$0.mean.bitPattern, $0.weight] } == [[0x4083_F8C5_27CD_8F28, 10], [0x408C_B80D_6E32_3AEE, 6], [0x4098_0976_8D37_4635, 1]])
        #expect(centroids.map(\.weight) == [
            1, 3, 7, 10, 14, 20, 21, 23, 36, 40, 43, 49, 54, 16, 61, 68, 57, 50, 79, 73, 86, 96, 101, 102, 109, 107,
            127, 131, 126, 124, 134, 112, 146, 148, 147, 154, 166, 174, 155, 150, 108, 159, 178, 127, 162, 166, 179,
            193, 190, 200, 196, 212, 222, 227, 229, 216, 195, 200, 192, 191, 217, 204, 195, 207, 246, 240, 225, 244,
            240, 233, 216, 222, 234, 239, 244, 228, 250, 235, 224, 175, 166, 214, 221, 223, 225, 221, 211, 221, 213,
            225, 206, 195, 205, 223, 222, 202, 188, 184, 172, 166, 163, 163, 170, 174, 146, 124, 160, 167, 169, 171,
            163, 151, 134, 136, 137, 67, 102, 132, 131, 116, 123, 91, 84, 89, 86, 80, 80, 94, 71, 71, 50, 55, 48, 57,
            61, 26, 52, 47, 42, 37, 31, 21, 12, 16, 10, 6, 1,
        ])
        #expect(digest.encoded() == bytes)
        #expect(bytes.count == 1_313)
    }
}
