import StrataCore

/// Merges bucket rows per (series, bucket), optionally re-bucketing them to a coarser granularity:
/// the arithmetic of rollups, segment merges, flushes and queries over overlapping files.
struct RowMerger {
    private var series: [SeriesKey: Int] = [:]
    private var keys: [SeriesKey] = []
    private var buckets: [[Int64: BucketRow]] = []
    /// Re-bucket to this granularity (nil keeps each row's start).
    let granularity: Granularity?

    init(rebucketTo granularity: Granularity? = nil) { self.granularity = granularity }

    var isEmpty: Bool { keys.isEmpty }

    mutating func add(_ row: BucketRow) {
        var row = row
        if let granularity { row.start = granularity.bucketStart(ofSeconds: row.start) }
        let index: Int
        if let existing = series[row.series] {
            index = existing
        } else {
            index = keys.count
            series[row.series] = index
            keys.append(row.series)
            buckets.append([:])
        }
        if buckets[index][row.start] == nil {
            buckets[index][row.start] = row
        } else {
            buckets[index][row.start]!.merge(row)
        }
    }

    mutating func add(contentsOf more: [BucketRow]) { for row in more { add(row) } }

    /// The series in ascending canonical-key order, each with its rows sorted by start.
    func grouped() -> [(key: SeriesKey, rows: [BucketRow])] {
        let canonical = keys.map(\.canonicalBytes)
        let order = keys.indices.sorted { compareBytes(canonical[$0], canonical[$1]) < 0 }
        return order.map { (keys[$0], buckets[$0].values.sorted { $0.start < $1.start }) }
    }

    /// The merged rows, sorted by series then start.
    func result() -> [BucketRow] { grouped().flatMap(\.rows) }
}
