import StrataCore
import StrataIO

/// A consistent view of what the engine holds, taken under its lock.
struct QuerySnapshot: Sendable {
    var availability: QueryPlan.Availability
    /// Live segment readers per granularity.
    var segments: [Granularity: [SegmentReader]]
    /// Head rows (and rows of a flush not yet published) of the queried measurement; in no segment.
    var head: HeadView
    var headRows: [BucketRow] { head.rows }
}

/// Runs one planned query: selects series by postings, decodes only the row groups holding them
/// (digests only for quantiles), and merges rows per (group, step) into a fixed table bounded by
/// ``QueryLimits``.
struct QueryExecutor {
    let query: Query
    let plan: QueryPlan
    let selector: SeriesSelector
    let limits: QueryLimits
    private let started = SystemClock.monotonicNanoseconds()
    private let digests: Bool
    private var groupIndex: [[String?]: Int] = [:]
    private var groupKeys: [[String?]] = []
    private var cells: [CellAggregate] = []
    /// Every series read so far (canonical key bytes) and its group: parsed and grouped once per
    /// query, however many segments hold it.
    private var seriesGroups: [HashableBytes: Int] = [:]
    private var used: Set<Granularity> = []
    private(set) var statistics = QueryStatistics()

    init(query: Query, plan: QueryPlan, selector: SeriesSelector, limits: QueryLimits) {
        self.query = query
        self.plan = plan
        self.selector = selector
        self.limits = limits
        digests = query.aggregation.needsDigests
    }

    /// Scans everything and builds the result.
    mutating func run(_ snapshot: QuerySnapshot) throws -> QueryResult {
        for granularity in Granularity.allCases.reversed() where plan.span(granularity) != nil {
            for segment in snapshot.segments[granularity] ?? [] { try scan(segment, granularity) }
        }
        try scanHead(snapshot.head)
        return try result()
    }

    private func checkDeadline() throws(QueryError) {
        if Task.isCancelled { throw .cancelled }
        let elapsed = SystemClock.monotonicNanoseconds() - started
        if elapsed >= UInt64(Swift.max(0, limits.timeoutMilliseconds)) * 1_000_000 { throw .timeout(milliseconds: limits.timeoutMilliseconds) }
    }

    /// The group of a series read (counted against ``QueryLimits/maxSeries``); `key` parses its
    /// key, called only the first time the query meets it.
    private mutating func group(ofSeries bytes: [UInt8], key: () throws(CorruptionError) -> SeriesKey) throws -> Int {
        let bytes = HashableBytes(bytes)
        if let g = seriesGroups[bytes] { return g }
        if seriesGroups.count >= limits.maxSeries { throw QueryError.tooManySeries(limit: limits.maxSeries) }
        let g = try group(for: try key())
        seriesGroups[bytes] = g
        return g
    }

    private mutating func group(for series: SeriesKey) throws(QueryError) -> Int {
        let key = query.groupBy.map { selector.value(of: $0, in: series) }
        if let index = groupIndex[key] { return index }
        if query.limit == nil, (groupKeys.count + 1) * plan.cellCount > limits.maxPoints { throw .tooManyPoints(limit: limits.maxPoints) }
        groupIndex[key] = groupKeys.count
        groupKeys.append(key)
        cells += Array(repeating: CellAggregate(), count: plan.cellCount)
        return groupKeys.count - 1
    }

    /// The columns the aggregation reads besides start, field and count.
    private var wantedColumns: SegmentReader.ColumnSet {
        switch query.aggregation {
        case .count, .rate: []
        case .sum, .avg: .sums
        case .min: .mins
        case .max: .maxes
        case .quantile: .digests
        }
    }

