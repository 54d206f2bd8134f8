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
/// Thread-safe: parsing runs on the caller's thread; WAL appends are serialised, and concurrent
/// writers aggregate in parallel in the head's shards (``ShardedHead``); with
/// ``WALSyncPolicy/everyWrite`` concurrent writers share fsyncs.
///
/// Locks, always taken in this order: ``cut`` (shared by writes and query snapshots, exclusive for a
/// flush's cut), then ``state``, then a head shard's.
public final class Engine: Sendable {
    struct State: Sendable {
        var manifest: Manifest
        /// Open readers of the live segments, by relative path.
        var segments: [String: SegmentReader]
        /// Rows drained from the head whose segment is not yet published (still visible to queries;
        /// retried by the next flush if this one fails), with the flush marks that cover them.
        var flushing: [BucketRow] = []
        /// Buckets drained by a flush in progress, not yet converted to rows (also visible to queries).
        var drained: [HeadBucketSet] = []
        var pendingFlushMarks: [Manifest.FlushMark] = []
        /// Compaction counters.
        var compaction = CompactionStatistics()
    }

    public let configuration: EngineConfiguration
    /// What opening the data directory found and repaired.
    public let recovery: RecoveryReport
    let logger: Logger
    let wal: WriteAheadLog
    /// The open 1-minute buckets.
    let head: ShardedHead
    /// Held shared from a write's WAL append until its points are in the head, and exclusively while a
    /// flush rolls the WAL and drains the head (see ``CutLock``).
    let cut = CutLock()
    /// Set by ``close()``; later writes are refused.
    let closed = Atomic<Bool>(false)
    let state: Mutex<State>
    /// Serialises flushes (and later compactions) with each other.
    let maintenanceLock = Mutex<Void>(())
    /// Whether ``runMaintenance()`` is running (only then do writers wait for flushes to make room).
    let maintenanceRunning = Atomic<Bool>(false)
    /// Emptied parse batches for reuse by the next writes (see ``recycle(_:)``).
    let parseBatches = Mutex<[ParsedBatch]>([])

    var directory: String { configuration.dataDirectory }
    var walDirectory: String { directory + "/wal" }

    init(configuration: EngineConfiguration, logger: Logger, wal: WriteAheadLog, head: ShardedHead, state: State, recovery: RecoveryReport) {
        self.configuration = configuration
        self.logger = logger
        self.wal = wal
        self.head = head
        self.state = Mutex(state)
        self.recovery = recovery
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
        var batch = parseBatches.withLock { $0.popLast() } ?? ParsedBatch()
        batch.removeAll()
        defer { recycle(batch) }
        LineProtocolParser(precision: precision, limits: configuration.parseLimits).parse(lines, defaultTimestamp: timestamp, into: &batch)
        var result = WriteResult(linesRead: batch.linesRead, pointsAccepted: 0, parseErrors: batch.errors, rejections: [])
        guard !batch.points.isEmpty else { return result }
        // Frame (and LZ4-compress) the WAL record and build the series keys before taking the engine lock.
        let frame = WALFile.frame(WALRecord(precision: precision, defaultTimestamp: timestamp, receivedAt: now, lines: lines))
        let keys = SeriesKeyBatch(batch)
        let partition = head.partition(batch)
        let lsn = try cut.withShared { () throws -> WriteAheadLog.LSN in
            guard !closed.load(ordering: .acquiring) else { throw EngineError.closed }
            let (lsn, file) = try wal.append(frame: frame)
            try configuration.faultInjector?(.afterWALAppend)
            (result.rejections, result.pointsAccepted) = head.apply(batch, keys: keys, partition: partition, nowSeconds: now, walFile: file)
            return lsn
        }
        if configuration.walSyncPolicy == .everyWrite { try wal.sync(through: lsn) }
        waitWhileHeadIsFull()
        return result
    }

    /// Keeps an emptied parse batch for the next write (a few, of moderate size), so writes parse into
    /// memory that is already mapped.
    private func recycle(_ batch: ParsedBatch) {
        guard batch.bytes.capacity <= Self.reusedBatchMaxBytes else { return }
        parseBatches.withLock { pool in
            if pool.count < Self.reusedBatches { pool.append(batch) }
        }
    }

    /// Parse batches kept for reuse (one per concurrently writing connection, up to this many).
    static let reusedBatches = 4
    /// Batches whose text outgrew this are not kept (a rare huge write does not pin its memory): the
    /// pool holds at most `reusedBatches` batches of at most this much text (and its points, tags and
    /// fields, about as much again).
    static let reusedBatchMaxBytes = 32 << 20

    /// Backpressure: while the head holds more than ``EngineConfiguration/headMaxBuckets`` buckets,
    /// the writer waits (outside the lock; maintenance flushes bring the head down), at most 60 s, when
    /// ``runMaintenance()`` is running (an embedder that flushes by itself is never held up). A
    /// TCP connection whose write waits is not read meanwhile, so clients slow down to what flushes
    /// sustain instead of the head outgrowing memory.
    private func waitWhileHeadIsFull() {
        let deadline = SystemClock.monotonicNanoseconds() + 60_000_000_000
        guard maintenanceRunning.load(ordering: .relaxed) else { return }
        while !closed.load(ordering: .relaxed) && head.bucketCount > configuration.headMaxBuckets,
              SystemClock.monotonicNanoseconds() < deadline {
            SystemClock.sleep(milliseconds: 5)
        }
    }

    /// Makes every accepted write durable now (whatever the sync policy).
    public func syncWAL() throws { try wal.syncAll() }

    /// Flushes the whole head, makes everything durable and refuses further writes.
    public func close() throws {
        try flush(everything: true)
        try wal.syncAll()
        cut.withExclusive { closed.store(true, ordering: .releasing) }
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
        cut.withShared {
            state.withLock { state in head.rows() + state.flushing + state.drained.flatMap { $0.rows() } }
        }
    }

    /// Every 1-minute row the engine holds (head and 1m segments), merged per (series, minute).
    public func minuteRows() throws -> [BucketRow] { try rows(.minute) }

    /// Every base-series row stored at `granularity`, merged per (series, bucket); for 1m this includes
    /// the head. (Coarser granularities hold only what compaction has rolled up; projection series are
    /// left out.) Damaged segments throw.
    public func rows(_ granularity: Granularity) throws -> [BucketRow] {
        var merger = RowMerger()
        if granularity == .minute { merger.add(contentsOf: headRows()) }
        for segment in segments(granularity) { merger.add(contentsOf: try segment.allRows()) }
        return merger.result().filter { $0.series.value(of: Projection.tagKey) == nil }
    }

    /// Live counters.
    public var statistics: EngineStatistics {
        let counters = head.statistics
        return EngineStatistics(
            headSeries: head.seriesCount, headBuckets: head.bucketCount,
            pointsAccepted: counters.pointsAccepted, valuesAggregated: counters.valuesAggregated,
            stringFieldsIgnored: counters.stringFieldsIgnored, nonFiniteValuesIgnored: counters.nonFiniteValuesIgnored,
            rejected: Dictionary(uniqueKeysWithValues: counters.rejected.map { ($0.key.label, $0.value) }),
            segments: state.withLock { $0.manifest.segments.count })
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
