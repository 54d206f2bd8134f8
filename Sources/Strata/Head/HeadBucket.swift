import StrataCore

/// The open state of one series for one UTC minute in the head. Its per-field aggregates live in the
/// head's flat state array (``FieldSummary``, each with its digest once it has one), chained from
/// ``firstState``.
struct HeadBucket: BitwiseCopyable, Sendable {
    /// Head-local series id (index into the head's series table).
    var series: UInt32
    /// Bucket start, Unix seconds (a multiple of 60).
    var minute: Int64
    /// The oldest WAL file that contributed a point to this bucket; WAL files are deletable only below
    /// the smallest such value among buckets still in the head.
    var firstWALFile: UInt64
    /// Index of this bucket's first field state in the head's state arrays, or -1.
    var firstState: Int32 = -1

    init(series: UInt32, minute: Int64, firstWALFile: UInt64) {
        self.series = series
        self.minute = minute
        self.firstWALFile = firstWALFile
    }
}

/// The last few field keys seen and their ids: most lines repeat the same handful of field names, so
/// a byte comparison against these avoids hashing the key.
struct FieldKeyCache: Sendable {
    private var keys: [[UInt8]] = []
    private var ids: [UInt32] = []
    private var next = 0
    static let capacity = 16

    /// The id cached for `key`, if any.
    func id(of key: UnsafeRawBufferPointer) -> UInt32? {
        for (slot, cached) in keys.enumerated() where cached.count == key.count {
            if cached.withUnsafeBytes({ bytesEqual($0, key) }) { return ids[slot] }
        }
        return nil
    }

    mutating func insert(_ key: UnsafeRawBufferPointer, id: UInt32) {
        if keys.count < Self.capacity {
            keys.append(Array(key))
            ids.append(id)
        } else {
            keys[next] = Array(key)
            ids[next] = id
            next = (next + 1) % Self.capacity
        }
    }
}

/// Count, sum, min and max of one field in one head bucket, its first values, and the next field
/// state of the same bucket (-1: none). Plain data: most states see only a few values per minute, so
/// the first ``inlineCapacity`` values are kept right here and a state gets a t-digest (in the head's
/// digest array, at ``digest``) only once it has more. That keeps the head small and its allocations
/// few when clients send many series.
struct FieldSummary: BitwiseCopyable, Sendable {
    var count: UInt64 = 0
    var sum: Double = 0
    var min: Double = .infinity
    var max: Double = -.infinity
    var field: UInt32
    var next: Int32 = -1
    /// Index of this state's digest in the head's digest array, or -1 while its values are inline.
    var digest: Int32 = -1
    /// The first `min(count, inlineCapacity)` values, in arrival order.
    var inlineValues: (Double, Double, Double, Double) = (0, 0, 0, 0)

    /// How many values a state keeps inline before it needs a digest.
    static let inlineCapacity = 4

    init(field: UInt32) { self.field = field }

    /// Adds one finite value; returns false when the value did not fit inline (it is then counted
    /// here, and belongs in the state's digest).
    @inline(__always)
    mutating func add(_ value: Double) -> Bool {
        count += 1
        sum += value
        if value < min { min = value }
        if value > max { max = value }
        switch count {
        case 1: inlineValues.0 = value
        case 2: inlineValues.1 = value
        case 3: inlineValues.2 = value
        case 4: inlineValues.3 = value
        default: return false
        }
        return true
    }

    /// A new digest of the inline values, in arrival order (added as one run: one allocation).
    func inlineDigest() -> TDigest {
        var digest = TDigest()
        let stored = Int(Swift.min(count, UInt64(Self.inlineCapacity)))
        withUnsafeBytes(of: inlineValues) { raw in
            digest.add(contentsOf: UnsafeBufferPointer(start: raw.assumingMemoryBound(to: Double.self).baseAddress, count: stored))
        }
        return digest
    }
}

