import CoreMetrics
import Foundation
import Prometheus
import Strata
import StrataCore
import Synchronization

/// The server's metrics: counters recorded through swift-metrics (backed by a private swift-prometheus
/// registry, so several servers in one process never share state), plus engine gauges refreshed on
/// every scrape. ``render()`` produces the Prometheus text exposition served on `GET /metrics`.
public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory
    /// Engine counters already mirrored into Prometheus counters (which only go up by deltas).
    private let mirrored = Mutex<[String: Int]>([:])
    private let counters = Mutex<[String: CoreMetrics.Counter]>([:])

    public init() {
        registry = PrometheusCollectorRegistry()
        factory = PrometheusMetricsFactory(registry: registry)
    }

    private func counter(_ name: String, _ dimensions: [(String, String)] = []) -> CoreMetrics.Counter {
        let key = name + "|" + dimensions.map { "\($0.0)=\($0.1)" }.joined(separator: ",")
        return counters.withLock { cache in
            if let counter = cache[key] { return counter }
            let counter = CoreMetrics.Counter(label: name, dimensions: dimensions, factory: factory)
            cache[key] = counter
            return counter
        }
    }

    // MARK: - Ingest

    /// Records the outcome of one engine write (`transport` is `tcp` or `http`).
    func recordWrite(transport: String, bytes: Int, result: WriteResult, seconds: Double) {
        counter("strata_ingest_bytes_total", [("transport", transport)]).increment(by: bytes)
        counter("strata_ingest_lines_total", [("transport", transport)]).increment(by: result.linesRead)
        counter("strata_ingest_points_accepted_total", [("transport", transport)]).increment(by: result.pointsAccepted)
        for error in result.parseErrors { recordParseError(error.reason.metricLabel, transport: transport) }
        for rejection in result.rejections {
            counter("strata_ingest_rejections_total", [("transport", transport), ("reason", rejection.reason.label)]).increment()
        }
        writeDuration.recordNanoseconds(Int64(seconds * 1e9))
    }

    func recordParseError(_ reason: String, transport: String, count: Int = 1) {
        counter("strata_ingest_parse_errors_total", [("transport", transport), ("reason", reason)]).increment(by: count)
    }

    func recordBytes(transport: String, count: Int) {
        counter("strata_ingest_bytes_total", [("transport", transport)]).increment(by: count)
    }

    func recordWriteFailure(transport: String) {
        counter("strata_ingest_write_failures_total", [("transport", transport)]).increment()
    }

    /// Engine write latency, WAL append and (with `every-write`) fsync included.
    private var writeDuration: CoreMetrics.Timer {
        CoreMetrics.Timer(label: "strata_engine_write_duration_seconds", dimensions: [], preferredDisplayUnit: .seconds, factory: factory)
    }

    // MARK: - TCP connections

    func connectionOpened() {
        counter("strata_tcp_connections_total").increment()
        registry.makeGauge(name: "strata_tcp_connections_open", help: "Open line-protocol TCP connections.").increment()
    }

    func connectionClosed() {
        registry.makeGauge(name: "strata_tcp_connections_open", help: "Open line-protocol TCP connections.").decrement()
    }

    // MARK: - HTTP

    func recordRequest(route: String, method: String, status: Int) {
        counter("strata_http_requests_total", [("route", route), ("method", method), ("status", String(status))]).increment()
    }

    // MARK: - Scrape

    /// Refreshes the engine gauges and renders every metric in the Prometheus text format.
    public func render(engine: Engine) -> String {
        let statistics = engine.statistics
        registry.makeGauge(name: "strata_active_series", help: "Series in the in-memory head.").set(Int64(statistics.headSeries))
        registry.makeGauge(name: "strata_head_buckets", help: "Series-minute buckets in the in-memory head.").set(Int64(statistics.headBuckets))
        for granularity in Granularity.allCases {
            let segments = engine.segments(granularity)
            let label = [("granularity", granularity.metricLabel)]
            registry.makeGauge(name: "strata_segments", labels: label, help: "Live segment files per granularity.")
                .set(Int64(segments.count))
            registry.makeGauge(name: "strata_segment_bytes", labels: label, help: "Bytes of live segment files per granularity.")
                .set(Int64(segments.reduce(0) { $0 + $1.byteCount }))
        }
        registry.makeGauge(name: "strata_wal_bytes", help: "Bytes of write-ahead log files on disk.")
            .set(Int64(Self.directoryBytes(engine.configuration.dataDirectory + "/wal")))
        let compaction = engine.compactionStatistics
        mirror("strata_compaction_runs_total", compaction.runs, help: "Compaction passes completed.")
        mirror("strata_compaction_errors_total", compaction.errors, help: "Compaction passes that failed.")
        mirror("strata_compaction_rollups_total", compaction.totals.rollups, help: "Rollup jobs run.")
        mirror("strata_compaction_merges_total", compaction.totals.merges, help: "Merge jobs run.")
        mirror("strata_compaction_drops_total", compaction.totals.drops, help: "Retention drop jobs run.")
        mirror("strata_compaction_bytes_written_total", compaction.totals.bytesWritten, help: "Bytes written by compaction.")
        registry.makeGauge(name: "strata_compaction_seconds", help: "Seconds spent compacting since start (sum over passes).")
            .set(compaction.seconds)
        mirror("strata_engine_points_accepted_total", statistics.pointsAccepted, help: "Points accepted by the engine (all transports, WAL replay included).")
        for (reason, count) in statistics.rejected.sorted(by: { $0.key < $1.key }) {
            mirror("strata_engine_rejected_points_total", count, labels: [("reason", reason)], help: "Points refused by the engine, by reason.")
        }
        return registry.emitToString()
    }

    static func directoryBytes(_ path: String) -> Int {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return 0 }
        return names.reduce(0) { total, name in
            let size = (try? FileManager.default.attributesOfItem(atPath: path + "/" + name)[.size] as? NSNumber)?.intValue ?? 0
            return total + size
        }
    }

    private func mirror(_ name: String, _ value: Int, labels: [(String, String)] = [], help: String) {
        let key = name + labels.map { "\($0.0)=\($0.1)" }.joined()
        let delta = mirrored.withLock { seen -> Int in
            let delta = value - (seen[key] ?? 0)
            seen[key] = value
            return delta
        }
        let counter = registry.makeCounter(name: name, labels: labels, help: help)
        if delta > 0 { counter.increment(by: Int64(delta)) }
    }
}

