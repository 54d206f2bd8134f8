import Synchronization
import Logging
import StrataCore
import StrataIO

extension Engine {
    /// Writes closed minute buckets (those ending more than ``EngineConfiguration/flushGraceSeconds``
    /// ago) to a new 1m segment; with `everything`, writes every bucket in the head.
    ///
    /// Late rows (minutes already rolled up) are also rolled up into delta segments of each coarser
    /// granularity they belong to, in the same manifest update.
    @discardableResult
    public func flush(everything: Bool = false) throws -> FlushResult {
        try maintenanceLock.withLock { _ throws -> FlushResult in try flushLocked(everything: everything) }
    }

    func flushLocked(everything: Bool) throws -> FlushResult {
        let now = configuration.clock()
        let closedBefore = Granularity.minute.bucketStart(ofSeconds: now - configuration.flushGraceSeconds)
        let cutoff = everything ? Int64.max : closedBefore
        // In chunks of at most `flushChunkBuckets` buckets (whole minutes, oldest first): a flush turns
        // its buckets into rows in memory, so chunks bound what a backfilled head costs to flush.
        var total = FlushResult(segment: nil, bucketRows: 0, bytes: 0)
        while true {
            let chunk = try flushChunk(before: cutoff, closedBefore: closedBefore)
            total.segment = total.segment ?? chunk.segment
            total.bucketRows += chunk.bucketRows
            total.bytes += chunk.bytes
            let more = head.minuteRange.map { $0.lowerBound < cutoff } ?? false
            if !more || chunk.bucketRows == 0 { return total }
        }
    }

    private func flushChunk(before limit: Int64, closedBefore: Int64) throws -> FlushResult {
        var cutoff = limit
        // Cut: roll the WAL and drain due buckets atomically with respect to writers (the cut lock
        // waits for writes between their WAL append and the head). Draining only moves arrays; the
        // buckets become rows below, outside the locks, so writers are not held up.
        // Digest folds first, without the cut lock: the drain below then has little left to fold.
        head.foldPendingValues()
        let cutStarted = SystemClock.monotonicNanoseconds()
        let taken = try cut.withExclusive {
            try state.withLock { state throws -> (drained: [HeadBucketSet], converted: [BucketRow], marks: [Manifest.FlushMark], manifest: Manifest)? in
                if let range = head.minuteRange, range.lowerBound < limit {
                    cutoff = head.cutoff(before: limit, atMostBuckets: configuration.flushChunkBuckets)
                    let walFile = try wal.roll()
                    state.drained += head.drainBuckets(before: cutoff)
                    state.pendingFlushMarks.append(Manifest.FlushMark(walFile: walFile, minuteCutoff: cutoff))
                }
                guard !state.flushing.isEmpty || !state.drained.isEmpty else { return nil }
                return (state.drained, state.flushing, state.pendingFlushMarks, state.manifest)
            }
        }
        guard let taken else { return FlushResult(segment: nil, bucketRows: 0, bytes: 0) }
        let started = SystemClock.monotonicNanoseconds()
        // How long writers were held off (waiting for the cut lock, rolling the WAL, draining).
        let writersHeld = Double(started - cutStarted) / 1e6
        // Field rows in columns, straight from the drained buckets (no per-row objects).
        var base = taken.converted.isEmpty ? RowColumns() : RowColumns(taken.converted)
        for set in taken.drained { base.append(set.columns()) }
        let bucketRows = taken.converted.count + taken.drained.reduce(0) { $0 + $1.count }
        let covered = (marks: taken.marks, manifest: taken.manifest)

        let outputs = Self.flushSegments(base, projections: configuration.projections, rolledUpBefore: covered.manifest.rolledUp(before:))
        let sequences = reserveSequences(outputs.count)
        var written: [WrittenSegment] = []
        for (index, output) in outputs.enumerated() {
            written.append(try writeSegment(output.rows, only: output.indices, granularity: output.granularity, sequence: sequences[index]))
        }
        try commit(adding: written, { manifest in
            manifest.flushMarks += covered.marks
            manifest.sealedBefore = max(manifest.sealedBefore, min(cutoff, closedBefore))
        }, alsoUpdating: { state in
            // The rows are in the published segments now: drop the in-memory copies in the same step.
            state.flushing = []
            state.drained = []
            state.pendingFlushMarks = []
        })
        // WAL files below the oldest one an open bucket (or a write still on its way to the head)
        // depends on are no longer needed.
        let oldestInUse = cut.withExclusive {
            let active = wal.activeSequence
            return min(head.oldestWALFileInUse ?? active, active)
        }
        try configuration.faultInjector?(.afterManifestPublished)
        try wal.removeFiles(below: oldestInUse)
        let bytes = written.reduce(0) { $0 + Int($1.entry.byteCount) }
        let elapsed = Double(SystemClock.monotonicNanoseconds() - started) / 1e6
        logger.info("flushed head", metadata: [
            "segments": "\(written.map(\.entry.relativePath))", "rows": "\(bucketRows)", "bytes": "\(bytes)", "ms": "\(elapsed)",
            "cutMs": "\(writersHeld)",
        ])
        return FlushResult(segment: written.first?.entry.relativePath, bucketRows: bucketRows, bytes: bytes)
    }

    /// The segments a flush writes for base field rows `base` (drained buckets, in drain order): the
    /// 1m segment (base rows plus their projection rows), plus deltas of each coarser granularity for
    /// rows of windows already rolled up (`rolledUpBefore(g)`: where `g`'s rollup has reached), each
    /// split into one segment per merge window, in segment order.
    static func flushSegments(_ base: RowColumns, projections: [Projection],
                              rolledUpBefore: (Granularity) -> Int64) -> [(granularity: Granularity, rows: RowColumns, indices: [Int32]?)] {
        var rows = base
        rows.append(Projector.columnsConcurrently(base, projections))
        var outputs: [(granularity: Granularity, rows: RowColumns)] = [(.minute, rows.merged())]
        for from in [Granularity.minute, .fiveMinutes, .hour] {
            let rolled = rolledUpBefore(from)
            let late = rows.filter { rows.starts[$0] < rolled }
            guard !late.isEmpty else { continue }
            outputs.append((from.coarser!, late.merged(rebucketTo: from.coarser!)))
        }
        // One segment per merge window (1m: hour, 5m: day, …): a backfill that drains a day of minutes
        // at once writes 24 hour files, so rollups and merges later read only the window they work on.
        return outputs.flatMap { granularity, rows -> [(granularity: Granularity, rows: RowColumns, indices: [Int32]?)] in
            guard let windows = rows.windows(CompactionPlanner.mergeWindow(granularity)) else { return [(granularity, rows, nil)] }
            return windows.map { (granularity, rows, $0) }
        }
    }
}