    /// Scans one segment: selects series by postings, then reads only the selected series' row
    /// ranges of the row groups holding them (columns come decoded from ``ColumnCache``).
    private mutating func scan(_ segment: SegmentReader, _ granularity: Granularity) throws {
        guard let span = plan.span(granularity), segment.maxStart >= span.lowerBound, segment.minStart < span.upperBound else { return }
        try checkDeadline()
        guard let fieldID = try segment.fieldNames().firstIndex(of: query.field).map(UInt32.init) else { return }
        let ids = try selector.select(PostingIndex(segment))
        guard !ids.isEmpty else { return }
        // Selected series' row ranges (ascending: rows are sorted by series id) and their groups.
        var rowRanges: [Range<Int>] = []
        var rangeGroups: [Int] = []
        let wanted = wantedColumns
        let cellCount = plan.cellCount
        let pieces = plan.ranges(granularity)
        // For quantiles, the series of a group whose buckets read here all fall in one step are added
        // as one cached summary of those rows (their digests merged once), not row by row and not
        // series by series: the group's cell then merges one digest per segment. (Other
        // aggregations cost a few nanoseconds a row, less than a summary lookup.)
        let summaries = digests
        var summarized = 0
        // Targets in order of first appearance (series ids ascending), so cells merge summaries in
        // the same order every time; two targets can share a cell (two ranges of one step).
        var targets: [SummaryTarget] = []
        var members: [SummaryTarget: [(id: Int, entry: SegmentReader.SeriesEntry)]] = [:]
        let segmentSpan = segment.minStart..<(segment.maxStart + 1)
        // Series whose buckets read here span several steps, per group (in order of first appearance).
        var spanningGroups: [Int] = []
        var spanning: [Int: [(id: Int, entry: SegmentReader.SeriesEntry)]] = [:]
        for id in ids {
            let entry = try segment.seriesEntry(Int(id))
            guard entry.rowCount > 0, entry.maxStart >= span.lowerBound, entry.minStart < span.upperBound else { continue }
            let g = try group(ofSeries: try segment.seriesKeyBytes(Int(id))) { () throws(CorruptionError) in try segment.seriesKey(Int(id)) }
            if summaries, let window = summaryWindow(entry, pieces, clampedTo: segmentSpan) {
                let target = SummaryTarget(group: g, window: window)
                if members[target] == nil { targets.append(target) }
                members[target, default: []].append((Int(id), entry))
                continue
            }
            if summaries {
                if spanning[g] == nil { spanningGroups.append(g) }
                spanning[g, default: []].append((Int(id), entry))
                continue
            }
            rangeGroups.append(g)
            rowRanges.append(entry.firstRow..<(entry.firstRow + entry.rowCount))
        }
        var putBack = false
        for target in targets {
            let series = members[target]!
            guard let summary = try segment.groupSummary(series, field: fieldID, window: target.window, wanted) else {
                for (_, entry) in series {
                    rangeGroups.append(target.group)
                    rowRanges.append(entry.firstRow..<(entry.firstRow + entry.rowCount))
                }
                putBack = true
                continue
            }
            cells[target.group * cellCount + plan.cell(of: target.window.lowerBound)].add(
                count: summary.count, sum: summary.sum, min: summary.min, max: summary.max, summary: summary.digest)
            for (_, entry) in series { statistics.rowsRead += entry.rowCount }
            summarized += series.count
        }
        // A group's series spanning several steps: one cached summary per step they cover (each
        // step's rows of all of them merged once), when that saves merges (several series, or
        // several buckets of this granularity per step); row by row otherwise.
        for g in spanningGroups {
            let series = spanning[g]!
            if series.count > 1 || granularity.seconds < plan.cellWidth,
               let windows = stepWindows(series, pieces, clampedTo: segmentSpan),
               let summaries = try segment.groupSummaries(series, field: fieldID, windows: windows, wanted) {
                for (window, summary) in zip(windows, summaries) where summary.count > 0 {
                    cells[g * cellCount + plan.cell(of: window.lowerBound)].add(
                        count: summary.count, sum: summary.sum, min: summary.min, max: summary.max, summary: summary.digest)
                }
                for (_, entry) in series { statistics.rowsRead += entry.rowCount }
                summarized += series.count
                continue
            }
            for (_, entry) in series {
                rangeGroups.append(g)
                rowRanges.append(entry.firstRow..<(entry.firstRow + entry.rowCount))
            }
            putBack = true
        }
        if summarized > 0 { used.insert(granularity) }
        if putBack {
            // Ranges put back from targets without a summary: the row-group walk needs them in row order.
            let order = rowRanges.indices.sorted { rowRanges[$0].lowerBound < rowRanges[$1].lowerBound }
            rowRanges = order.map { rowRanges[$0] }
            rangeGroups = order.map { rangeGroups[$0] }
        }
        guard summarized > 0 || !rowRanges.isEmpty else { return }
        statistics.segmentsRead += 1
        var next = 0
        for (index, entry) in try segment.rowGroupEntries().enumerated() {
            let rows = entry.firstRow..<(entry.firstRow + entry.rowCount)
            while next < rowRanges.count && rowRanges[next].upperBound <= rows.lowerBound { next += 1 }
            guard next < rowRanges.count, rowRanges[next].lowerBound < rows.upperBound else { continue }
            guard entry.maxStart >= span.lowerBound, entry.minStart < span.upperBound else { continue }
            try checkDeadline()
            let columns = try segment.columns(index, entry, wanted)
            statistics.rowGroupsRead += 1
            used.insert(granularity)
            // Every bucket of the group is to be read: no per-row plan lookup.
            let whole = QueryPlan.includesAll(pieces, entry.minStart...entry.maxStart)
            var k = next
            while k < rowRanges.count && rowRanges[k].lowerBound < rows.upperBound {
                let low = Swift.max(rowRanges[k].lowerBound, rows.lowerBound) - rows.lowerBound
                let high = Swift.min(rowRanges[k].upperBound, rows.upperBound) - rows.lowerBound
                let base = rangeGroups[k] * cellCount
                statistics.rowsRead += high - low
                for i in low..<high where columns.fields[i] == fieldID {
                    let start = columns.starts[i]
                    guard whole || QueryPlan.includes(pieces, start) else { continue }
                    let cell = base + plan.cell(of: start)
                    let count = columns.counts[i]
                    switch query.aggregation {
                    case .count, .rate:
                        cells[cell].count += count
                    case .sum, .avg:
                        cells[cell].count += count
                        cells[cell].sum += columns.sums[i]
                    case .min:
                        cells[cell].add(count: count, sum: columns.sums[i], min: columns.mins[i], max: -.infinity, digest: nil)
                    case .max:
                        cells[cell].add(count: count, sum: columns.sums[i], min: .infinity, max: columns.maxes[i], digest: nil)
                    case .quantile:
                        let d = columns.digests!
                        cells[cell].count += count
                        cells[cell].sum += columns.sums[i]
                        cells[cell].digest.merge(centroids: d.centroids(of: i), count: count, sum: columns.sums[i],
                                                 min: d.minimums[i], max: d.maximums[i], lossless: d.lossless[i])
                    }
                }
                k += 1
            }
        }
    }

