import StrataCore
import StrataIO

/// Everything an ``Engine`` needs to know; every field has a working default.
public struct EngineConfiguration: Sendable {
    /// The data directory (created when missing). Holds `MANIFEST`, `wal/`, `1m/`, `5m/`, `1h/`, `1d/`.
    public var dataDirectory: String
    /// When WAL appends are fsynced. Default ``WALSyncPolicy/everyWrite`` (group commit).
    public var walSyncPolicy: WALSyncPolicy = .everyWrite
    /// A WAL file rolls over once it would exceed this many bytes. Default 64 MiB.
    public var walRollSize: Int = 64 << 20
    /// Line-protocol parsing limits.
    public var parseLimits: LineProtocolLimits = .default
    /// Admission rules for parsed points (future/old timestamps, series caps).
    public var headLimits = HeadLimits()
    /// A minute bucket is flushed to a segment once the clock is this many seconds past its end.
    /// Points for a minute that arrive later still count: they go into a new bucket that is flushed
    /// with a later segment and merged with the first by queries and compaction. Default 120 s.
    public var flushGraceSeconds: Int64 = 120
    /// How long each granularity is kept (1m 24 h, 5m 7 d, 1h 90 d, 1d forever).
    public var retention = RetentionPolicy()
    /// How often ``Engine/runMaintenance()`` flushes the head and compacts. Default 60 s.
    public var maintenanceIntervalSeconds: Int64 = 60
    /// The head is flushed by maintenance once its oldest closed minute is this old, so 1m segments
    /// hold about this much time each. Default 600 s (10 minutes).
    public var flushIntervalSeconds: Int64 = 600
    /// Maintenance flushes the head early, whatever ``flushIntervalSeconds`` says, once it holds this
    /// many buckets and some of them are closed: it bounds the head's memory (a few hundred bytes per
    /// bucket) when clients backfill or send many series. Checked every second. Default 500,000.
    public var headFlushBuckets = 500_000
    /// A flush writes at most about this many buckets at a time (whole minutes, oldest first), as
    /// many times as needed: the rows of one chunk are what a flush holds in memory. Default 250,000.
    public var flushChunkBuckets = 250_000
    /// Writers wait (outside the engine lock, so ingest slows to the flush's pace instead of growing
    /// memory without bound) while the head holds more than this many buckets; the wait ends when
    /// flushes bring it back under, or after 60 s. Default 2,000,000.
    public var headMaxBuckets = 2_000_000
    /// The head is split into this many shards by series, each with a lock of its own, so that
    /// concurrent writes aggregate on several cores at once (see ``ShardedHead``). Default 4; 1 gives
    /// one lock for all writers (and, within a batch that reaches a series cap, line-order admission
    /// of its new series; with more shards, which of them are admitted follows the shards).
    public var headShards = 4
    /// Projections maintained alongside the base series (see ``Projection``). Default:
    /// ``Projection/httpRequestDefaults`` (total, endpoint+method, key, endpoint+status_class,
    /// key+status_class of `http_request`). Applies to minutes flushed after it is set.
    public var projections: [Projection] = Projection.httpRequestDefaults
    /// The engine's clock in Unix seconds (tests inject their own).
    public var clock: @Sendable () -> Int64 = { SystemClock.nowSeconds() }
    /// Called at named steps of WAL appends, flushes and compactions; a test throws from it to
    /// simulate a crash at that step. Nil in production.
    public var faultInjector: (@Sendable (FaultPoint) throws -> Void)? = nil

    public init(dataDirectory: String) {
        self.dataDirectory = dataDirectory
    }
}

/// The steps at which ``EngineConfiguration/faultInjector`` is called.
public enum FaultPoint: String, Sendable, CaseIterable {
    /// A write's record is in the WAL (not yet in the head).
    case afterWALAppend
    /// A flush or compaction wrote and fsynced `<segment>.tmp`.
    case afterSegmentTemporaryWritten
    /// A flush or compaction renamed a segment into place (manifest not yet updated).
    case afterSegmentRenamed
    /// A flush published the new manifest (WAL files not yet deleted).
    case afterManifestPublished
    /// A compaction job wrote its new segment(s) (manifest not yet updated).
    case compactionAfterSegmentsWritten
    /// A compaction job published its manifest (source files not yet deleted).
    case compactionAfterManifestPublished
    /// A compaction job deleted its source files.
    case compactionAfterSourcesDeleted
}
