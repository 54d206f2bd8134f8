import Logging
import Synchronization
import StrataCore
import StrataIO

/// The embeddable Strata engine: durable ingest of line protocol, 1-minute aggregation, segment files.
///
/// ```swift
/// let engine = try Engine.open(EngineConfiguration(dataDirectory: "./strata-data"))
/// let result = try engine.write(Array("http_request,endpoint=/a duration_ms=41.7".utf8))
/// try engine.flush()
/// try engine.close()
/// ```
///
/// Thread-safe: parsing runs on the caller's thread; WAL appends and aggregation are serialised by a
/// lock; with ``WALSyncPolicy/everyWrite`` concurrent writers share fsyncs.
public final class Engine: Sendable {
    struct State: Sendable {
        var head: Head
        var manifest: Manifest
        /// Open readers of the live segments, by relative path.
        var segments: [String: SegmentReader]
        /// Rows drained from the head whose segment is being written (still visible to queries).
        var flushing: [BucketRow] = []
        var closed = false
    }

    public let configuration: EngineConfiguration
    /// What opening the data directory found and repaired.
    public let recovery: RecoveryReport
    let logger: Logger
    let wal: WriteAheadLog
    let state: Mutex<State>
    /// Serialises flushes (and later compactions) with each other.
    let maintenanceLock = Mutex<Void>(())
    private let parser: LineProtocolParser

    var directory: String { configuration.dataDirectory }
    var walDirectory: String { directory + "/wal" }

    private init(configuration: EngineConfiguration, logger: Logger, wal: WriteAheadLog, state: State, recovery: RecoveryReport) {
        self.configuration = configuration
        self.logger = logger
        self.wal = wal
        self.state = Mutex(state)
        self.recovery = recovery
        self.parser = LineProtocolParser(precision: .nanoseconds, limits: configuration.parseLimits)
    }

    /// Opens (creating when needed) the data directory, recovers from any crash, and replays the WAL.
    public static func open(_ configuration: EngineConfiguration, logger: Logger = Logger(label: "strata.engine")) throws -> Engine {
        let directory = configuration.dataDirectory
        try FileSystem.createDirectory(directory)
        for granularity in Granularity.allCases { try FileSystem.createDirectory(directory + "/" + granularity.name) }
        var report = RecoveryReport()
        var manifest = try Manifest.load(directory: directory)

        // Sweep temporary files and segment files the manifest does not list.
        let live = Set(manifest.segments.map(\.relativePath))
        for granularity in Granularity.allCases {
            let folder = directory + "/" + granularity.name
            for name in try FileSystem.listDirectory(folder) {
                let relative = granularity.name + "/" + name
                if name.hasSuffix(".tmp") {
                    try FileSystem.removeFile(folder + "/" + name)
                    report.temporaryFilesRemoved.append(relative)
                } else if SegmentLayout.sequence(ofName: name) != nil && !live.contains(relative) {
                    try FileSystem.removeFile(folder + "/" + name)
                    report.orphanSegmentsRemoved.append(relative)
                }
            }
        }
        if FileSystem.exists(directory + "/" + Manifest.fileName + ".tmp") {
            try FileSystem.removeFile(directory + "/" + Manifest.fileName + ".tmp")
            report.temporaryFilesRemoved.append(Manifest.fileName + ".tmp")
        }

        // Open segments; a damaged one is reported and not served.
        var segments: [String: SegmentReader] = [:]
        for segment in manifest.segments {
            do {
                segments[segment.relativePath] = try SegmentReader(path: directory + "/" + segment.relativePath)
            } catch {
                report.corruptSegments.append("\(segment.relativePath): \(error)")
                logger.error("segment not served", metadata: ["segment": "\(segment.relativePath)", "error": "\(error)"])
            }
        }

        // Replay the WAL into a fresh head.
        var head = Head(limits: configuration.headLimits)
        let walDirectory = directory + "/wal"
        try FileSystem.createDirectory(walDirectory)
        let parser = LineProtocolParser(precision: .nanoseconds, limits: configuration.parseLimits)
        var batch = ParsedBatch()
        for sequence in try WriteAheadLog.existingSequences(in: walDirectory) {
            let path = walDirectory + "/" + WALFile.name(sequence)
            let contents = try WALReader.read(path: path)
            let cutoff = manifest.replayCutoff(forWALFile: sequence)
            for (_, record) in contents.records {
                batch.removeAll()
                LineProtocolParser(precision: record.precision, limits: configuration.parseLimits)
                    .parse(record.lines, defaultTimestamp: record.defaultTimestamp, into: &batch)
                let before = head.statistics.pointsAccepted
                _ = head.apply(batch, nowSeconds: record.receivedAt, walFile: sequence, skippingMinutesBefore: cutoff)
                report.pointsReplayed += head.statistics.pointsAccepted - before
                report.walRecordsReplayed += 1
            }
            report.walFilesReplayed += 1
            switch contents.problem {
            case nil:
                break
            case let .tornTail(offset, reason)?:
                let file = try File.openForAppending(path)
                try file.truncate(to: contents.validLength)
                try file.sync()
                report.tornTails.append("\(path): \(reason) (truncated at offset \(offset))")
                logger.warning("WAL torn tail truncated", metadata: ["file": "\(path)", "offset": "\(offset)", "reason": "\(reason)"])
            case let problem?:
                try FileSystem.rename(path, to: path + ".corrupt")
                report.corruptWALFiles.append("\(path): \(problem)")
                logger.error("WAL file damaged; replay of it stopped", metadata: ["file": "\(path)", "problem": "\(problem)"])
            }
        }
        _ = parser
        head.resetStatistics()
        let wal = try WriteAheadLog(directory: walDirectory, rollSize: configuration.walRollSize)
        // Flush marks older than every remaining WAL file no longer matter.
        if let oldest = try WriteAheadLog.existingSequences(in: walDirectory).first {
            manifest.flushMarks.removeAll { $0.walFile <= oldest }
        }
        let engine = Engine(configuration: configuration, logger: logger, wal: wal,
                            state: State(head: head, manifest: manifest, segments: segments), recovery: report)
        logger.info("engine open", metadata: [
            "dataDirectory": "\(directory)", "segments": "\(segments.count)",
            "walFilesReplayed": "\(report.walFilesReplayed)", "pointsReplayed": "\(report.pointsReplayed)",
        ])
        return engine
    }

