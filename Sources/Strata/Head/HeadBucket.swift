import StrataCore

/// The open state of one series for one UTC minute in the head. Its per-field aggregates live in the
/// head's flat state arrays, chained from ``firstState`` (one array for all buckets keeps the hot path
/// to a single copy-on-write check per value).
struct HeadBucket: Sendable {
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

/// Key of the head's (series, minute) → bucket map.
struct BucketKey: Hashable, Sendable {
    var series: UInt32
    var minute: Int64
}

/// The last few field keys seen and their ids: most lines repeat the same handful of field names, so
/// a byte comparison against these avoids hashing the key for every value.
struct FieldKeyCache: Sendable {
    private var keys: [[UInt8]] = []
    private var ids: [UInt32] = []
    private var next = 0
    static let capacity = 16

    /// The id cached for the key `bytes[range]`, if any.
    @inline(__always)
    func id(of bytes: [UInt8], _ range: Range<Int>) -> UInt32? {
        let count = range.count
        for (slot, key) in keys.enumerated() where key.count == count {
            var equal = true
            var i = range.lowerBound
            for byte in key {
                if bytes[i] != byte { equal = false; break }
                i += 1
            }
            if equal { return ids[slot] }
        }
        return nil
    }

    mutating func insert(_ bytes: [UInt8], _ range: Range<Int>, id: UInt32) {
        let key = Array(bytes[range])
        if keys.count < Self.capacity {
            keys.append(key)
            ids.append(id)
        } else {
            keys[next] = key
            ids[next] = id
            next = (next + 1) % Self.capacity
        }
    }
}

/// One field's aggregate in a head bucket, and the next field state of the same bucket (-1: none).
struct FieldState: Sendable {
    var aggregate: FieldAggregate
    var field: UInt32
    var next: Int32
}

/// The bucket a series wrote to last (the ingest fast path: most points land in the current minute).
struct RecentBucket: Sendable {
    var minute: Int64 = Int64.min
    var bucket: Int32 = -1
}

/// Buckets taken out of (or copied from) the head, with what is needed to turn them into rows: the
/// state array and the series and field-name tables they index. Converting is the expensive part of a
/// flush, so the engine does it outside its lock.
struct HeadBucketSet: Sendable {
    let buckets: [HeadBucket]
    let states: [FieldState]
    let series: ByteKeyTable
    let fieldNames: ByteKeyTable

    /// Number of buckets.
    var count: Int { buckets.count }

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
                let state = states[Int(index)]
                var aggregate = state.aggregate
                aggregate.digest.compress()
                let name: String
                if let cached = names[state.field] {
                    name = cached
                } else {
                    name = String(decoding: fieldNames.key(state.field), as: UTF8.self)
                    names[state.field] = name
                }
                fields.append(NamedAggregate(name: name, aggregate: aggregate))
                index = state.next
            }
            rows.append(BucketRow(series: key, start: bucket.minute, fields: fields))
        }
        return rows
    }
}