/// A value waiting to be added to the digest of state `state`.
struct PendingValue: BitwiseCopyable, Sendable {
    var state: Int32
    var value: Double
}

/// Buckets taken out of (or copied from) the head, with what is needed to turn them into rows: the
/// state array and the series and field-name tables they index. Converting is the expensive part of a
/// flush, so the engine does it outside its lock.
struct HeadBucketSet: Sendable {
    let buckets: [HeadBucket]
    let summaries: HeadArray<FieldSummary>
    /// The digests of states with more values than fit inline (``FieldSummary/digest``).
    let digests: [TDigest]
    let series: HeadSeriesTable
    let fieldNames: ByteKeyTable

    /// Number of buckets.
    var count: Int { buckets.count }

    /// The buckets as field rows in columns, in bucket order and each bucket's fields in chain order,
    /// digests compressed; a single-value field gets a placeholder digest (see ``RowColumns``), so
    /// nothing is allocated per row. Series and field ids are dense in order of first use.
    func columns() -> RowColumns {
        var result = RowColumns()
        result.reserveCapacity(buckets.count * 3)
        var seriesIDs: [UInt32: UInt32] = [:]
        var fieldIDs: [UInt32: UInt32] = [:]
        summaries.withUnsafeBufferPointer { summaries in
            for bucket in buckets {
                let seriesID = interned(bucket.series, in: &seriesIDs) { result.addSeries(series.key(bucket.series)) }
                var index = bucket.firstState
                while index >= 0 {
                    let summary = summaries[Int(index)]
                    let fieldID = interned(summary.field, in: &fieldIDs) { result.addField(fieldNames.key(summary.field)) }
                    var digest = TDigest()
                    if summary.count > 1 {
                        digest = self.digest(of: summary)
                        digest.compress()
                    }
                    result.append(series: seriesID, start: bucket.minute, field: fieldID, count: summary.count, sum: summary.sum,
                                  min: summary.min, max: summary.max, digest: digest)
                    index = summary.next
                }
            }
        }
        return result
    }

    /// The buckets as rows, digests compressed.
    func rows() -> [BucketRow] {
        var keys: [UInt32: SeriesKey] = [:]
        var names: [UInt32: String] = [:]
        var rows: [BucketRow] = []
        rows.reserveCapacity(buckets.count)
        for bucket in buckets {
            let key: SeriesKey
            if let cached = keys[bucket.series] {
                key = cached
            } else {
                // Canonical keys were built by the head; decoding them cannot fail.
                key = (try? SeriesKey(canonical: series.key(bucket.series))) ?? SeriesKey(measurement: "", tags: [])
                keys[bucket.series] = key
            }
            var fields: [NamedAggregate] = []
            var index = bucket.firstState
            while index >= 0 {
                let summary = summaries[Int(index)]
                var digest = self.digest(of: summary)
                digest.compress()
                let name: String
                if let cached = names[summary.field] {
                    name = cached
                } else {
                    name = String(decoding: fieldNames.key(summary.field), as: UTF8.self)
                    names[summary.field] = name
                }
                let aggregate = FieldAggregate(count: summary.count, sum: summary.sum, min: summary.min, max: summary.max, digest: digest)
                fields.append(NamedAggregate(name: name, aggregate: aggregate))
                index = summary.next
            }
            rows.append(BucketRow(series: key, start: bucket.minute, fields: fields))
        }
        return rows
    }

    /// The digest of every value of the state `summary` (uncompressed).
    @inline(__always)
    func digest(of summary: FieldSummary) -> TDigest {
        summary.digest >= 0 ? digests[Int(summary.digest)] : summary.inlineDigest()
    }
}

/// The id `ids` holds for `key`, or, the first time, the one `add` makes (remembered).
@inline(__always)
private func interned(_ key: UInt32, in ids: inout [UInt32: UInt32], _ add: () -> UInt32) -> UInt32 {
    if let id = ids[key] { return id }
    let id = add()
    ids[key] = id
    return id
}
