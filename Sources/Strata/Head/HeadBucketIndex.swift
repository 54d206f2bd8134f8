import CStrataSupport
import StrataCore

/// The head's (series, minute) → bucket index map: open addressing over 16-byte slots in one
/// ``HeadArray``, with no hashing protocol or per-lookup allocation.
///
/// Only consulted when a point misses its series' most recent bucket (late or out-of-order data) and
/// when a bucket is created. Nothing is removed; the head builds a fresh index when it drains.
struct HeadBucketIndex: Sendable {
    private struct Slot: BitwiseCopyable {
        /// Series id in the high half, minute number (Unix seconds / 60) in the low half.
        var key: UInt64
        /// Bucket index, or -1 for an empty slot.
        var bucket: Int32
    }

    private var slots: HeadArray<Slot>
    private var mask: Int
    private(set) var count = 0

    /// An empty index sized for about `capacity` buckets before it grows.
    init(capacity: Int = 4096) {
        var size = 64
        while size < capacity * 2 { size <<= 1 }
        slots = HeadArray(repeating: Slot(key: 0, bucket: -1), count: size)
        mask = size - 1
    }

    @inline(__always)
    private static func key(series: UInt32, minute: Int64) -> UInt64 {
        // Minute numbers of any Int64 nanosecond timestamp fit in 32 bits (±2^31 minutes ≈ ±4,000 years).
        (UInt64(series) << 32) | UInt64(UInt32(truncatingIfNeeded: minute / 60))
    }

    @inline(__always)
    private static func hash(_ key: UInt64) -> Int {
        let product = key.multipliedFullWidth(by: 0x9E37_79B9_7F4A_7C15)
        return Int(truncatingIfNeeded: product.high ^ product.low)
    }

    /// The bucket of `series` at `minute` (Unix seconds, a multiple of 60), or nil.
    @inline(__always)
    func bucket(series: UInt32, minute: Int64) -> Int32? {
        let key = Self.key(series: series, minute: minute)
        var slot = Self.hash(key) & mask
        while true {
            let entry = slots[slot]
            if entry.bucket < 0 { return nil }
            if entry.key == key { return entry.bucket }
            slot = (slot + 1) & mask
        }
    }

    /// Starts loading the slot where (`series`, `minute`) is looked up or inserted.
    @inline(__always)
    func prefetch(series: UInt32, minute: Int64) {
        strata_prefetch(slots.address(Self.hash(Self.key(series: series, minute: minute)) & mask))
    }

    /// Records `bucket` for (`series`, `minute`), which must not be present yet.
    mutating func insert(series: UInt32, minute: Int64, bucket: Int32) {
        let key = Self.key(series: series, minute: minute)
        var slot = Self.hash(key) & mask
        while slots[slot].bucket >= 0 { slot = (slot + 1) & mask }
        slots[slot] = Slot(key: key, bucket: bucket)
        count += 1
        if count * 4 > slots.count * 3 { grow() }
    }

    private mutating func grow() {
        let old = slots
        let size = old.count * 2
        slots = HeadArray(repeating: Slot(key: 0, bucket: -1), count: size)
        mask = size - 1
        old.withUnsafeBufferPointer { old in
            for entry in old where entry.bucket >= 0 {
                var slot = Self.hash(entry.key) & mask
                while slots[slot].bucket >= 0 { slot = (slot + 1) & mask }
                slots[slot] = entry
            }
        }
    }
}
