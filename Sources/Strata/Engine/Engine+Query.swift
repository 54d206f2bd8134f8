import Synchronization
import StrataCore
import StrataIO

extension Engine {
    /// Answers `query` from the head and the segments of every granularity (see ``QueryPlan`` and the
    /// README section "Queries (library API)" for the rules). Throws ``QueryError`` for a bad query or
    /// an exceeded bound, ``CorruptionError`` for a damaged segment.
    public func query(_ query: Query, limits: QueryLimits = QueryLimits()) throws -> QueryResult {
        let range = try query.validated()
        if let step = query.step, (range.end - range.start + step - 1) / step > Int64(limits.maxPoints) {
            throw QueryError.tooManyPoints(limit: limits.maxPoints)
        }
        let selector = try selector(for: query)
        let snapshot = querySnapshot(measurement: query.measurement)
        let plan = QueryPlan(start: range.start, end: range.end, step: query.step, availability: snapshot.availability)
        var executor = QueryExecutor(query: query, plan: plan, selector: selector, limits: limits)
        return try executor.run(snapshot)
    }

    /// The projection answering `query` (the one with the fewest tags covering its filters and
    /// group-by), or nil for the base series.
    public func projection(for query: Query) -> Projection? {
        guard query.useProjections else { return nil }
        let needed = Set(query.filters.map(\.key) + query.groupBy)
        return configuration.projections
            .filter { $0.measurement == query.measurement && needed.isSubset(of: $0.tagNames) }
            .min { $0.tagNames.count < $1.tagNames.count }
    }

    func selector(for query: Query) throws(QueryError) -> SeriesSelector {
        var matchers: [TagMatcher] = []
        for filter in query.filters { matchers.append(try TagMatcher.compile(filter)) }
        let projection = projection(for: query)
        return SeriesSelector(measurement: query.measurement, projection: projection, matchers: matchers,
                              derived: projection == nil ? Projector.derivedTags(configuration.projections, measurement: query.measurement) : [:])
    }

    /// Manifest availability, live readers and the head rows of `measurement` (nil: all), atomically.
    /// Rows of a flush whose manifest is already published (but not yet cleared) are left out, so
    /// nothing is counted twice. Queries that see the same head state share one ``HeadView`` (see
    /// ``HeadViewCache``): copying the head into rows is the largest fixed cost of a query.
    func querySnapshot(measurement: String?) -> QuerySnapshot {
        // Shared with writers, exclusive of a flush's cut: the head and the drained rows agree.
        cut.withShared { state.withLock { state in
            var segments: [Granularity: [SegmentReader]] = [:]
            for segment in state.manifest.segments {
                if let reader = state.segments[segment.relativePath] { segments[segment.granularity, default: []].append(reader) }
            }
            let published = !state.pendingFlushMarks.isEmpty && state.pendingFlushMarks.allSatisfy { state.manifest.flushMarks.contains($0) }
            let fingerprint = HeadFingerprint(
                valuesAggregated: head.statistics.valuesAggregated, buckets: head.bucketCount, series: head.seriesCount,
                flushing: state.flushing.count, drained: state.drained.count, pendingFlushMarks: state.pendingFlushMarks.count,
                published: published, nextSegmentSequence: state.manifest.nextSegmentSequence, flushMarks: state.manifest.flushMarks.count)
            let headView = HeadViewCache.shared.view(engine: self, measurement: measurement, fingerprint: fingerprint) {
                var rows = head.rows()
                if !published { rows += state.flushing + state.drained.flatMap { $0.rows() } }
                if let measurement { rows.removeAll { $0.series.measurement != measurement } }
                return rows
            }
            return QuerySnapshot(availability: QueryPlan.Availability(state.manifest), segments: segments, head: headView)
        } }
    }
}

