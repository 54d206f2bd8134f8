import StrataCore

/// Which series a query reads: the measurement, base series or one projection, and the tag conditions.
/// Works on segment postings (stored series) and on series keys (head rows).
struct SeriesSelector {
    let measurement: String
    /// The projection read, nil for the base series.
    let projection: Projection?
    let matchers: [TagMatcher]
    /// Derived tags resolved from base series (empty when reading a projection, whose series store them).
    let derived: [String: DerivedTag]

    /// The value of tag `key` of a series read by this selector.
    func value(of key: String, in series: SeriesKey) -> String? {
        if let value = series.value(of: key) { return value }
        if let tag = derived[key] { return tag.value(from: series.value(of: tag.source)) }
        return nil
    }

    /// Whether a stored or projected series passes every condition.
    func accepts(_ series: SeriesKey) -> Bool {
        matchers.allSatisfy { $0.accepts(value(of: $0.key, in: series)) }
    }

    /// The selected series ids of a segment, ascending. A filter whose matching postings lists are
    /// more than `keyTestRatio` times longer than the series selected so far is tested on those
    /// series' keys instead of by decoding the lists (same result).
    func select(_ index: PostingIndex, keyTestRatio: Int = 32) throws(CorruptionError) -> [UInt32] {
        let measurements = index.values(of: "")
        guard let measurementEntry = measurements.first(where: { $0.value == measurement }) else { return [] }
        let projectionEntries = index.values(of: Projection.tagKey)
        var ids: [UInt32]
        if let projection {
            guard let entry = projectionEntries.first(where: { $0.value == projection.name }) else { return [] }
            ids = try index.ids(entry.index)
            // The measurement's list holds every series of a one-measurement segment: no need to decode it.
            if measurements.count > 1 { ids = SortedIDs.intersection(ids, try index.ids(measurementEntry.index)) }
        } else {
            ids = try index.ids(measurementEntry.index)
            ids = SortedIDs.subtracting(ids, try index.union(projectionEntries.map(\.index)))
        }
        for matcher in matchers where !ids.isEmpty {
            var hits: [Int] = []
            if let tag = derived[matcher.key] {
                for (value, entry) in index.values(of: tag.source) where tag.value(from: value).map(matcher.hits) == true { hits.append(entry) }
            } else {
                for (value, entry) in index.values(of: matcher.key) where matcher.hits(value) { hits.append(entry) }
            }
            // A few selected series (a projection's) against long lists (that also hold the base
            // series): testing the selected series' keys is cheaper than decoding the lists.
            if Double(hits.reduce(0, { $0 + index.listCount($1) })) > Double(keyTestRatio) * Double(ids.count) {
                var kept: [UInt32] = []
                for id in ids where matcher.accepts(value(of: matcher.key, in: try index.reader.seriesKey(Int(id)))) { kept.append(id) }
                ids = kept
                continue
            }
            let matching = try index.union(hits)
            ids = matcher.isPositive ? SortedIDs.intersection(ids, matching) : SortedIDs.subtracting(ids, matching)
        }
        return ids
    }
}
