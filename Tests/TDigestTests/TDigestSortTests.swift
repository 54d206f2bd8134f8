import Testing
@testable import StrataCore

/// `TDigest.sortByMean` (the merge of sorted runs used by every merge pass) must order centroids
/// exactly as the stable standard sort does, ties and signed zeros included, so digests do not
/// depend on which of the two ran.
@Suite struct TDigestSortTests {
    static func sortedByStandardSort(_ centroids: [Centroid]) -> [Centroid] {
        centroids.sorted { $0.mean < $1.mean }
    }

    /// Bit patterns of means and weights, so -0.0 and +0.0 (equal as `Double`s) are told apart.
    static func bits(_ centroids: [Centroid]) -> [[UInt64]] {
        centroids.map { [$0.mean.bitPattern, $0.weight] }
    }

    /// Concatenated sorted runs with many ties across runs (means drawn from 40 values, signed
    /// zeros included) and distinct weights (which record where each centroid came from).
    @Test(arguments: [1, 2, 3, 7, 8, 9, 33, 63, 64, 65, 200])
    func runsMergeLikeTheStableSort(runs: Int) {
        var rng = SplitMix64(seed: UInt64(1_000 + runs))
        var centroids: [Centroid] = []
        for _ in 0..<runs {
            let length = Int(rng.next() % 40)
            var means = (0..<length).map { _ -> Double in
                let v = Double(rng.next() % 40) - 20
                return v == 0 && rng.next() % 2 == 0 ? -0.0 : v
            }
            means.sort()
            for mean in means { centroids.append(Centroid(mean: mean, weight: UInt64(centroids.count + 1))) }
        }
        var merged = centroids
        TDigest.sortByMean(&merged)
        #expect(Self.bits(merged) == Self.bits(Self.sortedByStandardSort(centroids)))
    }

    /// Arbitrary orders (single added values: the fallback to the standard sort) and edge sizes.
    @Test(arguments: [0, 1, 2, 5, 100, 1_150])
    func unsortedInputSortsLikeTheStableSort(count: Int) {
        var rng = SplitMix64(seed: UInt64(2_000 + count))
        let centroids = (0..<count).map { i in Centroid(mean: Double(rng.next() % 97), weight: UInt64(i + 1)) }
        var merged = centroids
        TDigest.sortByMean(&merged)
        #expect(Self.bits(merged) == Self.bits(Self.sortedByStandardSort(centroids)))
    }

    /// The radix sort of unordered buffers: wide magnitudes of both signs, both zeros, many ties and
    /// sizes around the switch from the standard sort, against the stable standard sort bit for bit.
    @Test(arguments: [63, 64, 65, 1_000, 1_150, 20_000])
    func radixSortSortsLikeTheStableSort(count: Int) {
        var rng = SplitMix64(seed: UInt64(3_000 + count))
        let pool: [Double] = [0, -0.0, 1, -1, 0.5, 41.7, -41.7, 1e-300, -1e-300, 5e-324, -5e-324, 1e300, -1e300, .greatestFiniteMagnitude]
        let centroids = (0..<count).map { i -> Centroid in
            let mean: Double
            switch rng.next() % 3 {
            case 0: mean = pool[Int(rng.next() % UInt64(pool.count))]
            case 1: mean = Double(bitPattern: rng.next() & 0x7FEF_FFFF_FFFF_FFFF) * (rng.next() % 2 == 0 ? 1 : -1)
            default: mean = Double(rng.next() % 1_000) / 10
            }
            return Centroid(mean: mean, weight: UInt64(i + 1))
        }
        var radix = centroids
        TDigest.radixSortByMean(&radix)
        #expect(Self.bits(radix) == Self.bits(Self.sortedByStandardSort(centroids)))
        var merged = centroids
        TDigest.sortByMean(&merged)
        #expect(Self.bits(merged) == Self.bits(Self.sortedByStandardSort(centroids)))
    }

    /// A descending input (every centroid its own run) and runs already in order (nothing moves).
    @Test func descendingAndAlreadyOrderedRuns() {
        let descending = (0..<500).map { Centroid(mean: Double(500 - $0), weight: UInt64($0 + 1)) }
        var merged = descending
        TDigest.sortByMean(&merged)
        #expect(merged.map(\.mean) == (1...500).map(Double.init))
        let ordered = (0..<300).map { Centroid(mean: Double($0 / 3), weight: UInt64($0 + 1)) }
        var same = ordered
        TDigest.sortByMean(&same)
        #expect(Self.bits(same) == Self.bits(ordered))
    }
}
