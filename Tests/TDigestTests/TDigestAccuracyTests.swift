import Testing
import StrataCore

/// Rank-error accuracy against exact quantiles of seeded data, at the default compression.
@Suite struct TDigestAccuracyTests {
    @Test(arguments: Distribution.allCases)
    func singleDigestOf100kValues(distribution: Distribution) {
        let data = distribution.samples(100_000, seed: 42)
        var digest = TDigest()
        for value in data { digest.add(value) }
        digest.compress()
        #expect(digest.count == 100_000)
        #expect(digest.min == data.min())
        #expect(digest.max == data.max())
        #expect(digest.centroids.count <= 150)
        let errors = rankErrors(of: digest, in: data)
        for (i, q) in targetQuantiles.enumerated() {
            #expect(errors[i] <= singleDigestTargets[i], "\(distribution) q=\(q): rank error \(errors[i])")
        }
    }

    /// Heavily tied integers: every quantile is an actual data value of the right rank.
    @Test func tiedIntegersAreExactAtEveryQuantile() {
        let data = Distribution.tiedIntegers.samples(100_000, seed: 43)
        var digest = TDigest()
        for value in data { digest.add(value) }
        #expect(digest.isExact)
        let distinct = Set(data)
        let quantiles = (0...1000).map { Double($0) / 1000 }
        let estimates = quantiles.map { ($0, digest.quantile($0)) }
        for (_, x) in estimates { #expect(distinct.contains(x)) }
        let errors = RankError.of(estimates, in: data)
        #expect(errors.allSatisfy { $0 <= 1e-12 }, "max rank error \(errors.max()!)")
        // Also after merging 100 such digests (k-way) and after sequential merges.
        let parts = (0..<100).map { part in
            var d = TDigest()
            for value in data[(part * 1_000)..<((part + 1) * 1_000)] { d.add(value) }
            return d
        }
        var sequential = TDigest()
        for part in parts { sequential.merge(part) }
        for merged in [TDigest.merging(parts), sequential] {
            let mergedErrors = RankError.of(quantiles.map { ($0, merged.quantile($0)) }, in: data)
            #expect(mergedErrors.allSatisfy { $0 <= 1e-12 })
        }
    }

    /// Per-minute digests of hundreds to ~10k values: mean rank error ≤ 1.5e-3, max ≤ 1e-2.
    @Test(arguments: [Distribution.lognormal, .uniform, .pareto, .bimodal], [200, 700, 3_000, 10_000])
    func minuteDigest(distribution: Distribution, size: Int) {
        let quantiles = [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999]
        let data = distribution.samples(size, seed: 500 + UInt64(size))
        var digest = TDigest()
        for value in data { digest.add(value) }
        let errors = rankErrors(of: digest, in: data, at: quantiles)
        let mean = errors.reduce(0, +) / Double(errors.count)
        #expect(mean <= 1.5e-3, "\(distribution) n=\(size): mean rank error \(mean)")
        #expect(errors.max()! <= 1e-2, "\(distribution) n=\(size): max rank error \(errors.max()!)")
    }

    /// 1,440 minute digests (4,999,680 lognormal values) merged into one daily digest.
    @Test func dailyDigestFrom1440MinuteDigests() {
        let fixture = DailyFixture.shared
        let daily = TDigest.merging(fixture.minutes)
        #expect(daily.count == UInt64(fixture.values.count))
        #expect(daily.min == fixture.values.min())
        #expect(daily.max == fixture.values.max())
        #expect(daily.centroids.count <= 150)
        let errors = rankErrors(of: daily, in: fixture.values)
        for (i, q) in targetQuantiles.enumerated() {
            #expect(errors[i] <= dailyDigestTargets[i], "daily q=\(q): rank error \(errors[i])")
        }
        // The engine's 1m → 5m → 1h → 1d roll-up meets the same targets.
        let rolledUp = fixture.hierarchicalDaily()
        #expect(rolledUp.count == daily.count)
        let rolledUpErrors = rankErrors(of: rolledUp, in: fixture.values)
        for (i, q) in targetQuantiles.enumerated() {
            #expect(rolledUpErrors[i] <= dailyDigestTargets[i], "rolled-up q=\(q): rank error \(rolledUpErrors[i])")
        }
    }

    /// The same digests merged in different orders agree: k-way merging is order independent
    /// (identical centroids), and one-by-one merges in forward, reverse and shuffled order each
    /// meet the daily targets.
    @Test func mergeOrderIndependence() {
        let minutes = (0..<1_440).map { minute in
            Distribution.pareto.samples(300, seed: 70_000 + UInt64(minute))
        }
        let data = minutes.flatMap { $0 }
        let digests = minutes.map { values in
            var d = TDigest()
            for value in values { d.add(value) }
            return d
        }
        var rng = SplitMix64(seed: 99)
        let shuffled = digests.shuffled(using: &rng)
        let forward = TDigest.merging(digests)
        let permuted = TDigest.merging(shuffled)
        #expect(forward.centroids == permuted.centroids)
        #expect(forward.count == permuted.count && forward.min == permuted.min && forward.max == permuted.max)

        var estimates: [[Double]] = []
        for order in [digests, Array(digests.reversed()), shuffled] {
            var merged = TDigest()
            for digest in order { merged.merge(digest) }
            merged.compress()
            #expect(merged.centroids.count <= 150)
            let errors = rankErrors(of: merged, in: data)
            for (i, q) in targetQuantiles.enumerated() {
                #expect(errors[i] <= dailyDigestTargets[i], "q=\(q): rank error \(errors[i])")
            }
            estimates.append(targetQuantiles.map { merged.cdf(merged.quantile($0)) })
        }
        // Orders agree with each other within the target (in rank space).
        for i in targetQuantiles.indices {
            let ranks = estimates.map { $0[i] }
            #expect(ranks.max()! - ranks.min()! <= dailyDigestTargets[i])
        }
    }

    /// 10,000 tiny digests of ~20 values merged into one meet the single-digest targets.
    @Test(arguments: [Distribution.lognormal, .bimodal])
    func tenThousandTinyDigests(distribution: Distribution) {
        var rng = SplitMix64(seed: 5_000)
        var data: [Double] = []
        var tiny: [TDigest] = []
        for index in 0..<10_000 {
            let size = 15 + Int(rng.next() % 11)
            let values = distribution.samples(size, seed: 1_000_000 + UInt64(index))
            data.append(contentsOf: values)
            var d = TDigest()
            for value in values { d.add(value) }
            tiny.append(d)
        }
        let kWay = TDigest.merging(tiny)
        var sequential = TDigest()
        for d in tiny { sequential.merge(d) }
        for merged in [kWay, sequential] {
            #expect(merged.count == UInt64(data.count))
            let errors = rankErrors(of: merged, in: data)
            for (i, q) in targetQuantiles.enumerated() {
                #expect(errors[i] <= singleDigestTargets[i], "\(distribution) q=\(q): rank error \(errors[i])")
            }
        }
    }
}