/// What identifies a state of the head (and of the drained, not yet published rows), read under
/// the engine lock: every write that reaches the head aggregates at least one value
/// (`valuesAggregated` only grows while the engine is open), a flush moves buckets out of the head
/// and into `drained`/`flushing`, and publishing one advances the manifest's segment sequence.
struct HeadFingerprint: Equatable, Sendable {
    var valuesAggregated: Int
    var buckets: Int
    var series: Int
    var flushing: Int
    var drained: Int
    var pendingFlushMarks: Int
    var published: Bool
    var nextSegmentSequence: UInt64
    var flushMarks: Int
}

/// The head rows of one measurement as of one head state, with the keys of their projections
/// (computed once per projection and shared by every query of that state).
final class HeadView: Sendable {
    let rows: [BucketRow]
    private let projected = Mutex<[String: [SeriesKey?]]>([:])
    private let merged = Mutex<[String: [(series: SeriesKey, start: Int64, aggregate: FieldAggregate)]]>([:])

    init(rows: [BucketRow]) { self.rows = rows }

    /// `projection`'s key of each row (nil for rows it does not cover), in row order.
    func keys(of projection: Projection) -> [SeriesKey?] {
        if let cached = projected.withLock({ $0[projection.name] }) { return cached }
        let keys = rows.map { projection.key(for: $0.series) }
        projected.withLock { $0[projection.name] = keys }
        return keys
    }

    /// `projection`'s rows of `field`: the rows' aggregates merged per (projected series, minute), in
    /// order of first appearance. Counts, min and max are exact; sums are added in another order than
    /// row by row, so queries whose answer is a sum read ``keys(of:)`` instead.
    func mergedRows(of projection: Projection, field: String) -> [(series: SeriesKey, start: Int64, aggregate: FieldAggregate)] {
        let cacheKey = projection.name + "\u{0}" + field
        if let cached = merged.withLock({ $0[cacheKey] }) { return cached }
        let keys = keys(of: projection)
        var index: [HashableBytes: [Int64: Int]] = [:]
        var result: [(series: SeriesKey, start: Int64, aggregate: FieldAggregate)] = []
        for (r, row) in rows.enumerated() {
            guard let key = keys[r], let aggregate = row.aggregate(field), aggregate.count > 0 else { continue }
            let bytes = HashableBytes(key.canonicalBytes)
            if let i = index[bytes]?[row.start] {
                result[i].aggregate.merge(aggregate)
            } else {
                index[bytes, default: [:]][row.start] = result.count
                result.append((key, row.start, aggregate))
            }
        }
        for i in result.indices { result[i].aggregate.digest.compress() }
        merged.withLock { $0[cacheKey] = result }
        return result
    }
}

/// The most recent ``HeadView``s, per engine and measurement, reused while the head's
/// ``HeadFingerprint`` is unchanged (a dashboard's queries between two writes).
final class HeadViewCache: Sendable {
    static let shared = HeadViewCache()
    /// Views kept (each holds copies of head rows).
    static let capacity = 4

    private struct Entry {
        weak var engine: Engine?
        var measurement: String?
        var fingerprint: HeadFingerprint
        var view: HeadView
    }

    private let entries = Mutex<[Entry]>([])

    /// The cached view of (`engine`, `measurement`) at `fingerprint`, or a new one from `rows`.
    func view(engine: Engine, measurement: String?, fingerprint: HeadFingerprint, rows: () -> [BucketRow]) -> HeadView {
        let hit: HeadView? = entries.withLock { entries in
            entries.removeAll { $0.engine == nil }
            return entries.first { $0.engine === engine && $0.measurement == measurement && $0.fingerprint == fingerprint }?.view
        }
        if let hit { return hit }
        let view = HeadView(rows: rows())
        entries.withLock { entries in
            entries.removeAll { $0.engine === engine && $0.measurement == measurement }
            entries.append(Entry(engine: engine, measurement: measurement, fingerprint: fingerprint, view: view))
            if entries.count > Self.capacity { entries.removeFirst(entries.count - Self.capacity) }
        }
        return view
    }
}
