import Foundation

/// SplitMix64 (Steele, Lea & Flood): a tiny seeded generator, so every test input is reproducible
/// on every platform.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 random bits.
    mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Uniform in (0, 1].
    mutating func openUnit() -> Double { 1 - unit() }

    /// Standard normal by Box–Muller (the cosine branch only, for simplicity).
    mutating func normal() -> Double {
        sqrt(-2 * log(openUnit())) * cos(2 * Double.pi * unit())
    }
}

/// The distributions of the accuracy tests: latency-like shapes in milliseconds.
enum Distribution: String, CaseIterable, Sendable, CustomStringConvertible {
    /// exp(N(ln 50, 0.8²)): typical API latencies, median 50 ms.
    case lognormal
    /// Uniform on [0, 1000).
    case uniform
    /// Pareto with x_m = 1 ms and α = 1.5: a heavy tail (infinite variance).
    case pareto
    /// 70 % N(20, 3²) (cache hits) and 30 % N(200, 30²) (misses).
    case bimodal
    /// ⌊Exp(mean 8)⌋: integers with heavy ties (about 100 distinct values in 100k).
    case tiedIntegers

    var description: String { rawValue }

    func sample(_ rng: inout SplitMix64) -> Double {
        switch self {
        case .lognormal: return exp(log(50) + 0.8 * rng.normal())
        case .uniform: return 1000 * rng.unit()
        case .pareto: return 1 / pow(rng.openUnit(), 1 / 1.5)
        case .bimodal: return rng.unit() < 0.7 ? 20 + 3 * rng.normal() : 200 + 30 * rng.normal()
        case .tiedIntegers: return (-8 * log(rng.openUnit())).rounded(.down)
        }
    }

    func samples(_ count: Int, seed: UInt64) -> [Double] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in sample(&rng) }
    }
}

/// Rank errors against the exact data: for an estimate `x` of quantile `q`, the distance from `q`
/// to the interval [fraction < x, fraction ≤ x] (zero when `x` is a correct answer, ties included).
enum RankError {
    /// The rank error of each `(q, estimate)` pair, in one pass over `data`.
    static func of(_ estimates: [(q: Double, x: Double)], in data: [Double]) -> [Double] {
        var below = [Int](repeating: 0, count: estimates.count)
        var atOrBelow = [Int](repeating: 0, count: estimates.count)
        let xs = estimates.map(\.x)
        data.withUnsafeBufferPointer { values in
            for j in xs.indices {
                let x = xs[j]
                var lt = 0
                var le = 0
                for v in values {
                    if v < x { lt += 1 }
                    if v <= x { le += 1 }
                }
                below[j] = lt
                atOrBelow[j] = le
            }
        }
        let n = Double(data.count)
        return estimates.indices.map { j in
            let low = Double(below[j]) / n
            let high = Double(atOrBelow[j]) / n
            let q = estimates[j].q
            return q < low ? low - q : (q > high ? q - high : 0)
        }
    }
}
