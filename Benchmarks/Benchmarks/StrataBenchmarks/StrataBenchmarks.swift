import Benchmark
import Foundation
import Strata
import StrataCore

/// Lines per benchmark iteration.
let linesPerBatch = 100_000

/// 100,000 realistic API-request lines (~140 bytes each), generated once.
let workloadBytes: [UInt8] = {
    var options = APIWorkload.Options()
    options.spacingNanoseconds = 600_000  // 100k requests ≈ 1 minute
    var workload = APIWorkload(options)
    var bytes: [UInt8] = []
    bytes.reserveCapacity(linesPerBatch * 150)
    workload.appendLines(linesPerBatch, to: &bytes)
    return bytes
}()

/// Lognormal latencies (ms) for the t-digest benchmarks.
let latencies: [Double] = {
    var random = SeededRandom(seed: 3)
    return (0..<100_000).map { _ in exp(3.7 + 0.6 * random.nextNormal()) }
}()

/// 1,440 minute digests of ~3,500 values each (a hot series' day).
let minuteDigests: [TDigest] = {
    var random = SeededRandom(seed: 5)
    return (0..<1_440).map { _ in
        var digest = TDigest()
        for _ in 0..<3_472 { digest.add(exp(3.7 + 0.6 * random.nextNormal())) }
        digest.compress()
        return digest
    }
}()

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .cpuTotal, .peakMemoryResident],
        scalingFactor: .one,
        maxDuration: .seconds(5),
        maxIterations: 50
    )

    // Every ingest iteration handles one batch of 100,000 lines: lines/s = 100,000 × iterations/s
    // (the "Throughput (# / s)" row), or 100,000 / wall-clock time per iteration.

    // Parse: bytes → ParsedBatch (no aggregation).
    Benchmark("LineProtocol parse (100k realistic lines)") { benchmark in
        let parser = LineProtocolParser()
        var batch = ParsedBatch()
        let bytes = workloadBytes
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            batch.removeAll()
            parser.parse(bytes, defaultTimestamp: 0, into: &batch)
            blackHole(batch.points.count)
        }
    }

    // Parse + aggregate into 1-minute buckets (the head), one core.
    Benchmark("Head ingest: parse + aggregate (100k realistic lines)") { benchmark in
        let parser = LineProtocolParser()
        var batch = ParsedBatch()
        var aggregator = MinuteAggregator()
        let bytes = workloadBytes
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            batch.removeAll()
            parser.parse(bytes, defaultTimestamp: 0, into: &batch)
            blackHole(aggregator.add(batch, nowSeconds: 1_763_800_000).count)
        }
    }

    // t-digest add: 100,000 lognormal values into one digest per iteration.
    Benchmark("TDigest add (100k values)") { benchmark in
        for _ in benchmark.scaledIterations {
            var digest = TDigest()
            for value in latencies { digest.add(value) }
            digest.compress()
            blackHole(digest.count)
        }
    }

    // t-digest merge: a day's 1,440 minute digests into one daily digest per iteration.
    Benchmark("TDigest merge (1,440 minute digests → 1 daily)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(TDigest.merging(minuteDigests).quantile(0.99))
        }
    }
}
