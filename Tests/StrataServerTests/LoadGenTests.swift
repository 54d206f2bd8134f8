import Foundation
import Strata
import StrataCore
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The built `strata-loadgen` executable (`.build/debug`), or `$STRATA_LOADGEN_BINARY`.
func loadgenBinary() throws -> URL {
    if let path = ProcessInfo.processInfo.environment["STRATA_LOADGEN_BINARY"] { return URL(fileURLWithPath: path) }
    for candidate in [".build/debug/strata-loadgen", ".build/release/strata-loadgen"] {
        let url = packageRoot.appendingPathComponent(candidate)
        if FileManager.default.isExecutableFile(atPath: url.path) { return url }
    }
    throw TestFailure("strata-loadgen binary not found under .build; run `swift build` first")
}

/// Runs `strata-loadgen` with `arguments`; returns its stderr (the report). Fails on a non-zero exit.
@discardableResult
func runLoadgen(_ arguments: [String], timeout: TimeInterval = 120) throws -> String {
    let process = Process()
    process.executableURL = try loadgenBinary()
    process.arguments = arguments
    let errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("loadgen-\(UUID().uuidString).err")
    _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: errorFile) }
    process.standardError = try FileHandle(forWritingTo: errorFile)
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning, Date() < deadline { usleep(20_000) }
    if process.isRunning {
        process.terminate()
        throw TestFailure("strata-loadgen \(arguments) did not finish within \(timeout) s")
    }
    let log = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
    guard process.terminationStatus == 0 else {
        throw TestFailure("strata-loadgen \(arguments) exited \(process.terminationStatus): \(log)")
    }
    return log
}

@Suite("strata-loadgen", .serialized)
struct LoadGenTests {
    /// 2025-11-22T00:00:00Z: a fixed end makes backfill timestamps, and so the bytes, reproducible.
    static let end: Int64 = 1_763_769_600

    func generate(seed: Int, lines: Int = 20_000, extra: [String] = []) throws -> [UInt8] {
        let directory = temporaryDirectory("loadgen")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/out.lp"
        let report = try runLoadgen(["--file", path, "--lines", "\(lines)", "--seed", "\(seed)", "--end", "\(Self.end)"] + extra)
        #expect(report.contains("lines=\(lines) "), "report: \(report)")
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    @Test func fileOutputIsExactDeterministicAndParses() throws {
        let first = try generate(seed: 42)
        let again = try generate(seed: 42)
        let other = try generate(seed: 43)
        #expect(first.filter { $0 == UInt8(ascii: "\n") }.count == 20_000)
        #expect(first == again, "same seed and options must give the same bytes")
        let pregenerated = try generate(seed: 42, extra: ["--pregenerate"])
        #expect(pregenerated == first, "--pregenerate must send exactly the lines generation while sending gives")
        #expect(first != other, "another seed must give other lines")
        #expect(other.filter { $0 == UInt8(ascii: "\n") }.count == 20_000)

        var batch = ParsedBatch()
        LineProtocolParser().parse(first, defaultTimestamp: 0, into: &batch)
        #expect(batch.errors.isEmpty, "\(batch.errors.prefix(3))")
        #expect(batch.points.count == 20_000)

        // Backfill: one day ending at --end, in order, more traffic by day (12:00 UTC) than by night.
        let points = batch.allPoints()
        let day: Int64 = 86_400 * 1_000_000_000
        let endNs = Self.end * 1_000_000_000
        let stamps = points.map { $0.timestamp ?? -1 }
        #expect(stamps.allSatisfy { $0 >= endNs - day && $0 <= endNs })
        #expect(zip(stamps, stamps.dropFirst()).allSatisfy { $0 <= $1 })
        let hour: Int64 = 3_600 * 1_000_000_000
        let noon = stamps.filter { (10 * hour..<14 * hour).contains(($0 - (endNs - day)) % day) }.count
        let night = stamps.filter { let t = ($0 - (endNs - day)) % day; return t < 2 * hour || t >= 22 * hour }.count
        #expect(noon > 3 * night, "diurnal curve: noon \(noon), night \(night)")

        // The default workload shape: every line is an http_request with duration_ms.
        #expect(points.allSatisfy { $0.measurement == "http_request" && $0.fields.contains { $0.key == "duration_ms" } })
    }

    /// `--live --pool N`: the first N lines of the seed go out over and over, each buffer restamped
    /// with the wall clock as it is sent.
    @Test func livePoolRepeatsThePoolRestamped() async throws {
        let directory = temporaryDirectory("loadgen-pool")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try ServerProcess(dataDirectory: directory)
        let before = unixSeconds()
        do {
            try runLoadgen(["--tcp", "127.0.0.1:\(server.ingestPort)", "--live", "--pool", "1000", "--lines", "5000",
                            "--seed", "3", "--connections", "2"])
        } catch {
            _ = try? server.terminate()
            throw error
        }
        let after = unixSeconds()
        let status = try server.terminate()
        #expect(status == 0, "server log:\n\(server.logText)")

        var options = APIWorkload.Options()
        options.seed = 3
        var workload = APIWorkload(options)
        var poolSeries = Set<String>()
        var poolTenths = 0
        for _ in 0..<1_000 {
            let request = workload.nextRequest()
            poolSeries.insert("endpoint=/api/v1/r\(request.endpoint),key=key-\(request.key),method=\(request.method),status=\(request.status)")
            poolTenths += request.durationTenthsMs
        }
        let engine = try Engine.open(EngineConfiguration(dataDirectory: directory))
        defer { try? engine.close() }
        var count: UInt64 = 0
        var sum = 0.0
        var series = Set<String>()
        for row in try engine.minuteRows() where row.series.value(of: Projection.tagKey) == nil {
            #expect(row.start >= before / 60 * 60 && row.start <= after, "bucket \(row.start) outside the run \(before)...\(after)")
            for field in row.fields where field.name == "duration_ms" {
                count += field.aggregate.count
                sum += field.aggregate.sum
                series.insert(row.series.tags.map { "\($0.key)=\($0.value)" }.joined(separator: ","))
            }
        }
        #expect(count == 5_000)
        #expect(abs(sum - 5 * Double(poolTenths) / 10) < 1e-6 * sum, "sum \(sum), pool sum \(Double(poolTenths) / 10)")
        #expect(series == poolSeries)
    }

    @Test func tcpAndHTTPLoadIsStoredExactly() async throws {
        let directory = temporaryDirectory("loadgen-e2e")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try ServerProcess(dataDirectory: directory)
        do {
            try runLoadgen(["--tcp", "127.0.0.1:\(server.ingestPort)", "--lines", "20000", "--connections", "2",
                            "--backfill-days", "0.25", "--seed", "1"])
            try runLoadgen(["--http", "http://127.0.0.1:\(server.httpPort)/write", "--lines", "10000",
                            "--batch-size", "3000", "--backfill-days", "0.25", "--seed", "2"])
        } catch {
            _ = try? server.terminate()
            throw error
        }
        let status = try server.terminate()
        #expect(status == 0, "server log:\n\(server.logText)")
        let stored = try storedAggregates(directory)
        let durations = stored.filter { $0.key.hasSuffix(" duration_ms") }
        let total = durations.values.reduce(UInt64(0)) { $0 + $1.count }
        #expect(total == 30_000, "stored duration_ms count \(total); server log:\n\(server.logText)")
        #expect(durations.keys.allSatisfy { $0.hasPrefix("http_request,") })
    }
}
