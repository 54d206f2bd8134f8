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
/// with each series' ``HeadSeries`` record.
///
/// Open addressing over 64-bit slots that hold the upper half of the key's hash next to `id + 1`, so a
/// probe rejects non-matching slots without touching the records or the keys. Nothing is removed; the
/// head builds a fresh table when it drops series.
struct HeadSeriesTable: Sendable {
    private(set) var records = HeadArray<HeadSeries>(capacity: 4096)
    private var arena = HeadArray<UInt8>(capacity: 1 << 18)
    private var slots: HeadArray<UInt64>
    private var mask: Int

    /// An empty table sized for about `capacity` series before it grows.
    init(capacity: Int = 4096) {
        var size = 64
        while size < capacity * 2 { size <<= 1 }
        slots = HeadArray(repeating: 0, count: size)
        mask = size - 1
    }

    /// Number of series.
    var count: Int { records.count }

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
        slots[found.slot] = Self.slotEntry(hash: hash, id: id)
        if records.count * 4 > slots.count * 3 { grow() }
        return id
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

    @inline(__always)
    private func findSlot(_ key: UnsafeRawBufferPointer, hash: UInt64) -> (slot: Int, id: UInt32?) {
        var slot = Int(truncatingIfNeeded: hash) & mask
        let tag = hash & 0xFFFF_FFFF_0000_0000
        while true {
            let entry = slots[slot]
            if entry == 0 { return (slot, nil) }
            if entry & 0xFFFF_FFFF_0000_0000 == tag {
                let id = UInt32(truncatingIfNeeded: entry) - 1
                let record = records[Int(id)]
                if Int(record.keyLength) == key.count {
                    let stored = arena.bytes(Int(record.keyStart)..<Int(record.keyStart) + key.count)
                    if bytesEqual(stored, key) { return (slot, id) }
                }
            }
            slot = (slot + 1) & mask
        }
    }

    private mutating func grow() {
        let size = slots.count * 2
        let newSlots = HeadArray<UInt64>(repeating: 0, count: size)
        let newMask = size - 1
        for id in 0..<records.count {
            let hash = records[id].hash
            var slot = Int(truncatingIfNeeded: hash) & newMask
            while newSlots[slot] != 0 { slot = (slot + 1) & newMask }
            newSlots[slot] = Self.slotEntry(hash: hash, id: UInt32(id))
        }
        slots = newSlots
        mask = newMask
    }
}

/// Whether two equally long byte buffers hold the same bytes (8 bytes at a time).
@inline(__always)
func bytesEqual(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    let count = a.count
    guard count == b.count else { return false }
    guard count > 0, let x = a.baseAddress, let y = b.baseAddress else { return true }
    var i = 0
    while count - i >= 8 {
        if x.loadUnaligned(fromByteOffset: i, as: UInt64.self) != y.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
        i += 8
    }
    while i < count {
        if x.load(fromByteOffset: i, as: UInt8.self) != y.load(fromByteOffset: i, as: UInt8.self) { return false }
        i += 1
    }
    return true
}
