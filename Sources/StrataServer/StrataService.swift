import Hummingbird
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Strata
import StrataCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// `strata serve`: opens the engine (replaying the WAL), listens for line protocol over TCP and for
/// HTTP, runs maintenance, and on SIGTERM/SIGINT stops accepting, drains connections, flushes the head,
/// fsyncs and returns.
///
/// Services and their shutdown order (ServiceLifecycle shuts down in reverse): the HTTP server first
/// (in-flight requests finish), then TCP ingest (clients get ``ServerConfiguration/drainSeconds`` to
/// disconnect, then complete lines are stored and connections closed), then maintenance, and last the
/// engine (`close()`: flush everything, fsync).
public enum StrataService {
    /// Runs the server until a termination signal (or `shutdown` is triggered by a caller's service group).
    public static func run(_ configuration: ServerConfiguration, logger: Logger) async throws {
        let engineLogger = Logger(label: "strata.engine", level: logger.logLevel)
        logger.info("opening data directory", metadata: ["dataDirectory": "\(configuration.engine.dataDirectory)",
                                                        "walSync": "\(configuration.engine.walSyncPolicy)"])
        let engine = try Engine.open(configuration.engine, logger: engineLogger)
        let recovery = engine.recovery
        logger.info("recovery done", metadata: [
            "walFilesReplayed": "\(recovery.walFilesReplayed)", "walRecordsReplayed": "\(recovery.walRecordsReplayed)",
            "pointsReplayed": "\(recovery.pointsReplayed)", "tornTails": "\(recovery.tornTails.count)",
            "corruptWALFiles": "\(recovery.corruptWALFiles)", "orphanSegmentsRemoved": "\(recovery.orphanSegmentsRemoved.count)",
            "corruptSegments": "\(recovery.corruptSegments)",
            "segments": "\(engine.statistics.segments)", "headSeries": "\(engine.statistics.headSeries)",
        ])

        let pool = NIOThreadPool(numberOfThreads: configuration.writeThreads)
        pool.start()
        let metrics = ServerMetrics()
        let group = MultiThreadedEventLoopGroup.singleton

        let ingest = IngestServer(engine: engine, metrics: metrics, pool: pool,
                                  logger: Logger(label: "strata.ingest", level: logger.logLevel),
                                  drainSeconds: configuration.drainSeconds)
        let ingestAddress: ListenAddress
        do {
            ingestAddress = try await ingest.bind(configuration.ingestAddress, group: group)
        } catch {
            try? engine.close()
            try? await pool.shutdownGracefully()
            throw error
        }

        let api = HTTPAPI(engine: engine, metrics: metrics, pool: pool, maxBodySize: configuration.maxBodySize,
                          logger: Logger(label: "strata.http", level: logger.logLevel))
        let (router, _) = api.makeRouter()
        let httpHost = configuration.httpAddress.host
        let dataDirectory = configuration.engine.dataDirectory
        var httpLogger = Logger(label: "strata.http", level: logger.logLevel)
        if logger.logLevel > .debug { httpLogger.logLevel = max(logger.logLevel, .notice) }  // Hummingbird's own info lines are noise
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(httpHost, port: configuration.httpAddress.port), serverName: nil),
            onServerRunning: { channel in
                let http = ListenAddress(host: httpHost, port: channel.localAddress?.port ?? 0)
                logger.notice("listening ingest=\(ingestAddress) http=\(http) data=\(dataDirectory)")
            },
            eventLoopGroupProvider: .shared(group),
            logger: httpLogger)

        let serviceGroup = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: EngineService(engine: engine, logger: logger)),
                    .init(service: MaintenanceService(engine: engine)),
                    .init(service: IngestService(ingest: ingest)),
                    .init(service: app),
                ],
                gracefulShutdownSignals: [],
                logger: Logger(label: "strata.lifecycle", level: max(logger.logLevel, .notice))))
        defer { _ = pool.shutdownGracefully { _ in } }
        let signalCount = Mutex(0)
        SignalWatcher.install([SIGTERM, SIGINT]) { number in
            let count = signalCount.withLock { $0 += 1; return $0 }
            if count > 1 {
                logger.warning("second termination signal: exiting without a clean shutdown")
                exit(1)
            }
            logger.info("signal \(number) received: shutting down (stop accepting, drain, flush, fsync)")
            Task { await serviceGroup.triggerGracefulShutdown() }
        }
        try await serviceGroup.run()
        logger.info("stopped")
    }
}

/// Owns the engine: on shutdown (after ingest stopped) flushes the head, fsyncs and closes.
struct EngineService: Service {
    let engine: Engine
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        logger.info("flushing the head and closing the engine")
        do {
            try engine.close()
            logger.info("engine closed", metadata: ["segments": "\(engine.statistics.segments)"])
        } catch {
            logger.error("engine close failed", metadata: ["error": "\(error)"])
            throw error
        }
    }
}

/// Runs ``Engine/runMaintenance()`` (flush and compaction) until shutdown.
struct MaintenanceService: Service {
    let engine: Engine

    func run() async throws {
        await cancelWhenGracefulShutdown { await engine.runMaintenance() }
    }
}

/// Keeps the TCP listener open until shutdown, then drains it.
struct IngestService: Service {
    let ingest: IngestServer

    func run() async throws {
        try? await gracefulShutdown()
        await ingest.drain()
    }
}

extension Logger {
    init(label: String, level: Logger.Level) {
        self.init(label: label)
        self.logLevel = level
    }
}
