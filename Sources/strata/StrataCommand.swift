import ArgumentParser
import CStrataSupport
import Logging
import Strata
import StrataCore
import StrataServer

/// The `strata` command: the server and operator tools around the embeddable engine.
@available(macOS 10.15, macCatalyst 13, iOS 13, tvOS 13, watchOS 6, *)
@main
struct StrataCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strata",
        abstract: "Strata: a time-series engine and query server for API observability.",
        subcommands: [Serve.self, Compact.self],
        defaultSubcommand: Serve.self)
}

/// `strata serve`: opens the data directory and runs the server.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open the data directory (recovering from any crash) and serve line-protocol ingest and HTTP.",
        discussion: """
            Defaults need no configuration: data in ./strata-data, line protocol over TCP on 127.0.0.1:8089, \
            HTTP (InfluxDB-compatible /write, /api/v2/write, /ping, /health, /ready, /metrics, /admin/compact) \
            on 127.0.0.1:8086. Every option can also be set by the environment variable named in its help; a \
            command-line option wins. Port 0 binds a free port; the bound ports are logged as \
            `listening ingest=HOST:PORT http=HOST:PORT`.

            Durability: HTTP writes are answered 204 only once stored per --wal-sync (with the default \
            every-write, fsynced). Line protocol over TCP has no acknowledgements; with --wal-sync 100ms a host \
            crash can lose up to 100 ms of accepted writes (a process crash loses nothing). SIGTERM/SIGINT stop \
            accepting, drain connections, flush the head, fsync and exit 0.
            """)

    @Option(name: .long, help: "Data directory (env STRATA_DATA_DIR).")
    var dataDir: String = env("STRATA_DATA_DIR") ?? "./strata-data"

    @Option(name: .long, help: ArgumentHelp("Line-protocol TCP listen address (env STRATA_INGEST_ADDR).", valueName: "host:port"))
    var ingestAddr: String = env("STRATA_INGEST_ADDR") ?? "127.0.0.1:8089"

    @Option(name: .long, help: ArgumentHelp("HTTP listen address (env STRATA_HTTP_ADDR).", valueName: "host:port"))
    var httpAddr: String = env("STRATA_HTTP_ADDR") ?? "127.0.0.1:8086"

    @Option(name: .customLong("retention-1m"), help: ArgumentHelp("How long 1-minute buckets are kept, e.g. 24h, 7d, forever (env STRATA_RETENTION_1M).", valueName: "duration"))
    var retention1m: String = env("STRATA_RETENTION_1M") ?? "24h"

    @Option(name: .customLong("retention-5m"), help: ArgumentHelp("How long 5-minute buckets are kept (env STRATA_RETENTION_5M).", valueName: "duration"))
    var retention5m: String = env("STRATA_RETENTION_5M") ?? "7d"

    @Option(name: .customLong("retention-1h"), help: ArgumentHelp("How long 1-hour buckets are kept (env STRATA_RETENTION_1H).", valueName: "duration"))
    var retention1h: String = env("STRATA_RETENTION_1H") ?? "90d"

    @Option(name: .customLong("retention-1d"), help: ArgumentHelp("How long 1-day buckets are kept (env STRATA_RETENTION_1D).", valueName: "duration"))
    var retention1d: String = env("STRATA_RETENTION_1D") ?? "forever"

    @Option(name: .long, help: ArgumentHelp("When the WAL is fsynced: every-write (before any HTTP 204) or an interval such as 100ms (env STRATA_WAL_SYNC).", valueName: "policy"))
    var walSync: String = env("STRATA_WAL_SYNC") ?? "every-write"

    @Option(name: .long, help: ArgumentHelp("Longest accepted line in bytes; longer lines are skipped (env STRATA_MAX_LINE_LENGTH).", valueName: "bytes"))
    var maxLineLength: Int = envInt("STRATA_MAX_LINE_LENGTH") ?? LineProtocolLimits.default.maxLineLength

    @Option(name: .long, help: ArgumentHelp("Most active series; points of new series beyond it are refused (env STRATA_MAX_SERIES).", valueName: "count"))
    var maxSeries: Int = envInt("STRATA_MAX_SERIES") ?? HeadLimits().maxSeries

    @Option(name: .long, help: ArgumentHelp("Most active series per measurement (env STRATA_MAX_SERIES_PER_MEASUREMENT).", valueName: "count"))
    var maxSeriesPerMeasurement: Int = envInt("STRATA_MAX_SERIES_PER_MEASUREMENT") ?? HeadLimits().maxSeriesPerMeasurement

    @Option(name: .long, help: ArgumentHelp("Flush the head early once it holds this many (series, minute) buckets with closed minutes among them, a few hundred bytes each: bounds memory when clients backfill (env STRATA_HEAD_FLUSH_BUCKETS).", valueName: "count"))
    var headFlushBuckets: Int = envInt("STRATA_HEAD_FLUSH_BUCKETS") ?? EngineConfiguration(dataDirectory: "").headFlushBuckets

    @Option(name: .long, help: ArgumentHelp("Shards of the head, 1 ... 64: concurrent writes aggregate in different shards at once (env STRATA_HEAD_SHARDS).", valueName: "count"))
    var headShards: Int = envInt("STRATA_HEAD_SHARDS") ?? EngineConfiguration(dataDirectory: "").headShards

    @Option(name: .long, help: ArgumentHelp("Largest HTTP request body in bytes, after gzip decompression; larger bodies get 413 (env STRATA_MAX_BODY_SIZE).", valueName: "bytes"))
    var maxBodySize: Int = envInt("STRATA_MAX_BODY_SIZE") ?? (32 << 20)

    @Option(name: .long, help: ArgumentHelp("On SIGTERM/SIGINT, how long line-protocol clients may keep sending before their connections are closed (env STRATA_DRAIN_SECONDS).", valueName: "seconds"))
    var drainSeconds: Double = env("STRATA_DRAIN_SECONDS").flatMap { Double($0) } ?? 5

    @Option(name: .long, help: ArgumentHelp("Log level: trace, debug, info, notice, warning, error, critical (env STRATA_LOG_LEVEL).", valueName: "level"))
    var logLevel: String = env("STRATA_LOG_LEVEL") ?? "info"

    func validate() throws {
        _ = try makeConfiguration()
    }

    func makeConfiguration() throws -> ServerConfiguration {
        var configuration = ServerConfiguration(dataDirectory: dataDir)
        guard let ingest = ListenAddress(parsing: ingestAddr) else { throw ValidationError("--ingest-addr must be HOST:PORT, got \"\(ingestAddr)\"") }
        guard let http = ListenAddress(parsing: httpAddr) else { throw ValidationError("--http-addr must be HOST:PORT, got \"\(httpAddr)\"") }
        configuration.ingestAddress = ingest
        configuration.httpAddress = http
        for (flag, text, granularity) in [("--retention-1m", retention1m, Granularity.minute), ("--retention-5m", retention5m, .fiveMinutes),
                                          ("--retention-1h", retention1h, .hour), ("--retention-1d", retention1d, .day)] {
            guard let seconds = RetentionPolicy.parseDuration(text) else {
                throw ValidationError("\(flag) must be a duration such as 24h, 7d, 90d or forever, got \"\(text)\"")
            }
            configuration.engine.retention.set(granularity, seconds)
        }
        guard let policy = WALSyncPolicy(parsing: walSync) else { throw ValidationError("--wal-sync must be every-write or an interval such as 100ms, got \"\(walSync)\"") }
        configuration.engine.walSyncPolicy = policy
        guard maxLineLength > 0 else { throw ValidationError("--max-line-length must be positive") }
        configuration.engine.parseLimits.maxLineLength = maxLineLength
        guard maxSeries > 0, maxSeriesPerMeasurement > 0 else { throw ValidationError("series limits must be positive") }
        configuration.engine.headLimits.maxSeries = maxSeries
        configuration.engine.headLimits.maxSeriesPerMeasurement = maxSeriesPerMeasurement
        guard headFlushBuckets > 0 else { throw ValidationError("--head-flush-buckets must be positive") }
        configuration.engine.headFlushBuckets = headFlushBuckets
        guard (1...64).contains(headShards) else { throw ValidationError("--head-shards must be between 1 and 64, got \(headShards)") }
        configuration.engine.headShards = headShards
        guard maxBodySize > 0, maxBodySize <= 60 << 20 else { throw ValidationError("--max-body-size must be between 1 and \(60 << 20) bytes") }
        configuration.maxBodySize = maxBodySize
        guard drainSeconds >= 0 else { throw ValidationError("--drain-seconds must not be negative") }
        configuration.drainSeconds = drainSeconds
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical") }
        return configuration
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "strata")
        logger.logLevel = level
        keepFreedMemoryForReuse()
        try await StrataService.run(try makeConfiguration(), logger: logger)
    }
}