    /// A group's cell and the window of bucket starts summarised for it in one segment.
    private struct SummaryTarget: Hashable {
        var group: Int
        var window: Range<Int64>
    }

    /// When the buckets of a series (stored at `entry`) that the plan reads all lie in one planned
    /// range and one step, the window of bucket starts to summarise: that range ∩ that step ∩
    /// `segmentSpan` (the segment's bucket starts). It holds exactly the series' rows the plan
    /// reads, and it is the same for every series of the segment read in that range and step, so
    /// they can share one summary. Nil otherwise (or when none is read).
    private func summaryWindow(_ entry: SegmentReader.SeriesEntry, _ pieces: [Range<Int64>], clampedTo segmentSpan: Range<Int64>) -> Range<Int64>? {
        guard let p = pieces.firstIndex(where: { $0.upperBound > entry.minStart }) else { return nil }
        if p + 1 < pieces.count, pieces[p + 1].lowerBound <= entry.maxStart { return nil }
        let low = Swift.max(entry.minStart, pieces[p].lowerBound)
        let high = Swift.min(entry.maxStart + 1, pieces[p].upperBound)
        guard low < high else { return nil }
        let k = plan.cell(of: low)
        guard k == plan.cell(of: high - 1) else { return nil }
        let (cellStart, width) = plan.cellBounds(k)
        let windowLow = Swift.max(pieces[p].lowerBound, cellStart, segmentSpan.lowerBound)
        let windowHigh = Swift.min(pieces[p].upperBound, cellStart + width, segmentSpan.upperBound)
        return windowLow..<windowHigh
    }

