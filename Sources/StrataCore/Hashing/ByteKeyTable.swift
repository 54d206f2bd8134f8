/// An open-addressing hash table from byte strings to dense `UInt32` ids, with the keys kept in one
/// arena: the series dictionary and field-name dictionary of the head.
///
/// Lookups take the key as a buffer and allocate nothing, which is what makes per-line series
/// resolution cheap on the ingest path. Ids are assigned 0, 1, 2, … in insertion order; nothing is
/// ever removed (the head builds a fresh table when it is rebuilt).
public struct ByteKeyTable: Sendable {
    /// Start offset of each key in `arena`, plus a final end offset: key `i` is `arena[offsets[i]..<offsets[i+1]]`.
    private var offsets: [Int] = [0]
    private var arena: [UInt8] = []
    private var hashes: [UInt64] = []
    /// Slots hold `id + 1`; 0 marks an empty slot.
    private var slots: [UInt32]
    private var mask: Int

    /// An empty table sized for about `capacity` keys before it grows.
    public init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [UInt32](repeating: 0, count: size)
        mask = size - 1
    }

    /// The number of keys.
    public var count: Int { hashes.count }

    /// The id of the key `bytes[range]`, or nil.
    public func id(of bytes: [UInt8], range: Range<Int>) -> UInt32? {
        bytes.withUnsafeBytes {
            let key = UnsafeRawBufferPointer(rebasing: $0[range])
            return findSlot(key, hash: Self.hash(key)).id
        }
    }

    /// The id of the key `bytes[range]`, inserting it when new.
    public mutating func insert(_ bytes: [UInt8], range: Range<Int>) -> (id: UInt32, inserted: Bool) {
        bytes.withUnsafeBytes {
            let key = UnsafeRawBufferPointer(rebasing: $0[range])
            return insert(key, hash: Self.hash(key))
        }
    }

    private mutating func insert(_ key: UnsafeRawBufferPointer, hash: UInt64) -> (id: UInt32, inserted: Bool) {
        let found = findSlot(key, hash: hash)
        if let id = found.id { return (id, false) }
        let id = UInt32(hashes.count)
        arena.append(contentsOf: key)
        offsets.append(arena.count)
        hashes.append(hash)
        slots[found.slot] = id + 1
        if hashes.count * 4 > slots.count * 3 { grow() }
        return (id, true)
    }

    /// A copy of key `id`'s bytes.
    public func key(_ id: UInt32) -> [UInt8] {
        Array(arena[offsets[Int(id)]..<offsets[Int(id) + 1]])
    }

    private func findSlot(_ key: UnsafeRawBufferPointer, hash: UInt64) -> (slot: Int, id: UInt32?) {
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { return (slot, nil) }
            let id = Int(entry - 1)
            if hashes[id] == hash {
                let start = offsets[id]
                let end = offsets[id + 1]
                if end - start == key.count {
                    let equal = arena.withUnsafeBytes { arenaBytes in
                        bytesEqual(UnsafeRawBufferPointer(rebasing: arenaBytes[start..<end]), key)
                    }
                    if equal { return (slot, entry - 1) }
                }
            }
            slot = (slot + 1) & mask
        }
    }

    private mutating func grow() {
        let size = slots.count * 2
        slots = [UInt32](repeating: 0, count: size)
        mask = size - 1
        for (id, hash) in hashes.enumerated() {
            var slot = Int(truncatingIfNeeded: hash) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = UInt32(id + 1)
        }
    }

    /// A fast 64-bit hash of `bytes[range]` (wyhash-style multiply-mix over 8-byte words).
    public static func hash(_ bytes: [UInt8], range: Range<Int>) -> UInt64 {
        bytes.withUnsafeBytes { hash(UnsafeRawBufferPointer(rebasing: $0[range])) }
    }

    /// The hash of `bytes` (the same function as ``hash(_:range:)``).
    @inlinable
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
        var i = 0
        let n = bytes.count
        while n - i >= 8 {
            let word = bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            h = mix(h ^ word, 0xA076_1D64_78BD_642F)
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < n {
            tail |= UInt64(bytes[i]) << shift
            shift += 8
            i += 1
        }
        return mix(h ^ tail, 0xE703_7ED1_A0B4_28DB)
    }

    @usableFromInline @inline(__always)
    static func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let product = a.multipliedFullWidth(by: b)
        return product.high ^ product.low
    }
}
