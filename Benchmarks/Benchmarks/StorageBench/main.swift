// strata-storage-bench: engine-level storage benchmarks on the realistic API workload — ingest,
// segment write/open/scan, bytes per stored row, rollup throughput, files and bytes per granularity,
// and ingest with and without a concurrent compaction. Prints a Markdown report.
//
// Run (from Benchmarks/): swift run -c release strata-storage-bench [hours] [directory]
import Foundation
import Logging
import Strata
import StrataCore
import Synchronization

final class BenchClock: Sendable {
    private let value = Mutex<Int64>(0)
    var now: Int64 { value.withLock { $0 } }
    func set(_ seconds: Int64) { value.withLock { $0 = seconds } }
}

func seconds(_ start: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
/// This thread's CPU time, ns (other processes on the shared machine skew it less than wall time).
func threadCPUNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}
func fmt(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }
func millions(_ value: Double) -> String { String(format: "%.2fM", value / 1e6) }

let arguments = CommandLine.arguments

// `strata-storage-bench head [rounds] [lines per batch] [lines]`: parse + aggregate only, for profiling
// the ingest hot path: `rounds` passes over the same `lines` (default 100,000) realistic lines, 600 µs
// apart, parsed and aggregated in batches of `lines per batch` (default 5,000, the default batch of the
// InfluxDB client libraries). With 1 round of 3,000,000 lines nearly every line opens a new bucket
// (30 minutes of high-cardinality traffic), as in `Benchmarks/tcp-ingest.sh`.
// Times are this thread's CPU time (not wall time), so other processes on the machine skew them less.
if arguments.count > 1 && arguments[1] == "head" {
    let rounds = arguments.count > 2 ? Int(arguments[2]) ?? 20 : 20
    let linesPerBatch = arguments.count > 3 ? Int(arguments[3]) ?? 5_000 : 5_000
    let distinctLines = arguments.count > 4 ? Int(arguments[4]) ?? 100_000 : 100_000
    var options = APIWorkload.Options()
    options.spacingNanoseconds = 600_000
    var workload = APIWorkload(options)
    var chunks: [[UInt8]] = []
    var produced = 0
    while produced < distinctLines {
        let n = min(linesPerBatch, distinctLines - produced)
        var bytes: [UInt8] = []
        workload.appendLines(n, to: &bytes)
        chunks.append(bytes)
        produced += n
    }
    let parser = LineProtocolParser()
    var batch = ParsedBatch()
    var aggregator = MinuteAggregator()
    var parseSeconds = 0.0, totalSeconds = 0.0
    for _ in 0..<rounds {
        for chunk in chunks {
            let t0 = threadCPUNanoseconds()
            batch.removeAll()
            parser.parse(chunk, defaultTimestamp: 0, into: &batch)
            let t1 = threadCPUNanoseconds()
            _ = aggregator.add(batch, nowSeconds: 1_763_800_000 + 3_600)
            let t2 = threadCPUNanoseconds()
            parseSeconds += Double(t1 - t0) / 1e9
            totalSeconds += Double(t2 - t0) / 1e9
        }
    }
    let lines = Double(rounds * distinctLines)
    print("parse: \(Int(lines / parseSeconds)) lines/s; parse + aggregate: \(Int(lines / totalSeconds)) lines/s (thread CPU time, \(rounds) rounds of \(distinctLines) lines in batches of \(linesPerBatch), \(aggregator.seriesCount) series, \(aggregator.bucketCount) buckets)")
    exit(0)
}
// `strata-storage-bench flush [lines]`: the cost of flushing a high-cardinality head. Writes `lines`
// (default 3,000,000) realistic lines 600 µs apart (30 minutes, nearly a bucket per 3 lines, as in
// `Benchmarks/tcp-ingest.sh`) into an engine, then times `flush(everything: true)`: base rows,
// projection rows and segment encoding. Process CPU time (the flush folds projections on two
// threads) and wall time.
if arguments.count > 1 && arguments[1] == "flush" {
    let lines = arguments.count > 2 ? Int(arguments[2]) ?? 3_000_000 : 3_000_000
    let directory = NSTemporaryDirectory() + "strata-flush-bench-\(getpid())"
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var options = APIWorkload.Options()
    options.spacingNanoseconds = 600_000
    var workload = APIWorkload(options)
    var configuration = EngineConfiguration(dataDirectory: directory)
    configuration.walSyncPolicy = .interval(milliseconds: 1_000)
    let end = (options.startNanoseconds + Int64(lines) * options.spacingNanoseconds) / 1_000_000_000
    configuration.clock = { end + 60 }
    configuration.headFlushBuckets = Int.max
    let engine = try Engine.open(configuration, logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
    var written = 0
    while written < lines {
        var bytes: [UInt8] = []
        let n = min(30_000, lines - written)
        workload.appendLines(n, to: &bytes)
        _ = try engine.write(bytes)
        written += n
    }
    func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
    let buckets = engine.statistics.headBuckets
    let c0 = processCPUSeconds()
    let w0 = now()
    let result = try engine.flush(everything: true)
    let cpu = processCPUSeconds() - c0
    let wall = seconds(w0)
    print("flush: \(buckets) buckets (\(result.bucketRows) rows) of \(lines) lines in \(String(format: "%.2f", cpu)) s CPU = \(String(format: "%.1f", cpu / Double(buckets) * 1e6)) µs per bucket, \(String(format: "%.2f", cpu / Double(lines) * 1e6)) µs per line; \(String(format: "%.2f", wall)) s wall")
    try engine.close()
    exit(0)
}
// `strata-storage-bench digest-add [values]`: adds `values` (default 5,000,000) lognormal values one by
// one to a t-digest: the buffer sorts and merge passes that the head's digest folds and the flush's
// projection merges run. Thread CPU time.
if arguments.count > 1 && arguments[1] == "digest-add" {
    let count = arguments.count > 2 ? Int(arguments[2]) ?? 5_000_000 : 5_000_000
    var random = SeededRandom(seed: 9)
    let values = (0..<count).map { _ in exp(3.7 + 0.6 * random.nextNormal()) }
    let t0 = threadCPUNanoseconds()
    var digest = TDigest()
    for value in values { digest.add(value) }
    digest.compress()
    let cpu = Double(threadCPUNanoseconds() - t0) / 1e9
    print("digest-add: \(count) values in \(String(format: "%.3f", cpu)) s thread CPU = \(String(format: "%.1f", cpu / Double(count) * 1e9)) ns per value (p99 \(String(format: "%.2f", digest.quantile(0.99))))")
    exit(0)
}
let hours = arguments.count > 1 ? Int(arguments[1]) ?? 6 : 6
let root = arguments.count > 2 ? arguments[2] : NSTemporaryDirectory() + "strata-storage-bench-\(getpid())"
let requestsPerDay = 10_000_000
let spacing = Int64(86_400_000_000_000 / requestsPerDay)  // 8.64 ms between requests
let totalLines = hours * requestsPerDay / 24
let quiet = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
var report: [String] = []

/// Generates the workload in batches of 10,000 lines.
func batches(startNanoseconds: Int64, count: Int) -> [(bytes: [UInt8], lastSecond: Int64)] {
    var options = APIWorkload.Options()
    options.startNanoseconds = startNanoseconds
    options.spacingNanoseconds = spacing
    var workload = APIWorkload(options)
    var result: [(bytes: [UInt8], lastSecond: Int64)] = []
    var produced = 0
    while produced < count {
        let n = min(10_000, count - produced)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(n * 150)
        workload.appendLines(n, to: &bytes)
        produced += n
        result.append((bytes, (startNanoseconds + Int64(produced) * spacing) / 1_000_000_000))
    }
    return result
}

func makeEngine(_ directory: String, clock: BenchClock) throws -> Engine {
    var configuration = EngineConfiguration(dataDirectory: directory)
    configuration.walSyncPolicy = .interval(milliseconds: 100)
    configuration.clock = { clock.now }
    for g in Granularity.allCases { configuration.retention.set(g, nil) }
    return try Engine.open(configuration, logger: quiet)
}

/// Ingests `data`, moving the clock with it and flushing every 10 minutes of data time.
func ingest(_ engine: Engine, _ data: [(bytes: [UInt8], lastSecond: Int64)], clock: BenchClock) throws -> (lines: Int, seconds: Double, flushSeconds: Double) {
    var lines = 0
    var flushSeconds = 0.0
    var lastFlush = data.first.map { $0.lastSecond } ?? 0
    let start = now()
    for batch in data {
        clock.set(batch.lastSecond + 5)
        lines += try engine.write(batch.bytes).pointsAccepted
        if batch.lastSecond - lastFlush >= 600 {
            let f = now()
            try engine.flush()
            flushSeconds += seconds(f)
            lastFlush = batch.lastSecond
        }
    }
    return (lines, seconds(start), flushSeconds)
}

let start0: Int64 = 1_763_769_600  // 2025-11-22T00:00:00Z
try? FileManager.default.removeItem(atPath: root)
let clock = BenchClock()
clock.set(start0)
let engine = try makeEngine(root + "/main", clock: clock)
let data = batches(startNanoseconds: start0 * 1_000_000_000, count: totalLines)

// 1. Ingest end to end (parse, WAL append with 100 ms fsync, aggregate, periodic flushes).
let ingested = try ingest(engine, data, clock: clock)
clock.set(clock.now + 600)
let finalFlush = now()
try engine.flush(everything: true)
let flushSeconds = ingested.flushSeconds + seconds(finalFlush)
report.append("| ingest, end to end (parse + WAL + aggregate + flushes), 1 writer | \(millions(Double(ingested.lines) / ingested.seconds)) lines/s |")

// 2. Segment write throughput and bytes per stored row (1m).
let minuteSegments = engine.segments(.minute)
var bucketRows = 0
var fieldRows = 0
var minuteBytes = 0
for segment in minuteSegments {
    bucketRows += try segment.allRows().count
    fieldRows += segment.rowCount
    minuteBytes += segment.byteCount
}
report.append("| segment write (flush: encode + LZ4 + fsync + rename), 1m | \(millions(Double(bucketRows) / flushSeconds)) bucket rows/s (\(millions(Double(fieldRows) / flushSeconds)) field rows/s) |")
report.append("| bytes per stored 1m bucket row (series × minute, 3 fields) | \(fmt(Double(minuteBytes) / Double(bucketRows))) B |")
report.append("| bytes per stored 1m field row (series × minute × field) | \(fmt(Double(minuteBytes) / Double(fieldRows))) B |")
report.append("| 1m bytes per request line | \(fmt(Double(minuteBytes) / Double(ingested.lines), 2)) B |")

// 3. Open time: smallest vs largest segment.
let sorted = minuteSegments.sorted { $0.byteCount < $1.byteCount }
for segment in [sorted.first!, sorted.last!] {
    let n = 2_000
    let t = now()
    for _ in 0..<n { _ = try SegmentReader(path: segment.path) }
    report.append("| open a \(segment.byteCount / 1024) KiB segment (\(segment.rowCount) rows): mmap + header + footer | \(fmt(seconds(t) / Double(n) * 1e6, 1)) µs |")
}

// 4. Scan throughput.
for withDigests in [false, true] {
    let t = now()
    var rows = 0
    for segment in minuteSegments {
        for index in 0..<segment.rowGroupCount { rows += try segment.decodeRowGroup(index, digests: withDigests).rowCount }
    }
    report.append("| scan 1m segments \(withDigests ? "with" : "without") digests | \(millions(Double(rows) / seconds(t))) field rows/s |")
}

// 5. Rollups and merges: advance two days and compact.
clock.set(clock.now + 2 * 86_400)
let compactStart = now()
let pass = try engine.compact()
let compactSeconds = seconds(compactStart)
let stats = engine.compactionStatistics
for from in ["1m", "5m", "1h"] {
    let rows = stats.rollupRowsRead[from] ?? 0
    let s = stats.rollupSeconds[from] ?? 0
    if s > 0 { report.append("| rollup \(from) → coarser | \(millions(Double(rows) / s)) bucket rows/s (\(rows) rows in \(fmt(s, 2)) s) |") }
}
report.append("| whole compaction pass (\(pass.rollups) rollups, \(pass.merges) merges) | \(fmt(compactSeconds, 2)) s |")

// 6. Files and bytes per granularity (scaled to one day of data).
let scale = 24.0 / Double(hours)
var totalBytes = 0
for g in Granularity.allCases {
    let segments = engine.segments(g)
    let bytes = segments.reduce(0) { $0 + $1.byteCount }
    totalBytes += bytes
    report.append("| \(g) after compaction: files / bytes (per day of data) | \(segments.count) files, \(bytes / 1024) KiB (\(fmt(Double(bytes) * scale / 1_048_576, 1)) MiB/day) |")
}
report.append("| all granularities: bytes per request line | \(fmt(Double(totalBytes) / Double(ingested.lines), 2)) B |")

// 7. Ingest with and without a concurrent compaction.
func concurrentRun(compacting: Bool) throws -> Double {
    let clock = BenchClock()
    clock.set(start0)
    let directory = root + (compacting ? "/with" : "/without")
    let engine = try makeEngine(directory, clock: clock)
    let history = batches(startNanoseconds: start0 * 1_000_000_000, count: totalLines)
    _ = try ingest(engine, history, clock: clock)
    let hourLater = (start0 + Int64(hours) * 3_600) * 1_000_000_000
    let more = batches(startNanoseconds: hourLater, count: requestsPerDay / 24)
    clock.set(start0 + Int64(hours) * 3_600)
    let done = Atomic<Bool>(false)
    let compactor = Thread {
        while compacting && !done.load(ordering: .relaxed) {
            _ = try? engine.compact()
        }
    }
    compactor.start()
    let result = try ingest(engine, more, clock: clock)
    done.store(true, ordering: .relaxed)
    return Double(result.lines) / result.seconds
}
let without = try concurrentRun(compacting: false)
let with = try concurrentRun(compacting: true)
report.append("| ingest while idle (1 h of traffic after \(hours) h) | \(millions(without)) lines/s |")
report.append("| ingest during continuous compaction (same) | \(millions(with)) lines/s (\(fmt(100 * with / without, 0)) %) |")

print("Workload: \(totalLines) requests (\(hours) h at \(requestsPerDay / 1_000_000)M requests/day), APIWorkload seed 42 (200 endpoints × 4 methods × 100 keys × 9 statuses, Zipf).")
print("")
print("| measurement | result |")
print("|---|---|")
for line in report { print(line) }
if arguments.count <= 2 { try? FileManager.default.removeItem(atPath: root) }
