import Logging
import Strata
import StrataCore

/// A `HOST:PORT` listening address (`127.0.0.1:8089`, `[::1]:8086`, `0.0.0.0:0`; port 0 = any free port).
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT`; IPv6 hosts in brackets.
    public init?(parsing text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
              (0...65_535).contains(port) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        self.init(host: host, port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Everything `strata serve` needs: the engine's configuration plus the network side.
public struct ServerConfiguration: Sendable {
    /// The engine (data directory, WAL policy, limits, retention).
    public var engine: EngineConfiguration
    /// Line-protocol TCP listener. Default 127.0.0.1:8089.
    public var ingestAddress = ListenAddress(host: "127.0.0.1", port: 8089)
    /// HTTP listener. Default 127.0.0.1:8086.
    public var httpAddress = ListenAddress(host: "127.0.0.1", port: 8086)
    /// The largest HTTP request body accepted, after gzip decompression. Default 32 MiB.
    public var maxBodySize = 32 << 20
    /// Lines of one TCP batch handed to the engine at most this many bytes (default 1 MiB).
    public var tcpBatchBytes = 1 << 20
    /// Threads that run blocking engine writes (fsync) off the event loops.
    public var writeThreads = 8
    /// Seconds a graceful shutdown waits for TCP clients to finish before closing their connections.
    public var drainSeconds: Double = 5

    public init(dataDirectory: String) {
        engine = EngineConfiguration(dataDirectory: dataDirectory)
    }
}