    /// The most steps one group's spanning series are summarised over in one segment; beyond it
    /// they are read row by row (the summaries would cost more cache than they save).
    static let maximumStepWindows = 4_096

    /// The windows of bucket starts, one per step, covering what the plan reads of `series`' buckets
    /// in a segment: each planned range ∩ the series' bucket span ∩ `segmentSpan`, cut at step
    /// boundaries (ascending, disjoint). Nil when there are more than ``maximumStepWindows``.
    private func stepWindows(_ series: [(id: Int, entry: SegmentReader.SeriesEntry)], _ pieces: [Range<Int64>],
                             clampedTo segmentSpan: Range<Int64>) -> [Range<Int64>]? {
        var low = Int64.max, high = Int64.min
        for (_, entry) in series {
            low = Swift.min(low, entry.minStart)
            high = Swift.max(high, entry.maxStart + 1)
        }
        low = Swift.max(low, segmentSpan.lowerBound)
        high = Swift.min(high, segmentSpan.upperBound)
        var windows: [Range<Int64>] = []
        for piece in pieces where piece.upperBound > low && piece.lowerBound < high {
            var a = Swift.max(piece.lowerBound, low)
            let b = Swift.min(piece.upperBound, high)
            var k = plan.cell(of: a)
            while a < b {
                let (cellStart, width) = plan.cellBounds(k)
                let e = Swift.min(b, cellStart + width)
                windows.append(a..<e)
                guard windows.count <= Self.maximumStepWindows else { return nil }
                a = e
                k += 1
            }
        }
        return windows
    }

    private mutating func scanHead(_ head: HeadView) throws {
        try checkDeadline()
        if let projection = selector.projection, query.aggregation != .sum, query.aggregation != .avg {
            // Aggregations that do not depend on the order of additions read the head's rows
            // already merged per projected series and minute (shared by the queries of this head state).
            for row in head.mergedRows(of: projection, field: query.field) where row.start >= plan.start && row.start < plan.end {
                guard selector.accepts(row.series) else { continue }
                let g = try group(ofSeries: row.series.canonicalBytes) { row.series }
                statistics.rowsRead += 1
                used.insert(.minute)
                let aggregate = row.aggregate
                cells[g * plan.cellCount + plan.cell(of: row.start)].add(
                    count: aggregate.count, sum: aggregate.sum, min: aggregate.min, max: aggregate.max,
                    digest: digests ? aggregate.digest : nil)
            }
            return
        }
        let projected = selector.projection.map { head.keys(of: $0) }
        for (r, row) in head.rows.enumerated() where row.start >= plan.start && row.start < plan.end {
            let series: SeriesKey
            if let projected {
                guard let key = projected[r] else { continue }
                series = key
            } else {
                guard row.series.measurement == query.measurement, row.series.value(of: Projection.tagKey) == nil else { continue }
                series = row.series
            }
            guard selector.accepts(series), let aggregate = row.aggregate(query.field), aggregate.count > 0 else { continue }
            let g = try group(ofSeries: series.canonicalBytes) { series }
            statistics.rowsRead += 1
            used.insert(.minute)
            cells[g * plan.cellCount + plan.cell(of: row.start)].add(
                count: aggregate.count, sum: aggregate.sum, min: aggregate.min, max: aggregate.max,
                digest: digests ? aggregate.digest : nil)
        }
    }

