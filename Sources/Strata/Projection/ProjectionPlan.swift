import StrataCore

/// The order in which a flush folds projections, and what each is folded from: the base rows, or the
/// rows of another projection whose series it can be computed from (``Projection/folds(from:)``).
///
/// A projection that keeps a subset of another's tags is a grouping of that projection's rows, and
/// those are few (one per endpoint, key, status class…) where base rows are one per (endpoint,
/// method, key, status): with the defaults, `key` folds from `key_status_class` and `total` from `key`,
/// so a flush folds its base rows three times instead of five. Counts, minima and maxima are the
/// same either way; sums add the same values in another grouping, and digests merge digests that
/// merged the same values (as rollups do).
struct ProjectionPlan: Sendable, Equatable {
    /// For each projection (by index), the projection it folds from; nil: the base rows.
    let parents: [Int?]
    /// The projections folded from base rows, ascending.
    let roots: [Int]
    /// The others, each after the projection it folds from.
    let derived: [Int]

    init(_ projections: [Projection]) {
        // Each projection's parent: the candidate with the fewest tags (the fewest rows to fold); on a
        // tie the lower index. A parent keeps strictly more tags, or the same tags at a lower index, so
        // following parents always ends at a root.
        let parents: [Int?] = projections.indices.map { p in
            let candidates = projections.indices.filter { q in
                q != p && projections[p].folds(from: projections[q])
                    && (projections[q].tagCount > projections[p].tagCount || (projections[q].tagCount == projections[p].tagCount && q < p))
            }
            return candidates.min { a, b in
                (projections[a].tagCount, a) < (projections[b].tagCount, b)
            }
        }
        self.parents = parents
        roots = projections.indices.filter { parents[$0] == nil }
        // Parents keep more tags (or come first among equals): ordering by tag count descending, then
        // index, puts every parent before its children.
        derived = projections.indices.filter { parents[$0] != nil }.sorted { a, b in
            (projections[b].tagCount, a) < (projections[a].tagCount, b)
        }
    }
}

extension Projection {
    /// Number of tags a projection series can carry besides `__projection` (kept and derived).
    var tagCount: Int { tags.count + derived.count }

    /// Whether this projection's series are groupings of `other`'s: the same measurement, its kept
    /// tags among `other`'s kept tags and its derived tags among `other`'s derived tags (the same
    /// definitions), with no tag name used twice in either. Then ``key(forSeriesOf:)`` of a series of
    /// `other` is what ``key(for:)`` gives for every base series that `other` grouped into it.
    func folds(from other: Projection) -> Bool {
        measurement == other.measurement && hasDistinctTagNames && other.hasDistinctTagNames
            && Set(tags).isSubset(of: Set(other.tags)) && Set(derived).isSubset(of: Set(other.derived))
    }

    private var hasDistinctTagNames: Bool {
        let names = tags + derived.map(\.name)
        return Set(names).count == names.count && !names.contains(Self.tagKey)
    }

    /// This projection's series for `series`, a series of a projection this one ``folds(from:)``.
    func key(forSeriesOf series: SeriesKey) -> SeriesKey {
        var kept: [Tag] = [Tag(key: Self.tagKey, value: name)]
        for tag in tags { if let value = series.value(of: tag) { kept.append(Tag(key: tag, value: value)) } }
        for tag in derived { if let value = series.value(of: tag.name) { kept.append(Tag(key: tag.name, value: value)) } }
        return SeriesKey(measurement: measurement, tags: kept)
    }
}
