import Synchronization
import StrataCore

/// A process-wide, byte-bounded cache of decoded column blocks of segments.
///
/// Segments never change once written, so a decoded column block (the checksum verified, the LZ4
/// block expanded and every value decoded into a plain array) stays valid for the life of its
/// ``SegmentReader``. Queries that read the same row groups again (a dashboard refreshing every few
/// seconds, the steps of one query reading the same file) then only index arrays.
///
/// Entries are keyed by the reader's ``SegmentReader/cacheID`` (never reused, unlike object
/// identities), the row group and the column. When the cached bytes exceed ``capacityBytes``, the
/// least recently used entries are evicted until a quarter of the capacity is free. Entries of a
/// reader that was closed (its segment compacted away) are never hit again and age out the same way.
public final class ColumnCache: Sendable {
    /// The cache every ``SegmentReader`` uses; 256 MiB.
    public static let shared = ColumnCache(capacityBytes: 256 << 20)

    /// A cached column (the array type depends on the column).
    enum Values: Sendable {
        case int64s([Int64])
        case uint32s([UInt32])
        case uint64s([UInt64])
        case doubles([Double])
        case digests(DigestColumn)
        case summary(SeriesSummary)

        /// Approximate heap bytes held.
        var byteCount: Int {
            switch self {
            case let .int64s(v): 64 + v.count * 8
            case let .uint32s(v): 64 + v.count * 4
            case let .uint64s(v): 64 + v.count * 8
            case let .doubles(v): 64 + v.count * 8
            case let .digests(d): d.byteCount
            case let .summary(summary): 96 + summary.digest.centroids.count * 16
            }
        }
    }

    /// A column block (`kind` 0: `index` is the row group, `column` the column) or a summary of
    /// series (`kind` 1 + the summarised ``SegmentReader/ColumnSet``: `index` is the first series
    /// id, `members` all of them when there are several, `column` the field id, `window` the
    /// bucket starts summarised).
    struct Key: Hashable, Sendable {
        var segment: UInt64
        var index: Int32
        var column: UInt8
        var kind: UInt8 = 0
        /// A summary's bucket-start window (empty for column blocks).
        var window: Range<Int64> = 0..<0
        /// The series ids of a summary of several series (ascending); empty otherwise.
        var members: [Int32] = []
    }

    private struct Entry {
        var values: Values
        var bytes: Int
        var lastUsed: UInt64
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var bytes = 0
        var tick: UInt64 = 0
        var hits = 0
        var misses = 0
        var capacity: Int
    }

    private let state: Mutex<State>

    /// A cache holding at most about `capacityBytes` of decoded columns (0 disables caching).
    public init(capacityBytes: Int) {
        state = Mutex(State(capacity: capacityBytes))
    }

    /// The most bytes kept; lowering it evicts at once.
    public var capacityBytes: Int {
        get { state.withLock { $0.capacity } }
        set {
            state.withLock { state in
                state.capacity = Swift.max(0, newValue)
                Self.evict(&state)
            }
        }
    }

    /// Bytes currently held, entries, and the hit and miss counts since the start.
    public var statistics: (bytes: Int, entries: Int, hits: Int, misses: Int) {
        state.withLock { ($0.bytes, $0.entries.count, $0.hits, $0.misses) }
    }

    /// Drops everything.
    public func removeAll() {
        state.withLock { state in
            state.entries.removeAll()
            state.bytes = 0
        }
    }

    /// The cached values of `key`, or those `decode` produces (then cached). `decode` runs outside
    /// the lock, so two threads may decode the same block at once; both get equal values.
    func values(_ key: Key, decode: () throws(CorruptionError) -> Values) throws(CorruptionError) -> Values {
        let cached: Values? = state.withLock { state in
            state.tick += 1
            guard var entry = state.entries[key] else {
                state.misses += 1
                return nil
            }
            state.hits += 1
            entry.lastUsed = state.tick
            state.entries[key] = entry
            return entry.values
        }
        if let cached { return cached }
        let values = try decode()
        let bytes = values.byteCount
        state.withLock { state in
            guard bytes <= state.capacity / 4 else { return }
            state.tick += 1
            if let old = state.entries.updateValue(Entry(values: values, bytes: bytes, lastUsed: state.tick), forKey: key) {
                state.bytes -= old.bytes
            }
            state.bytes += bytes
            Self.evict(&state)
        }
        return values
    }

    /// The cached values of every key in `keys` (in order), or, when any is missing, those `decode`
    /// produces for all of them at once (one per key, in order; then cached). For summaries that are
    /// cheaper to build together (one pass over rows) than one by one.
    func values(_ keys: [Key], decode: () throws(CorruptionError) -> [Values]) throws(CorruptionError) -> [Values] {
        let cached: [Values]? = state.withLock { state in
            state.tick += 1
            var found: [Values] = []
            found.reserveCapacity(keys.count)
            for key in keys {
                guard var entry = state.entries[key] else {
                    state.misses += 1
                    return nil
                }
                entry.lastUsed = state.tick
                state.entries[key] = entry
                found.append(entry.values)
            }
            state.hits += keys.count
            return found
        }
        if let cached { return cached }
        let values = try decode()
        precondition(values.count == keys.count, "one value per key")
        state.withLock { state in
            state.tick += 1
            for (key, value) in zip(keys, values) {
                let bytes = value.byteCount
                guard bytes <= state.capacity / 4 else { continue }
                if let old = state.entries.updateValue(Entry(values: value, bytes: bytes, lastUsed: state.tick), forKey: key) {
                    state.bytes -= old.bytes
                }
                state.bytes += bytes
            }
            Self.evict(&state)
        }
        return values
    }

    /// Evicts least recently used entries until at most three quarters of the capacity is used
    /// (once over capacity), so eviction runs rarely and costs O(n log n) when it does.
    private static func evict(_ state: inout State) {
        guard state.bytes > state.capacity else { return }
        let target = state.capacity / 4 * 3
        for (key, entry) in state.entries.sorted(by: { $0.value.lastUsed < $1.value.lastUsed }) {
            guard state.bytes > target else { break }
            state.entries[key] = nil
            state.bytes -= entry.bytes
        }
    }
}

/// The rows of one field of some series in a segment (those starting in a window), merged in row
/// order (the digest compressed; fields of the summary's column set only, the others left at their
/// initial values).
struct SeriesSummary: Sendable {
    var count: UInt64 = 0
    var sum = 0.0
    var min = Double.infinity
    var max = -Double.infinity
    var digest = TDigest()
}

/// The t-digests of one row group's rows, flattened: row `i`'s centroids are
/// `centroids[offsets[i] ..< offsets[i + 1]]` (sorted by mean, as stored), with its exact min and
/// max and whether it is lossless. A row counting one value has one centroid (its sum) of weight 1.
public struct DigestColumn: Sendable {
    public var centroids: [Centroid] = []
    public var offsets: [Int32] = [0]
    public var minimums: [Double] = []
    public var maximums: [Double] = []
    public var lossless: [Bool] = []

    var byteCount: Int { 5 * 64 + centroids.count * 16 + offsets.count * 4 + minimums.count * 17 }

    /// Row `i`'s centroids.
    public func centroids(of i: Int) -> ArraySlice<Centroid> {
        centroids[Int(offsets[i])..<Int(offsets[i + 1])]
    }
}
