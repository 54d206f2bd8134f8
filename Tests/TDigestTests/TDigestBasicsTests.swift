import Testing
import StrataCore

/// Contracts of the public API on small, hand-checked inputs.
@Suite struct TDigestBasicsTests {
    @Test func emptyDigest() {
        let digest = TDigest()
        #expect(digest.isEmpty)
        #expect(digest.count == 0)
        #expect(digest.min.isNaN)
        #expect(digest.max.isNaN)
        #expect(digest.sum == 0)
        #expect(digest.quantile(0.5).isNaN)
        #expect(digest.cdf(1).isNaN)
        #expect(digest.centroids.isEmpty)
        #expect(digest.isExact)
        #expect(digest.compression == TDigest.defaultCompression)
    }

    @Test func singleValue() {
        var digest = TDigest()
        digest.add(42.5)
        #expect(digest.count == 1)
        #expect(digest.min == 42.5)
        #expect(digest.max == 42.5)
        #expect(digest.sum == 42.5)
        for q in [0, 0.001, 0.5, 0.999, 1.0] { #expect(digest.quantile(q) == 42.5) }
        #expect(digest.cdf(42.4) == 0)
        #expect(digest.cdf(42.5) == 1)
        #expect(digest.centroids == [Centroid(mean: 42.5, weight: 1)])
    }

    @Test func nonFiniteValuesAndZeroWeightsAreIgnored() {
        var digest = TDigest()
        digest.add(.nan)
        digest.add(.infinity)
        digest.add(-.infinity)
        digest.add(3, weight: 0)
        #expect(digest.isEmpty)
        digest.add(3)
        digest.add(.nan, weight: 5)
        #expect(digest.count == 1)
        #expect(digest == { var d = TDigest(); d.add(3); return d }())
    }

    @Test func weightedAddEqualsRepeatedAdds() {
        var weighted = TDigest()
        var repeated = TDigest()
        for (value, weight) in [(5.0, UInt64(3)), (1.0, 2), (9.5, 1), (5.0, 4)] {
            weighted.add(value, weight: weight)
            for _ in 0..<weight { repeated.add(value) }
        }
        #expect(weighted == repeated)
        #expect(weighted.count == 10)
        #expect(weighted.centroids == [Centroid(mean: 1, weight: 2), Centroid(mean: 5, weight: 7), Centroid(mean: 9.5, weight: 1)])
        #expect(weighted.sum == 46.5)
    }

    /// While at most `exactCapacity` distinct values were seen, quantiles are exact lower quantiles.
    @Test(arguments: [(0.0, 1.0), (0.01, 1.0), (0.011, 2.0), (0.5, 50.0), (0.505, 51.0), (0.99, 99.0), (0.995, 100.0), (1.0, 100.0)])
    func exactDigestQuantiles(q: Double, expected: Double) {
        var digest = TDigest()
        var rng = SplitMix64(seed: 1)
        for value in (1...100).map(Double.init).shuffled(using: &rng) { digest.add(value) }
        #expect(digest.isExact)
        #expect(digest.quantile(q) == expected)
    }

    @Test func exactDigestCDF() {
        var digest = TDigest()
        for value in [1.0, 2, 2, 3, 10] { digest.add(value) }
        #expect(digest.cdf(0.5) == 0)
        #expect(digest.cdf(1) == 0.2)
        #expect(digest.cdf(2) == 0.6)
        #expect(digest.cdf(2.5) == 0.6)
        #expect(digest.cdf(9.99) == 0.8)
        #expect(digest.cdf(10) == 1)
    }

    @Test func becomesLossyBeyondExactCapacity() {
        var digest = TDigest()
        for i in 0..<digest.exactCapacity { digest.add(Double(i)) }
        digest.compress()
        #expect(digest.isExact)
        #expect(digest.centroids.count == digest.exactCapacity)
        digest.add(-1)
        digest.compress()
        #expect(!digest.isExact)
        #expect(digest.centroids.count <= digest.exactCapacity)
        #expect(digest.min == -1)
        #expect(digest.max == Double(digest.exactCapacity - 1))
        #expect(digest.count == UInt64(digest.exactCapacity + 1))
    }

    @Test(arguments: Distribution.allCases)
    func quantileIsMonotoneAndHitsMinMax(distribution: Distribution) {
        var digest = TDigest()
        let data = distribution.samples(30_000, seed: 11)
        for value in data { digest.add(value) }
        digest.compress()
        #expect(digest.quantile(0) == data.min())
        #expect(digest.quantile(1) == data.max())
        #expect(digest.min == data.min())
        #expect(digest.max == data.max())
        var previous = -Double.infinity
        var previousCDF = 0.0
        for step in 0...2000 {
            let q = Double(step) / 2000
            let x = digest.quantile(q)
            #expect(x >= previous, "quantile(\(q)) = \(x) < \(previous)")
            previous = x
            let p = digest.cdf(x)
            #expect((0...1).contains(p))
            #expect(p >= previousCDF, "cdf(\(x)) = \(p) < \(previousCDF)")
            previousCDF = p
        }
        let means = digest.centroids.map(\.mean)
        #expect(zip(means, means.dropFirst()).allSatisfy { $0 < $1 })
    }

    /// cdf(quantile(q)) ≈ q on continuous data (the interpolations are inverse to each other).
    @Test(arguments: [Distribution.lognormal, .uniform, .pareto, .bimodal])
    func cdfInvertsQuantile(distribution: Distribution) {
        var digest = TDigest()
        for value in distribution.samples(30_000, seed: 12) { digest.add(value) }
        for q in [0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999] {
            let roundTrip = digest.cdf(digest.quantile(q))
            #expect(abs(roundTrip - q) <= 2e-3, "q \(q): cdf(quantile(q)) = \(roundTrip)")
        }
        #expect(digest.cdf(digest.min - 1) == 0)
        #expect(digest.cdf(digest.max) == 1)
    }

    @Test func mergeKeepsExactStatistics() {
        var a = TDigest()
        var b = TDigest()
        for value in Distribution.lognormal.samples(5_000, seed: 3) { a.add(value) }
        for value in Distribution.pareto.samples(7_000, seed: 4) { b.add(value) }
        var merged = a
        merged.merge(b)
        merged.merge(TDigest())
        #expect(merged.count == 12_000)
        #expect(merged.min == Swift.min(a.min, b.min))
        #expect(merged.max == Swift.max(a.max, b.max))
        #expect(abs(merged.sum - (a.sum + b.sum)) <= 1e-9 * abs(a.sum + b.sum))
        let kWay = TDigest.merging([a, TDigest(), b])
        #expect(kWay.count == 12_000)
        #expect(kWay.min == merged.min && kWay.max == merged.max)
        #expect(TDigest.merging([TDigest]()).isEmpty)
    }

    @Test func bufferedDigestEqualsItsCompressedCopy() {
        var digest = TDigest()
        for value in Distribution.uniform.samples(1_234, seed: 5) { digest.add(value) }
        #expect(digest.hasBufferedValues)
        let compressed = digest.compressed()
        #expect(!compressed.hasBufferedValues)
        #expect(digest == compressed)
        #expect(digest.quantile(0.3) == compressed.quantile(0.3))
    }

    @Test func inlineFootprintIsSmall() {
        // Inline part of every digest; an empty digest allocates nothing beyond it.
        #expect(MemoryLayout<TDigest>.size <= 64)
    }

    @Test func customCompressionBoundsCentroids() {
        var digest = TDigest(compression: 50)
        for value in Distribution.lognormal.samples(50_000, seed: 6) { digest.add(value) }
        digest.compress()
        #expect(digest.compression == 50)
        #expect(digest.centroids.count <= 50)
        #expect(digest.centroids.count >= 10)
    }

    /// Adding a run of values at once gives exactly the digest of adding them one by one, across buffer
    /// merges and with non-finite values in the run.
    @Test func addContentsOfEqualsOneByOne() {
        var values = Distribution.lognormal.samples(5_000, seed: 9)
        values[17] = .nan
        values[2_000] = .infinity
        var oneByOne = TDigest()
        for value in values { oneByOne.add(value) }
        var inRuns = TDigest()
        var start = 0
        for length in [1, 3, 200, 1_500, 3_296] {
            values[start..<(start + length)].withUnsafeBufferPointer { inRuns.add(contentsOf: $0) }
            start += length
        }
        #expect(start == values.count)
        #expect(inRuns == oneByOne)
        #expect(inRuns.count == 4_998 && inRuns.centroids == oneByOne.centroids)
    }
}
