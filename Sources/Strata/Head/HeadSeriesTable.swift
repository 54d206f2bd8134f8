import CStrataSupport
import StrataCore

/// One series in the head: where its canonical key is, and the bucket it wrote to last.
///
/// Kept in one record so that resolving a point's bucket touches one cache line after the hash slot.
struct HeadSeries: BitwiseCopyable, Sendable {
    /// Offset of the canonical key in the table's key arena.
    var keyStart: UInt32
    /// Length of the canonical key.
    var keyLength: UInt32
    /// Full hash of the canonical key (to rehash without rereading keys).
    var hash: UInt64
    /// Minute of the bucket this series wrote to last (`Int64.min`: none).
    var recentMinute: Int64 = Int64.min
    /// Index of that bucket in the head's bucket array.
    var recentBucket: Int32 = -1
}

/// The head's series dictionary: canonical series key → dense id (0, 1, 2, … in insertion order),
/// with each series' ``HeadSeries`` record, plus aliases: keys in the same encoding with the tags in
/// another order (as lines send them), which map to the same id.
///
/// Open addressing over 16-byte slots that hold the upper half of the key's hash next to `id + 1` and
/// the key's place in the arena, so a probe rejects non-matching slots without touching the records,
/// and a hit compares the key with one more memory access. Nothing is removed; the head builds a
/// fresh table when it drops series.
struct HeadSeriesTable: Sendable {
    private struct Slot: BitwiseCopyable {
        /// The hash's upper 32 bits, then `id + 1` in the lower 32; 0 marks an empty slot.
        var tagAndID: UInt64
        var keyStart: UInt32
        var keyLength: UInt32
    }

    private(set) var records = HeadArray<HeadSeries>(capacity: 4096)
    private var arena = HeadArray<UInt8>(capacity: 1 << 18)
    private var slots: HeadArray<Slot>
    private var mask: Int

    /// An empty table sized for about `capacity` series before it grows.
    init(capacity: Int = 4096) {
        var size = 64
        while size < capacity * 2 { size <<= 1 }
        slots = HeadArray(repeating: Slot(tagAndID: 0, keyStart: 0, keyLength: 0), count: size)
        mask = size - 1
    }

    /// Number of series.
    var count: Int { records.count }
    /// Number of alias keys.
    private(set) var aliasCount = 0

    /// The hash of a canonical key.
    @inline(__always)
    static func hash(_ key: UnsafeRawBufferPointer) -> UInt64 { ByteKeyTable.hash(key) }

    /// The id of the series whose canonical key is `key` (with hash `hash`), or nil.
    @inline(__always)
    func id(of key: UnsafeRawBufferPointer, hash: UInt64) -> UInt32? {
        findSlot(key, hash: hash).id
    }

    /// Adds a series that ``id(of:hash:)`` did not find; returns its id.
    mutating func insert(_ key: UnsafeRawBufferPointer, hash: UInt64) -> UInt32 {
        let found = findSlot(key, hash: hash)
        if let id = found.id { return id }
        let id = UInt32(records.count)
        records.append(HeadSeries(keyStart: UInt32(arena.count), keyLength: UInt32(key.count), hash: hash))
        arena.append(contentsOf: key)
        slots[found.slot] = Slot(tagAndID: Self.slotEntry(hash: hash, id: id), keyStart: UInt32(arena.count - key.count), keyLength: UInt32(key.count))
        if (records.count + aliasCount) * 4 > slots.count * 3 { grow() }
        return id
    }

    /// Makes `key` (with hash `hash`), a key of series `id` with its tags in another order, find `id`.
    mutating func insertAlias(_ key: UnsafeRawBufferPointer, hash: UInt64, id: UInt32) {
        let found = findSlot(key, hash: hash)
        guard found.id == nil else { return }
        arena.append(contentsOf: key)
        slots[found.slot] = Slot(tagAndID: Self.slotEntry(hash: hash, id: id), keyStart: UInt32(arena.count - key.count), keyLength: UInt32(key.count))
        aliasCount += 1
        if (records.count + aliasCount) * 4 > slots.count * 3 { grow() }
    }

    /// A copy of series `id`'s canonical key.
    func key(_ id: UInt32) -> [UInt8] {
        let record = records[Int(id)]
        return Array(arena.bytes(Int(record.keyStart)..<Int(record.keyStart + record.keyLength)))
    }

    @inline(__always)
    private static func slotEntry(hash: UInt64, id: UInt32) -> UInt64 {
        (hash & 0xFFFF_FFFF_0000_0000) | UInt64(id + 1)
    }

    /// Starts loading the home slot of `hash` into the cache.
    @inline(__always)
    func prefetchSlot(hash: UInt64) {
        strata_prefetch(slots.address(Int(truncatingIfNeeded: hash) & mask))
    }

    /// Reads the home slot of `hash` (prefetched earlier) and, if it holds a key with the same hash
    /// tag, starts loading that key and its series record.
    @inline(__always)
    func prefetchSeries(hash: UInt64) {
        let entry = slots[Int(truncatingIfNeeded: hash) & mask]
        guard entry.tagAndID != 0, entry.tagAndID & 0xFFFF_FFFF_0000_0000 == hash & 0xFFFF_FFFF_0000_0000 else { return }
        strata_prefetch(arena.address(Int(entry.keyStart)))
        strata_prefetch(arena.address(Int(entry.keyStart) + Int(entry.keyLength) - 1))
        strata_prefetch(records.address(Int(UInt32(truncatingIfNeeded: entry.tagAndID) - 1)))
    }

    @inline(__always)
    private func findSlot(_ key: UnsafeRawBufferPointer, hash: UInt64) -> (slot: Int, id: UInt32?) {
        var slot = Int(truncatingIfNeeded: hash) & mask
        let tag = hash & 0xFFFF_FFFF_0000_0000
        while true {
            let entry = slots[slot]
            if entry.tagAndID == 0 { return (slot, nil) }
            if entry.tagAndID & 0xFFFF_FFFF_0000_0000 == tag && Int(entry.keyLength) == key.count {
                let stored = arena.bytes(Int(entry.keyStart)..<Int(entry.keyStart) + key.count)
                if bytesEqual(stored, key) { return (slot, UInt32(truncatingIfNeeded: entry.tagAndID) - 1) }
            }
            slot = (slot + 1) & mask
        }
    }

    private mutating func grow() {
        let old = slots
        let size = old.count * 2
        slots = HeadArray(repeating: Slot(tagAndID: 0, keyStart: 0, keyLength: 0), count: size)
        mask = size - 1
        old.withUnsafeBufferPointer { old in
            for entry in old where entry.tagAndID != 0 {
                let id = Int(UInt32(truncatingIfNeeded: entry.tagAndID) - 1)
                // A series' own key has its hash in the record; an alias's is computed again.
                let hash = records[id].keyStart == entry.keyStart
                    ? records[id].hash : Self.hash(arena.bytes(Int(entry.keyStart)..<Int(entry.keyStart + entry.keyLength)))
                var slot = Int(truncatingIfNeeded: hash) & mask
                while slots[slot].tagAndID != 0 { slot = (slot + 1) & mask }
                slots[slot] = entry
            }
        }
    }
}
