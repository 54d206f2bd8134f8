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

    /// The selected series ids of a segment, ascending.
    func select(_ index: PostingIndex) throws(CorruptionError) -> [UInt32] {
        guard let measurementEntry = index.values(of: "").first(where: { $0.value == measurement }) else { return [] }
        var ids = try index.ids(measurementEntry.index)
        let projectionEntries = index.values(of: Projection.tagKey)
        if let projection {
            guard let entry = projectionEntries.first(where: { $0.value == projection.name }) else { return [] }
            ids = SortedIDs.intersection(ids, try index.ids(entry.index))
        } else {
            ids = SortedIDs.subtracting(ids, try index.union(projectionEntries.map(\.index)))
        }
        for matcher in matchers where !ids.isEmpty {
            var hits: [Int] = []
            if let tag = derived[matcher.key] {
                for (value, entry) in index.values(of: tag.source) where tag.value(from: value).map(matcher.hits) == true { hits.append(entry) }
            } else {
                for (value, entry) in index.values(of: matcher.key) where matcher.hits(value) { hits.append(entry) }
            }
            let matching = try index.union(hits)
            ids = matcher.isPositive ? SortedIDs.intersection(ids, matching) : SortedIDs.subtracting(ids, matching)
        }
        return ids
    }
}
