import StrataCore

/// One unit of compaction work. Each job is published with one manifest update, so a crash leaves
/// either none or all of its effect.
enum CompactionJob: Sendable, Equatable {
    /// Aggregate the `from` rows with bucket starts in `window` into `from.coarser` buckets, and record
    /// `from` as rolled up before `window.upperBound`. The source segments stay (retention drops them).
    case rollup(from: Granularity, window: Range<Int64>, sources: [Manifest.Segment])
    /// Rewrite `sources` (all of `granularity`, in closed merge windows) as one segment per merge window.
    case merge(granularity: Granularity, sources: [Manifest.Segment])
    /// Delete these expired, rolled-up segments.
    case drop(segments: [Manifest.Segment])
}

/// Decides what compaction should do, from the manifest alone (pure: no I/O).
///
/// Contract:
/// - **Rollups** run from `rolledUpBefore[g]` up to the last `g.coarser` boundary at or before what
///   `g` has sealed: for 1m, `sealedBefore` (every minute before it has been flushed); for 5m, 1h and
///   1d, the finer granularity's `rolledUpBefore`. So `rolledUpBefore[1h] ≤ rolledUpBefore[5m] ≤
///   rolledUpBefore[1m] ≤ sealedBefore` always holds. A window is processed in chunks (1m→5m one hour,
///   5m→1h one day, 1h→1d 30 days) to bound memory.
/// - **Merges** rewrite the segments of a granularity's *merge window* (1m: 1 hour, 5m: 1 day,
///   1h: 30 days, 1d: 360 days, aligned to the epoch) into one segment per window: when the window is
///   closed (its end ≤ the sealed boundary) and holds more than one segment or a segment that spans
///   windows, or, open or not, when it holds more than ``maxSegmentsPerOpenWindow(_:)`` segments (1m:
///   12, coarser: 4). So each granularity keeps at most one file per closed window plus at most 12
///   (1m) or 4 per open window (late-data deltas included): with default retentions about 24 + 12
///   files of 1m, 28 + 4 of 5m, 90 + 4 of 1h and 1 per 30 days + 4 of 1d. Windows and rollup chunks are sized so that one job holds at
///   most an hour of 1m or 5m rows, six hours of 5m rows or a day of 1h rows in memory.
/// - **Drops** delete a segment once its newest bucket ended more than the retention ago and (except
///   for the coarsest granularity) it lies entirely before `rolledUpBefore` of its granularity.
/// - With no segments, nothing is planned.
enum CompactionPlanner {
    /// Merge window width (seconds) per granularity.
    static func mergeWindow(_ granularity: Granularity) -> Int64 {
        switch granularity {
        case .minute: 3_600
        case .fiveMinutes: 6 * 3_600
        case .hour: 86_400
        case .day: 30 * 86_400
        }
    }

    /// Rollup chunk (seconds) per target granularity.
    static func rollupChunk(_ target: Granularity) -> Int64 {
        switch target {
        case .minute, .fiveMinutes, .hour: 3_600
        case .day: 86_400
        }
    }

    /// Everything `granularity` holds before this instant is complete (late data aside).
    static func sealed(_ granularity: Granularity, _ manifest: Manifest) -> Int64 {
        switch granularity {
        case .minute: manifest.sealedBefore
        default: manifest.rolledUp(before: granularity.finer!)
        }
    }

    static func floor(_ value: Int64, _ width: Int64) -> Int64 {
        if value == Int64.min { return value }
        let q = value / width
        return (value % width < 0 ? q - 1 : q) * width
    }

    /// The next rollup job, or nil when every granularity is rolled up as far as it can be.
    static func nextRollup(_ manifest: Manifest) -> CompactionJob? {
        for from in [Granularity.minute, .fiveMinutes, .hour] {
            let target = from.coarser!
            let sources = manifest.segments.filter { $0.granularity == from }
            guard !sources.isEmpty else { continue }
            var start = manifest.rolledUp(before: from)
            if start == Int64.min { start = floor(sources.map(\.minStart).min()!, target.seconds) }
            let limit = floor(sealed(from, manifest), target.seconds)
            guard limit > start else { continue }
            let end = min(limit, floor(start, rollupChunk(target)) + rollupChunk(target))
            let window = start..<end
            let overlapping = sources.filter { $0.maxStart >= window.lowerBound && $0.minStart < window.upperBound }
            return .rollup(from: from, window: window, sources: overlapping)
        }
        return nil
    }

    /// A window holding more segments than this is merged even while still open. 1m windows (an hour)
    /// fill with a flush a minute, so merging them early would rewrite the hour many times; the coarser
    /// windows get one rollup file an hour, hold little data, and are what long-range queries read, so
    /// they are kept to a few files (a day of 1h data is then at most 5 files, not 13: a quantile over
    /// the last 24 h merges that many fewer digests per series).
    static func maxSegmentsPerOpenWindow(_ granularity: Granularity) -> Int {
        switch granularity {
        case .minute: 12
        case .fiveMinutes, .hour, .day: 4
        }
    }

    /// Merge jobs for every granularity with mergeable windows.
    static func merges(_ manifest: Manifest) -> [CompactionJob] {
        var jobs: [CompactionJob] = []
        for granularity in Granularity.allCases {
            let width = mergeWindow(granularity)
            let closedEnd = floor(sealed(granularity, manifest), width)
            let segments = manifest.segments.filter { $0.granularity == granularity }
            let byWindow = Dictionary(grouping: segments) { floor($0.minStart, width) }
            // One window per job (memory stays bounded by one window's rows), widened only by source
            // files that span several windows (they can be replaced only all at once).
            var sources: [Manifest.Segment] = []
            for (_, group) in byWindow.sorted(by: { $0.key < $1.key }) {
                let closed = closedEnd != Int64.min && group.allSatisfy { $0.maxStart < closedEnd }
                let spans = group.contains { floor($0.minStart, width) != floor($0.maxStart, width) }
                if (closed && (group.count > 1 || spans)) || group.count > maxSegmentsPerOpenWindow(granularity) {
                    sources = group
                    break
                }
            }
            var changed = !sources.isEmpty
            while changed {
                changed = false
                var windows = Set<Int64>()
                for segment in sources {
                    var window = floor(segment.minStart, width)
                    while window <= segment.maxStart {
                        windows.insert(window)
                        window += width
                    }
                }
                for segment in segments where !sources.contains(segment) && windows.contains(floor(segment.minStart, width)) {
                    sources.append(segment)
                    changed = true
                }
            }
            if !sources.isEmpty { jobs.append(.merge(granularity: granularity, sources: sources)) }
        }
        return jobs
    }

    /// The drop job for expired segments, or nil.
    static func drops(_ manifest: Manifest, now: Int64, retention: RetentionPolicy) -> CompactionJob? {
        let expired = manifest.segments.filter { segment in
            guard let keep = retention.seconds(segment.granularity) else { return false }
            let end = segment.maxStart + segment.granularity.seconds
            guard end <= now - keep else { return false }
            return segment.granularity == .day || segment.maxStart < manifest.rolledUp(before: segment.granularity)
        }
        return expired.isEmpty ? nil : .drop(segments: expired)
    }
}
