import Synchronization
import Logging
import StrataCore
import StrataIO

/// Counters of the compaction engine, for logs and the `/metrics` endpoint.
public struct CompactionStatistics: Sendable, Equatable {
    /// Completed compaction passes (``Engine/compact()`` calls).
    public var runs = 0
    /// The work of every completed pass, added up.
    public var totals = CompactionReport()
    public var errors = 0
    /// Total time spent in compaction passes, seconds.
    public var seconds = 0.0
    /// The last error, if any.
    public var lastError: String?
    /// Per source granularity of a rollup (`1m`, `5m`, `1h`): rows read and seconds spent.
    public var rollupRowsRead: [String: Int] = [:]
    public var rollupSeconds: [String: Double] = [:]
}

/// What one ``Engine/compact()`` pass did (and, in ``CompactionStatistics/totals``, all of them).
public struct CompactionReport: Sendable, Equatable, Codable {
    public var rollups = 0
    public var merges = 0
    public var drops = 0
    /// Rows read from source segments by rollups and merges.
    public var rowsRead = 0
    public var bytesWritten = 0
    /// Bytes of segment files deleted by merges and retention.
    public var bytesDropped = 0

    /// Adds another report's counts to this one.
    public mutating func add(_ other: CompactionReport) {
        rollups += other.rollups
        merges += other.merges
        drops += other.drops
        rowsRead += other.rowsRead
        bytesWritten += other.bytesWritten
        bytesDropped += other.bytesDropped
    }
}

extension Engine {
    /// Runs every due rollup, merge and retention drop now. Ingest and queries go on meanwhile: source
    /// segments are read and new ones written outside the engine lock, which is held only to swap the
    /// manifest.
    @discardableResult
    public func compact() throws -> CompactionReport {
        let started = SystemClock.monotonicNanoseconds()
        var report = CompactionReport()
        do {
            // One job at a time under the maintenance lock, so a flush waits for at most one job.
            while try maintenanceLock.withLock({ _ throws -> Bool in
                guard let job = CompactionPlanner.nextRollup(currentManifest) else { return false }
                try execute(job, &report)
                return true
            }) {}
            while try maintenanceLock.withLock({ _ throws -> Bool in
                guard let job = CompactionPlanner.merges(currentManifest).first else { return false }
                try execute(job, &report)
                return true
            }) {}
            try maintenanceLock.withLock { _ throws in
                if let job = CompactionPlanner.drops(currentManifest, now: configuration.clock(), retention: configuration.retention) {
                    try execute(job, &report)
                }
            }
        } catch {
            state.withLock {
                $0.compaction.errors += 1
                $0.compaction.lastError = "\(error)"
            }
            logger.error("compaction failed", metadata: ["error": "\(error)"])
            throw error
        }
        let seconds = Double(SystemClock.monotonicNanoseconds() - started) / 1e9
        state.withLock { state in
            state.compaction.runs += 1
            state.compaction.totals.add(report)
            state.compaction.seconds += seconds
        }
        if report != CompactionReport() {
            logger.info("compaction pass", metadata: [
                "rollups": "\(report.rollups)", "merges": "\(report.merges)", "drops": "\(report.drops)",
                "rowsRead": "\(report.rowsRead)", "bytesWritten": "\(report.bytesWritten)",
                "bytesDropped": "\(report.bytesDropped)", "seconds": "\(seconds)",
            ])
        }
        return report
    }

    var currentManifest: Manifest { state.withLock { $0.manifest } }

    /// Compaction counters since the engine opened.
    public var compactionStatistics: CompactionStatistics { state.withLock { $0.compaction } }

    private func reader(for segment: Manifest.Segment) throws -> SegmentReader {
        if let reader = state.withLock({ $0.segments[segment.relativePath] }) { return reader }
        return try SegmentReader(path: directory + "/" + segment.relativePath)
    }

