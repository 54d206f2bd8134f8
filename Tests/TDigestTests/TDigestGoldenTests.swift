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

    @Test func largeGolden() throws {
        let bytes = try Self.golden("tdigest-v1-large")
        let digest = try TDigest(decoding: bytes)
        #expect(digest.count == 20_000)
        #expect(digest.min.bitPattern == 0x4000_B53C_A7E6_8204)
        #expect(digest.max.bitPattern == 0x4098_0976_8D37_4635)
        #expect(digest.sum.bitPattern == 0x4135_0A80_EBEF_FE0B)
        #expect(!digest.isExact)
        let centroids = digest.centroids
        #expect(centroids.count == 146)
        #expect(centroids.reduce(0) { $0 + $1.weight } == 20_000)
        #expect(centroids.prefix(3).map { [$0.mean.bitPattern, $0.weight] } == [[0x4000_B53C_A7E6_8204, 1], [0x4008_B916_809D_95E4, 6], [0x400D_7C61_4FB9_7A77, 7]])
        #expect(centroids.suffix(3).map { [$0.mean.bitPattern, $0.weight] } == [[0x4084_7252_02B4_5E95, 10], [0x408E_0D90_F167_150D, 5], [0x4098_0976_8D37_4635, 1]])
        #expect(centroids.map(\.weight) == [
            1, 6, 7, 16, 19, 14, 17, 21, 22, 34, 43, 49, 54, 60, 70, 71, 50, 82, 71, 85, 98, 103, 108, 109, 107, 110, 120,
            132, 121, 129, 150, 154, 149, 140, 66, 166, 170, 161, 164, 184, 167, 182, 113, 200, 189, 179, 171, 195, 168,
            204, 170, 195, 180, 228, 212, 221, 183, 193, 183, 163, 171, 195, 201, 225, 226, 233, 237, 239, 245, 213, 232,
            201, 248, 217, 230, 231, 250, 249, 249, 232, 220, 217, 210, 177, 229, 208, 216, 202, 169, 192, 195, 197, 213,
            209, 194, 206, 184, 169, 80, 184, 194, 181, 151, 168, 141, 169, 139, 137, 156, 177, 169, 156, 152, 146, 134,
            147, 131, 106, 116, 133, 124, 121, 75, 100, 72, 88, 92, 90, 77, 76, 72, 58, 61, 61, 58, 49, 45, 37, 33, 8, 26,
            18, 16, 10, 5, 1,
        ])
        #expect(digest.encoded() == bytes)
        #expect(bytes.count == 1_304)
    }
}
