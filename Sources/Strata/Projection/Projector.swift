import StrataCore

/// Builds projection rows from base rows.
enum Projector {
    /// The rows of every projection of `projections` for base rows `rows`, merged per (series, bucket).
    /// Rows of projection series are never projected again.
    static func rows(_ rows: [BucketRow], _ projections: [Projection]) -> [BucketRow] {
        guard !projections.isEmpty else { return [] }
        var merger = RowMerger()
        for row in rows {
            for projection in projections {
                guard let key = projection.key(for: row.series) else { continue }
                merger.add(BucketRow(series: key, start: row.start, fields: row.fields))
            }
        }
        return merger.result()
    }

    /// The derived tags that `measurement`'s projections define, by name.
    static func derivedTags(_ projections: [Projection], measurement: String) -> [String: DerivedTag] {
        var result: [String: DerivedTag] = [:]
        for projection in projections where projection.measurement == measurement {
            for tag in projection.derived { result[tag.name] = tag }
        }
        return result
    }
}
