/// A small, fast, seeded random number generator (SplitMix64): the same seed gives the same sequence on
/// every machine, which makes generated workloads, tests and benchmarks reproducible.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform double in [0, 1).
    public mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// A standard normal deviate (Box–Muller).
    public mutating func nextNormal() -> Double {
        let u1 = max(nextUnit(), 0x1.0p-53)
        let u2 = nextUnit()
        return (-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2)
    }
}

/// Samples ranks 0 ..< n with probability proportional to 1 / (rank + 1)^s (Zipf).
public struct ZipfSampler: Sendable {
    private let cumulative: [Double]

    public init(count: Int, exponent: Double = 1.1) {
        precondition(count > 0, "Zipf needs at least one item")
        var total = 0.0
        var table: [Double] = []
        table.reserveCapacity(count)
        for rank in 0..<count {
            total += 1 / _pow(Double(rank + 1), exponent)
            table.append(total)
        }
        cumulative = table.map { $0 / total }
    }

    /// A rank drawn with Zipf probabilities.
    public func sample(_ random: inout SeededRandom) -> Int {
        let u = random.nextUnit()
        return cumulative.withUnsafeBufferPointer { table in
            var low = 0, high = table.count - 1
            while low < high {
                let mid = (low + high) / 2
                if table[mid] < u { low = mid + 1 } else { high = mid }
            }
            return low
        }
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func _log(_ x: Double) -> Double { Glibc.log(x) }
@inline(__always) func _cos(_ x: Double) -> Double { Glibc.cos(x) }
@inline(__always) func _pow(_ x: Double, _ y: Double) -> Double { Glibc.pow(x, y) }
@inline(__always) func _exp(_ x: Double) -> Double { Glibc.exp(x) }
@inline(__always) func _sin(_ x: Double) -> Double { Glibc.sin(x) }
#else
import Darwin
@inline(__always) func _log(_ x: Double) -> Double { Darwin.log(x) }
@inline(__always) func _cos(_ x: Double) -> Double { Darwin.cos(x) }
@inline(__always) func _pow(_ x: Double, _ y: Double) -> Double { Darwin.pow(x, y) }
@inline(__always) func _exp(_ x: Double) -> Double { Darwin.exp(x) }
@inline(__always) func _sin(_ x: Double) -> Double { Darwin.sin(x) }
#endif