    private mutating func result() throws(QueryError) -> QueryResult {
        if groupKeys.isEmpty && query.groupBy.isEmpty { _ = try group(for: SeriesKey(measurement: query.measurement, tags: [])) }
        var series: [ResultSeries] = []
        series.reserveCapacity(groupKeys.count)
        // Each cell's digest is settled once here (its pending summaries merged, then compressed; on
        // both cores when there are many), instead of in a temporary copy by each quantile; the total
        // merges the settled cells one by one. (Merging a total's ~288 cells all at once with
        // TDigest.merging was measured slower for (b) when it used the standard sort; not re-measured
        // since sorted runs are merged instead.)
        if digests { Self.compressDigests(&cells) }
        for (g, key) in groupKeys.enumerated() {
            var total = CellAggregate()
            var points: [ResultPoint] = []
            for k in 0..<plan.cellCount {
                let cell = cells[g * plan.cellCount + k]
                total.merge(cell, digests: digests)
                let (start, width) = plan.cellBounds(k)
                let value = cell.value(query.aggregation, width: width)
                switch (value, query.fill) {
                case (nil, .none): continue
                case (nil, .zero): points.append(ResultPoint(time: start * 1_000, value: 0))
                default: points.append(ResultPoint(time: start * 1_000, value: value))
                }
            }
            var tags: [String: String] = [:]
            for (name, value) in zip(query.groupBy, key) { if let value { tags[name] = value } }
            series.append(ResultSeries(tags: tags, points: points, total: total.value(query.aggregation, width: plan.end - plan.start)))
        }
        let order: [Int] = Array(series.indices).sorted { a, b in
            if let direction = query.order, series[a].total != series[b].total {
                guard let x = series[a].total else { return false }
                guard let y = series[b].total else { return true }
                return direction == .ascending ? x < y : x > y
            }
            return Self.precedes(groupKeys[a], groupKeys[b])
        }
        var sorted = order.map { series[$0] }
        if let limit = query.limit, sorted.count > limit { sorted.removeLast(sorted.count - limit) }
        let points = sorted.reduce(0) { $0 + $1.points.count }
        if points > limits.maxPoints { throw .tooManyPoints(limit: limits.maxPoints) }
        statistics.seriesTouched = seriesGroups.count
        statistics.granularities = used.sorted()
        statistics.unansweredSeconds = plan.unansweredSeconds
        statistics.elapsedMilliseconds = Double(SystemClock.monotonicNanoseconds() - started) / 1e6
        return QueryResult(start: plan.start, end: plan.end, step: plan.cellWidth, granularity: used.max(),
                           projection: selector.projection?.name, series: sorted, statistics: statistics)
    }

    /// Settles every cell's digest (merges its pending summaries and compresses it); splits the
    /// work over two threads when many cells have work (merging sorted runs and a compression pass
    /// per cell).
    private static func compressDigests(_ cells: inout [CellAggregate]) {
        let unsettled = cells.reduce(0) { $0 + ($1.isUnsettled ? 1 : 0) }
        guard unsettled >= 64 else {
            for i in cells.indices { cells[i].settle() }
            return
        }
        let middle = cells.count / 2
        let input = cells
        let (first, second) = onTwoThreads { p in
            var part = Array(p == 0 ? input[..<middle] : input[middle...])
            for i in part.indices { part[i].settle() }
            return part
        }
        cells = first + second
    }

    private static func precedes(_ a: [String?], _ b: [String?]) -> Bool {
        for (x, y) in zip(a, b) where x != y {
            guard let x else { return true }
            guard let y else { return false }
            return x < y
        }
        return false
    }
}