    // MARK: - Writing

    /// Parses `lines`, logs them in the WAL and aggregates every good point. Bad lines are reported in
    /// the result and never stop the good ones. Returns once the accepted points are durable according
    /// to the WAL sync policy.
    /// - Parameters:
    ///   - precision: the unit of the timestamps in `lines`.
    ///   - defaultTimestamp: nanoseconds for lines without a timestamp (default: now).
    public func write(_ lines: [UInt8], precision: TimestampPrecision = .nanoseconds, defaultTimestamp: Int64? = nil) throws -> WriteResult {
        // The WAL refuses larger records on replay, so refuse them here, before anything is accepted.
        let limit = WALFile.maxRecordLength - 64
        guard lines.count <= limit else { throw EngineError.writeTooLarge(bytes: lines.count, limit: limit) }
        let now = configuration.clock()
        let timestamp = defaultTimestamp ?? now * 1_000_000_000 + Int64(SystemClock.nowNanoseconds() % 1_000_000_000)
        var batch = ParsedBatch()
        LineProtocolParser(precision: precision, limits: configuration.parseLimits).parse(lines, defaultTimestamp: timestamp, into: &batch)
        var result = WriteResult(linesRead: batch.linesRead, pointsAccepted: 0, parseErrors: batch.errors, rejections: [])
        guard !batch.points.isEmpty else { return result }
        let record = WALRecord(precision: precision, defaultTimestamp: timestamp, receivedAt: now, lines: lines)
        let lsn = try state.withLock { state throws -> WriteAheadLog.LSN in
            guard !state.closed else { throw EngineError.closed }
            let (lsn, file) = try wal.append(record)
            try configuration.faultInjector?(.afterWALAppend)
            let before = state.head.statistics.pointsAccepted
            result.rejections = state.head.apply(batch, nowSeconds: now, walFile: file)
            result.pointsAccepted = state.head.statistics.pointsAccepted - before
            return lsn
        }
        if configuration.walSyncPolicy == .everyWrite { try wal.sync(through: lsn) }
        return result
    }

    /// Makes every accepted write durable now (whatever the sync policy).
    public func syncWAL() throws { try wal.syncAll() }

    // MARK: - Flushing

