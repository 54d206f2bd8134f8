import StrataCore
import StrataIO

/// A segment's postings, loaded once per query: find the entries of a tag key, decode their id lists.
struct PostingIndex {
    let reader: SegmentReader
    private let entries: [SegmentReader.PostingEntry]
    private let idArea: ByteReader

    init(_ reader: SegmentReader) throws(CorruptionError) {
        self.reader = reader
        (entries, idArea) = try reader.postingEntries()
    }

    /// The (value, entry index) pairs of tag `key` (empty key: measurements), in value order.
    func values(of key: String) -> [(value: String, index: Int)] {
        let target = Array(key.utf8)
        var low = 0, high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if PostingKey(key: entries[mid].key, value: entries[mid].value) < PostingKey(key: target, value: []) { low = mid + 1 } else { high = mid }
        }
        var result: [(value: String, index: Int)] = []
        while low < entries.count, entries[low].key == target {
            result.append((String(decoding: entries[low].value, as: UTF8.self), low))
            low += 1
        }
        return result
    }

    /// Every distinct tag key (without the measurement key).
    func keys() -> [String] {
        var result: [String] = []
        for entry in entries where !entry.key.isEmpty {
            let key = String(decoding: entry.key, as: UTF8.self)
            if result.last != key { result.append(key) }
        }
        return result
    }

    /// Number of series in entry `index`'s list.
    func listCount(_ index: Int) -> Int { entries[index].listCount }

    /// The ascending series ids of entry `index`.
    func ids(_ index: Int) throws(CorruptionError) -> [UInt32] {
        try reader.decodeList(entries[index], idArea)
    }

    /// The union of the lists of `indices`.
    func union(_ indices: [Int]) throws(CorruptionError) -> [UInt32] {
        var result: [UInt32] = []
        for index in indices { result = SortedIDs.union(result, try ids(index)) }
        return result
    }
}

/// Set operations on ascending id lists.
enum SortedIDs {
    static func union(_ a: [UInt32], _ b: [UInt32]) -> [UInt32] {
        if a.isEmpty { return b }
        if b.isEmpty { return a }
        var result: [UInt32] = []
        result.reserveCapacity(a.count + b.count)
        var i = 0, j = 0
        while i < a.count && j < b.count {
            if a[i] < b[j] { result.append(a[i]); i += 1 } else if b[j] < a[i] { result.append(b[j]); j += 1 } else { result.append(a[i]); i += 1; j += 1 }
        }
        result += a[i...]
        result += b[j...]
        return result
    }

    static func intersection(_ a: [UInt32], _ b: [UInt32]) -> [UInt32] {
        var result: [UInt32] = []
        var i = 0, j = 0
        while i < a.count && j < b.count {
            if a[i] < b[j] { i += 1 } else if b[j] < a[i] { j += 1 } else { result.append(a[i]); i += 1; j += 1 }
        }
        return result
    }

    static func subtracting(_ a: [UInt32], _ b: [UInt32]) -> [UInt32] {
        guard !b.isEmpty else { return a }
        var result: [UInt32] = []
        var j = 0
        for id in a {
            while j < b.count && b[j] < id { j += 1 }
            if j < b.count && b[j] == id { continue }
            result.append(id)
        }
        return result
    }
}