extension Granularity {
    /// `1m`, `5m`, `1h`, `1d`.
    var metricLabel: String {
        switch self {
        case .minute: "1m"
        case .fiveMinutes: "5m"
        case .hour: "1h"
        case .day: "1d"
        }
    }
}

extension LineProtocolError.Reason {
    /// A stable snake_case label for metrics.
    public var metricLabel: String {
        switch self {
        case .missingMeasurement: "missing_measurement"
        case .missingFields: "missing_fields"
        case .missingTagKey: "missing_tag_key"
        case .missingTagValue: "missing_tag_value"
        case .missingFieldKey: "missing_field_key"
        case .missingFieldValue: "missing_field_value"
        case .expectedEquals: "expected_equals"
        case .unexpectedCharacter: "unexpected_character"
        case .duplicateTagKey: "duplicate_tag_key"
        case .invalidFieldValue: "invalid_field_value"
        case .fieldValueOutOfRange: "field_value_out_of_range"
        case .unterminatedString: "unterminated_string"
        case .invalidTimestamp: "invalid_timestamp"
        case .timestampOutOfRange: "timestamp_out_of_range"
        case .invalidUTF8: "invalid_utf8"
        case .invalidComment: "invalid_comment"
        case .lineTooLong: "line_too_long"
        case .tooManyTags: "too_many_tags"
        case .tooManyFields: "too_many_fields"
        case .keyTooLong: "key_too_long"
        case .valueTooLong: "value_too_long"
        }
    }
}