    /// Writes closed minute buckets (those ending more than ``EngineConfiguration/flushGraceSeconds``
    /// ago) to a new 1m segment; with `everything`, writes every bucket in the head.
    @discardableResult
    public func flush(everything: Bool = false) throws -> FlushResult {
        try maintenanceLock.withLock { _ throws -> FlushResult in
            let cutoff = everything ? Int64.max : Granularity.minute.bucketStart(ofSeconds: configuration.clock() - configuration.flushGraceSeconds)
            // Cut: roll the WAL and drain due buckets atomically with respect to writers.
            let cut = try state.withLock { state throws -> (rows: [BucketRow], walFile: UInt64, sequence: UInt64)? in
                guard let range = state.head.minuteRange, range.lowerBound < cutoff else { return nil }
                let walFile = try wal.roll()
                let rows = state.head.drain(before: cutoff)
                state.flushing = rows
                let sequence = state.manifest.nextSegmentSequence
                state.manifest.nextSegmentSequence += 1
                return (rows, walFile, sequence)
            }
            guard let cut, !cut.rows.isEmpty else { return FlushResult(segment: nil, bucketRows: 0, bytes: 0) }
            let started = SystemClock.monotonicNanoseconds()
            let (bytes, summary) = SegmentWriter.encode(cut.rows, granularity: .minute)
            let relative = Granularity.minute.name + "/" + SegmentLayout.name(cut.sequence)
            let path = directory + "/" + relative
            let temporary = try FileSystem.writeTemporary(bytes, for: path)
            try configuration.faultInjector?(.afterSegmentTemporaryWritten)
            try FileSystem.rename(temporary, to: path)
            try FileSystem.syncDirectory(FileSystem.parent(of: path))
            try configuration.faultInjector?(.afterSegmentRenamed)
            let reader = try SegmentReader(path: path)
            let oldestInUse = try state.withLock { state throws -> UInt64 in
                var manifest = state.manifest
                manifest.segments.append(Manifest.Segment(
                    granularity: .minute, sequence: cut.sequence, minStart: summary.minStart, maxStart: summary.maxStart,
                    rowCount: UInt64(summary.rowCount), byteCount: UInt64(bytes.count)))
                manifest.flushMarks.append(Manifest.FlushMark(walFile: cut.walFile, minuteCutoff: cutoff))
                try manifest.publish(directory: directory)
                state.manifest = manifest
                state.segments[relative] = reader
                state.flushing = []
                return min(state.head.oldestWALFileInUse ?? cut.walFile, cut.walFile)
            }
            try configuration.faultInjector?(.afterManifestPublished)
            try wal.removeFiles(below: oldestInUse)
            let elapsed = Double(SystemClock.monotonicNanoseconds() - started) / 1e6
            logger.info("flushed head", metadata: [
                "segment": "\(relative)", "rows": "\(summary.rowCount)", "series": "\(summary.seriesCount)",
                "bytes": "\(bytes.count)", "ms": "\(elapsed)",
            ])
            return FlushResult(segment: relative, bucketRows: cut.rows.count, bytes: bytes.count)
        }
    }

    /// Flushes the whole head, makes everything durable and refuses further writes.
    public func close() throws {
        try flush(everything: true)
        try wal.syncAll()
        state.withLock { $0.closed = true }
    }

    // MARK: - Reading

    /// The live segment readers of `granularity`, oldest first.
    public func segments(_ granularity: Granularity) -> [SegmentReader] {
        state.withLock { state in
            state.manifest.segments.filter { $0.granularity == granularity }.compactMap { state.segments[$0.relativePath] }
        }
    }

    /// Copies of the head's buckets and of rows being flushed.
    public func headRows() -> [BucketRow] {
        state.withLock { $0.head.rows() + $0.flushing }
    }

    /// Every 1-minute row the engine holds (head and 1m segments), merged per (series, minute).
    public func minuteRows() throws -> [BucketRow] {
        var merged: [SeriesKey: [Int64: BucketRow]] = [:]
        var all = headRows()
        for segment in segments(.minute) { all += try segment.allRows() }
        for row in all {
            if merged[row.series]?[row.start] != nil { merged[row.series]![row.start]!.merge(row) } else { merged[row.series, default: [:]][row.start] = row }
        }
        return merged.values.flatMap(\.values).sorted { ($0.series, $0.start) < ($1.series, $1.start) }
    }

    /// Live counters.
    public var statistics: EngineStatistics {
        state.withLock { state in
            EngineStatistics(
                headSeries: state.head.seriesCount, headBuckets: state.head.bucketCount,
                pointsAccepted: state.head.statistics.pointsAccepted, valuesAggregated: state.head.statistics.valuesAggregated,
                stringFieldsIgnored: state.head.statistics.stringFieldsIgnored,
                nonFiniteValuesIgnored: state.head.statistics.nonFiniteValuesIgnored,
                rejected: Dictionary(uniqueKeysWithValues: state.head.statistics.rejected.map { ($0.key.label, $0.value) }),
                segments: state.manifest.segments.count)
        }
    }
}

/// Counters of a running engine.
public struct EngineStatistics: Sendable, Equatable {
    public var headSeries: Int
    public var headBuckets: Int
    public var pointsAccepted: Int
    public var valuesAggregated: Int
    public var stringFieldsIgnored: Int
    public var nonFiniteValuesIgnored: Int
    /// Refused points by reason label.
    public var rejected: [String: Int]
    public var segments: Int
}

/// Errors of the engine's own making.
public enum EngineError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The engine was closed.
    case closed
    /// One write of `bytes` bytes exceeds the largest WAL record (`limit` bytes); split it.
    case writeTooLarge(bytes: Int, limit: Int)

    public var description: String {
        switch self {
        case .closed: "the engine is closed"
        case let .writeTooLarge(bytes, limit): "a write of \(bytes) bytes exceeds the \(limit)-byte limit of one write; split it into smaller batches"
        }
    }
}
