import Benchmark
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

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .cpuTotal, .mallocCountTotal, .peakMemoryResident],
        scalingFactor: .one,
        maxDuration: .seconds(5),
        maxIterations: 50
    )

    // Every iteration handles one batch of 100,000 lines: lines/s = 100,000 × iterations/s
    // (the "Throughput (# / s)" row), or 100,000 / wall-clock time per iteration.

    // Parse: bytes → ParsedBatch (no aggregation).
    Benchmark("LineProtocol parse (realistic 140-byte lines)") { benchmark in
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
    Benchmark("Head ingest: parse + aggregate") { benchmark in
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
}
