import StrataCore

/// Merges bucket rows per (series, bucket), optionally re-bucketing them to a coarser granularity:
/// the arithmetic of rollups, segment merges and queries over overlapping files.
struct RowMerger {
    private var rows: [SeriesKey: [Int64: BucketRow]] = [:]
    /// Re-bucket to this granularity (nil keeps each row's start).
    let granularity: Granularity?

    init(rebucketTo granularity: Granularity? = nil) { self.granularity = granularity }

    var isEmpty: Bool { rows.isEmpty }

    mutating func add(_ row: BucketRow) {
        var row = row
        if let granularity { row.start = granularity.bucketStart(ofSeconds: row.start) }
        if rows[row.series]?[row.start] != nil {
            rows[row.series]![row.start]!.merge(row)
        } else {
            rows[row.series, default: [:]][row.start] = row
        }
    }

    mutating func add(contentsOf more: [BucketRow]) { for row in more { add(row) } }

    /// The merged rows, sorted by series then start.
    func result() -> [BucketRow] {
        rows.values.flatMap(\.values).sorted { ($0.series, $0.start) < ($1.series, $1.start) }
    }
}
