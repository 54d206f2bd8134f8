import ArgumentParser
import Logging
import Strata
import StrataCore

/// The `strata` command: the server and operator tools around the embeddable engine.
struct StrataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strata",
        abstract: "Strata: a time-series engine and query server for API observability.",
        subcommands: [Serve.self],
        defaultSubcommand: Serve.self)
}

/// `strata serve`: opens the data directory and runs the server.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open the data directory (recovering from any crash) and serve ingest and queries.",
        discussion: """
            Defaults need no configuration: data in ./strata-data. The network ports (line protocol on \
            127.0.0.1:8089, HTTP on 127.0.0.1:8086) arrive with the `strata serve` issue; until then this \
            command opens the engine, replays the write-ahead log, flushes, reports and exits.
            """)

    @Option(name: .long, help: "Data directory (env STRATA_DATA_DIR).")
    var dataDir: String = Serve.environment("STRATA_DATA_DIR") ?? "./strata-data"

    mutating func run() throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let engine = try Engine.open(EngineConfiguration(dataDirectory: dataDir))
        let recovery = engine.recovery
        print("strata: data directory \(dataDir) opened: \(engine.segments(.minute).count) 1m segments, "
              + "\(recovery.walRecordsReplayed) WAL records replayed (\(recovery.pointsReplayed) points)")
        try engine.close()
        print("strata: the network server (ingest 127.0.0.1:8089, HTTP 127.0.0.1:8086) arrives with a later issue; exiting.")
    }

    static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
    }
}

#if canImport(Glibc)
import Glibc
#endif

StrataCommand.main()
