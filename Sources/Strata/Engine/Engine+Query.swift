import Synchronization
import StrataCore

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
    /// nothing is counted twice.
    func querySnapshot(measurement: String?) -> QuerySnapshot {
        state.withLock { state in
            var segments: [Granularity: [SegmentReader]] = [:]
            for segment in state.manifest.segments {
                if let reader = state.segments[segment.relativePath] { segments[segment.granularity, default: []].append(reader) }
            }
            var rows = state.head.rows()
            let published = !state.pendingFlushMarks.isEmpty && state.pendingFlushMarks.allSatisfy { state.manifest.flushMarks.contains($0) }
            if !published { rows += state.flushing + state.drained.flatMap { $0.rows() } }
            if let measurement { rows.removeAll { $0.series.measurement != measurement } }
            return QuerySnapshot(availability: QueryPlan.Availability(state.manifest), segments: segments, headRows: rows)
        }
    }
}
