import StrataCore

/// Merges bucket rows per (series, bucket), optionally re-bucketing them to a coarser granularity:
/// the arithmetic of rollups, segment merges, flushes and queries over overlapping files.
///
/// Rows are collected as they come; ``grouped()`` sorts them once by (series key, start) using integer
/// ranks (each distinct series key is compared bytewise only once per sort) and merges neighbours.
struct RowMerger {
    private var ordinals: [SeriesKey: Int32] = [:]
    private var keys: [SeriesKey] = []
    private var rows: [BucketRow] = []
    private var rowSeries: [Int32] = []
    private var starts: [Int64] = []
    /// Re-bucket to this granularity (nil keeps each row's start).
    let granularity: Granularity?

    init(rebucketTo granularity: Granularity? = nil) { self.granularity = granularity }

    var isEmpty: Bool { rows.isEmpty }

    mutating func add(_ row: BucketRow) {
        var row = row
        if let granularity { row.start = granularity.bucketStart(ofSeconds: row.start) }
        let ordinal: Int32
        if let existing = ordinals[row.series] {
            ordinal = existing
        } else {
            ordinal = Int32(keys.count)
            ordinals[row.series] = ordinal
            keys.append(row.series)
        }
        rowSeries.append(ordinal)
        starts.append(row.start)
        rows.append(row)
    }

    mutating func add(contentsOf more: [BucketRow]) {
        rows.reserveCapacity(rows.count + more.count)
        for row in more { add(row) }
    }

    /// The series in ascending canonical-key order, each with its merged rows sorted by start.
    func grouped() -> [(key: SeriesKey, rows: [BucketRow])] {
        let canonical = keys.map(\.canonicalBytes)
        let byKey = keys.indices.sorted { compareBytes(canonical[$0], canonical[$1]) < 0 }
        var rank = [Int32](repeating: 0, count: keys.count)
        for (position, ordinal) in byKey.enumerated() { rank[ordinal] = Int32(position) }
        let rowRank = rowSeries.map { rank[Int($0)] }
        let order = rows.indices.sorted { a, b in
            rowRank[a] != rowRank[b] ? rowRank[a] < rowRank[b] : starts[a] < starts[b]
        }
        var result: [(key: SeriesKey, rows: [BucketRow])] = []
        var lastOrdinal: Int32 = -1
        for index in order {
            let ordinal = rowSeries[index]
            if ordinal == lastOrdinal {
                let group = result.count - 1
                if result[group].rows[result[group].rows.count - 1].start == starts[index] {
                    result[group].rows[result[group].rows.count - 1].merge(rows[index])
                } else {
                    result[group].rows.append(rows[index])
                }
            } else {
                result.append((keys[Int(ordinal)], [rows[index]]))
                lastOrdinal = ordinal
            }
        }
        return result
    }

    /// The merged rows, sorted by series then start.
    func result() -> [BucketRow] { grouped().flatMap(\.rows) }
}