    private func execute(_ job: CompactionJob, _ report: inout CompactionReport) throws {
        switch job {
        case let .rollup(from, window, sources):
            let started = SystemClock.monotonicNanoseconds()
            let rowsBefore = report.rowsRead
            defer {
                let seconds = Double(SystemClock.monotonicNanoseconds() - started) / 1e9
                let rows = report.rowsRead - rowsBefore
                state.withLock {
                    $0.compaction.rollupRowsRead[from.name, default: 0] += rows
                    $0.compaction.rollupSeconds[from.name, default: 0] += seconds
                }
            }
            let target = from.coarser!
            // Columns straight from the sources' row groups, merged and re-bucketed without row objects.
            var rows = RowColumns()
            for source in sources { report.rowsRead += try rows.append(reader(for: source), in: window) }
            var written: [WrittenSegment] = []
            if !rows.isEmpty {
                written.append(try writeSegment(rows.merged(rebucketTo: target), granularity: target, sequence: reserveSequences(1)[0]))
            }
            try configuration.faultInjector?(.compactionAfterSegmentsWritten)
            try commit(adding: written) { $0.setRolledUp(before: window.upperBound, for: from) }
            try configuration.faultInjector?(.compactionAfterManifestPublished)
            report.rollups += 1
            report.bytesWritten += written.reduce(0) { $0 + Int($1.entry.byteCount) }
            logger.debug("rolled up", metadata: ["from": "\(from)", "window": "\(window)", "sources": "\(sources.count)"])
        case let .merge(granularity, sources):
            var rows = RowColumns()
            for source in sources { report.rowsRead += try rows.append(reader(for: source)) }
            // One segment per merge window, as a flush writes them.
            let merged = rows.merged()
            var windows: [[Int32]?] = []
            if !merged.isEmpty { windows = merged.windows(CompactionPlanner.mergeWindow(granularity)).map { $0.map { Optional($0) } } ?? [nil] }
            let sequences = reserveSequences(windows.count)
            var written: [WrittenSegment] = []
            for (index, window) in windows.enumerated() {
                written.append(try writeSegment(merged, only: window, granularity: granularity, sequence: sequences[index]))
            }
            try configuration.faultInjector?(.compactionAfterSegmentsWritten)
            try commit(adding: written, removing: sources)
            try configuration.faultInjector?(.compactionAfterManifestPublished)
            try deleteSegmentFiles(sources)
            try configuration.faultInjector?(.compactionAfterSourcesDeleted)
            report.merges += 1
            report.bytesWritten += written.reduce(0) { $0 + Int($1.entry.byteCount) }
            report.bytesDropped += sources.reduce(0) { $0 + Int($1.byteCount) }
        case let .drop(segments):
            try commit(removing: segments) { manifest in
                for segment in segments {
                    let index = Int(segment.granularity.rawValue) - 1
                    manifest.droppedBefore[index] = max(manifest.droppedBefore[index], segment.maxStart + segment.granularity.seconds)
                }
            }
            try configuration.faultInjector?(.compactionAfterManifestPublished)
            try deleteSegmentFiles(segments)
            try configuration.faultInjector?(.compactionAfterSourcesDeleted)
            report.drops += segments.count
            report.bytesDropped += segments.reduce(0) { $0 + Int($1.byteCount) }
            logger.info("retention dropped segments", metadata: ["segments": "\(segments.map(\.relativePath))"])
        }
    }

    /// Flushes and compacts every ``EngineConfiguration/maintenanceIntervalSeconds`` until the task is
    /// cancelled; with ``WALSyncPolicy/interval(milliseconds:)`` it also fsyncs the WAL at that interval.
    /// Errors are logged and counted; the loops go on.
    public func runMaintenance() async {
        maintenanceRunning.store(true, ordering: .relaxed)
        defer { maintenanceRunning.store(false, ordering: .relaxed) }
        await withTaskGroup(of: Void.self) { group in
            if case let .interval(milliseconds) = configuration.walSyncPolicy {
                group.addTask { await self.runWALSync(every: milliseconds) }
            }
            group.addTask {
                // Ticks every second: a full step (flush when due, compaction) every maintenance
                // interval, and an early flush in between when the head grows past its bucket budget.
                var secondsSinceStep: Int64 = 0
                while !Task.isCancelled {
                    try? await Task.sleep(nanoseconds: 1_000_000_000)
                    if Task.isCancelled { break }
                    secondsSinceStep += 1
                    do {
                        if secondsSinceStep >= self.configuration.maintenanceIntervalSeconds {
                            secondsSinceStep = 0
                            try self.maintenanceStep()
                        } else if self.headNeedsEarlyFlush() {
                            try self.flush()
                        }
                    } catch {
                        self.logger.error("maintenance failed", metadata: ["error": "\(error)"])
                    }
                }
            }
        }
    }

    /// Fsyncs the WAL every `milliseconds` until cancelled (the `interval` sync policy).
    func runWALSync(every milliseconds: Int) async {
        while !Task.isCancelled {
            try? await Task.sleep(nanoseconds: UInt64(milliseconds) * 1_000_000)
            do {
                try wal.syncAll()
            } catch {
                logger.error("WAL fsync failed", metadata: ["error": "\(error)"])
            }
        }
    }

    /// One maintenance step: flush when the head holds a closed minute older than the flush interval,
    /// then compact.
    /// Whether the head holds at least ``EngineConfiguration/headFlushBuckets`` buckets and some are
    /// closed (flushable).
    func headNeedsEarlyFlush() -> Bool {
        let closedBefore = Granularity.minute.bucketStart(ofSeconds: configuration.clock() - configuration.flushGraceSeconds)
        guard head.bucketCount >= configuration.headFlushBuckets, let range = head.minuteRange else { return false }
        return range.lowerBound < closedBefore
    }

    public func maintenanceStep() throws {
        let now = configuration.clock()
        let oldest = head.minuteRange?.lowerBound
        if let oldest, oldest + 60 + configuration.flushGraceSeconds <= now - configuration.flushIntervalSeconds + 60 {
            try flush()
        }
        try compact()
    }
}