/// `strata compact`: offline maintenance of a data directory the server is not using.
struct Compact: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open a data directory offline, flush the head, run every due compaction, and close.")

    @Option(name: .long, help: "Data directory (env STRATA_DATA_DIR).")
    var dataDir: String = env("STRATA_DATA_DIR") ?? "./strata-data"

    func run() throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let engine = try Engine.open(EngineConfiguration(dataDirectory: dataDir))
        let recovery = engine.recovery
        let flush = try engine.flush(everything: true)
        let report = try engine.compact()
        try engine.close()
        print("strata compact: \(dataDir): \(recovery.walRecordsReplayed) WAL records replayed; flushed \(flush.bucketRows) rows"
              + "\(flush.segment.map { " into \($0)" } ?? ""); \(report.rollups) rollups, \(report.merges) merges, \(report.drops) drops, "
              + "\(report.bytesWritten) bytes written")
    }
}

func env(_ name: String) -> String? {
    guard let value = getenv(name) else { return nil }
    return String(cString: value)
}

func envInt(_ name: String) -> Int? { env(name).flatMap { Int($0) } }

#if canImport(Glibc)
import Glibc
#endif

/// Ingest allocates and frees batch buffers of several MiB per write on every writer thread; glibc's
/// defaults return such memory to the kernel right away (trim, mmap), and the next batch pays a page
/// fault per 4 KiB to get it back. Keeping up to 64 MiB of freed memory per arena and serving blocks
/// up to 32 MiB from the heap removes that churn.
func keepFreedMemoryForReuse() {
    strata_keep_freed_memory(64 << 20, 32 << 20)
}
