import StrataCore

/// The quantiles of the accuracy targets.
let targetQuantiles = [0.5, 0.9, 0.95, 0.99, 0.999]

/// Maximum rank error at `targetQuantiles` for one digest of ≥ 100k values (engine targets).
let singleDigestTargets = [7e-4, 1e-3, 5e-4, 3e-4, 4e-4]

/// Maximum rank error at `targetQuantiles` for a daily digest merged from 1,440 minute digests.
let dailyDigestTargets = [8e-4, 8e-4, 4e-4, 4e-4, 2e-4]

/// The rank errors of `digest` at `quantiles` against the exact `data`.
func rankErrors(of digest: TDigest, in data: [Double], at quantiles: [Double] = targetQuantiles) -> [Double] {
    RankError.of(quantiles.map { ($0, digest.quantile($0)) }, in: data)
}

/// One day of per-minute digests: 1,440 minutes × 3,472 lognormal latencies = 4,999,680 values
/// (the largest test; built once and shared by the tests that need it).
struct DailyFixture: Sendable {
    static let valuesPerMinute = 3_472
    static let shared = DailyFixture(distribution: .lognormal)

    let values: [Double]
    let minutes: [TDigest]

    init(distribution: Distribution) {
        var values: [Double] = []
        values.reserveCapacity(1_440 * DailyFixture.valuesPerMinute)
        var minutes: [TDigest] = []
        minutes.reserveCapacity(1_440)
        for minute in 0..<1_440 {
            var digest = TDigest()
            let start = values.count
            values.append(contentsOf: distribution.samples(DailyFixture.valuesPerMinute, seed: 10_000 + UInt64(minute)))
            for value in values[start...] { digest.add(value) }
            digest.compress()
            minutes.append(digest)
        }
        self.values = values
        self.minutes = minutes
    }

    /// The engine's roll-up path: 5 minutes → 5m, 12 × 5m → 1h, 24 × 1h → 1d.
    func hierarchicalDaily() -> TDigest {
        let fives = stride(from: 0, to: 1_440, by: 5).map { TDigest.merging(minutes[$0..<($0 + 5)]) }
        let hours = stride(from: 0, to: 288, by: 12).map { TDigest.merging(fives[$0..<($0 + 12)]) }
        return TDigest.merging(hours)
    }
}
