import StrataCore

/// Where each point's series key is in a parsed batch, and its hash.
///
/// The parser leaves every point's measurement and tags back to back and length-prefixed in the batch's
/// bytes (``ParsedBatch/seriesKeyRange(of:)``): the series key with the tags in input order. The head
/// looks series up by that key, so a point costs one hash of bytes already in place; only a series'
/// first point with a new tag order has its canonical key built (``appendCanonicalKey``), and the
/// head remembers the input-order key as an alias. Hashing needs no head state, so the engine does it
/// before it takes its lock, on the writer's own thread.
struct SeriesKeyBatch: Sendable {
    /// Point `i`'s key is `batch.bytes[starts[i]..<ends[i]]`.
    let starts: HeadArray<UInt32>
    let ends: HeadArray<UInt32>
    let hashes: HeadArray<UInt64>

    /// Finds and hashes the key of every point of `batch`.
    init(_ batch: ParsedBatch) {
        let pointCount = batch.points.count
        let starts = HeadArray<UInt32>(capacity: pointCount)
        let ends = HeadArray<UInt32>(capacity: pointCount)
        let hashes = HeadArray<UInt64>(capacity: pointCount)
        batch.bytes.withUnsafeBytes { text in
            batch.tags.withUnsafeBufferPointer { tags in
                batch.points.withUnsafeBufferPointer { points in
                    for point in points {
                        let range = ParsedBatch.seriesKeyRange(of: point, tags: tags)
                        starts.append(UInt32(truncatingIfNeeded: range.lowerBound))
                        ends.append(UInt32(truncatingIfNeeded: range.upperBound))
                        hashes.append(HeadSeriesTable.hash(UnsafeRawBufferPointer(rebasing: text[range])))
                    }
                }
            }
        }
        self.starts = starts
        self.ends = ends
        self.hashes = hashes
    }

    /// Number of keys (points).
    var count: Int { ends.count }

    /// Point `index`'s input-order key within `text`, the batch's bytes.
    @inline(__always)
    func key(_ index: Int, in text: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: text[Int(starts[index])..<Int(ends[index])])
    }

    /// Appends the canonical key of `point` to `key` (``SeriesKey/canonicalBytes``): the measurement,
    /// then tags sorted by key (the last of repeated keys winning), each part prefixed with its length as
    /// a LEB128 varint. `order` is scratch space.
    static func appendCanonicalKey(
        _ point: ParsedPoint, text: UnsafeRawBufferPointer, tags: UnsafeBufferPointer<ParsedTag>,
        to key: HeadArray<UInt8>, order: HeadArray<Int32>
    ) {
        @inline(__always) func part(_ range: ByteRange) -> UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(rebasing: text[Int(range.start)..<(Int(range.start) + Int(range.count))])
        }
        let tagStart = Int(point.tagStart)
        let tagCount = Int(point.tagCount)
        // Insertion sort of the tag indices by key: stable (equal keys keep input order) and, for the
        // handful of tags a point has, cheaper than anything general.
        order.removeAll()
        for i in tagStart..<(tagStart + tagCount) {
            let tagKey = part(tags[i].key)
            var position = order.count
            order.append(Int32(i))
            while position > 0 && keyPrecedes(tagKey, part(tags[Int(order[position - 1])].key)) {
                order[position] = order[position - 1]
                position -= 1
            }
            order[position] = Int32(i)
        }
        // Room for every part and a varint length prefix of at most 5 bytes (parts are < 4 GiB).
        var room = 5 * (1 + 2 * tagCount) + Int(point.measurement.count)
        for i in tagStart..<(tagStart + tagCount) { room += Int(tags[i].key.count) + Int(tags[i].value.count) }
        key.appendBytes(upTo: room) { output in
            var written = 0
            @inline(__always) func write(_ part: UnsafeRawBufferPointer) {
                var length = UInt(part.count)
                while length >= 0x80 {
                    output[written] = UInt8(truncatingIfNeeded: length) | 0x80
                    written += 1
                    length >>= 7
                }
                output[written] = UInt8(length)
                written += 1
                let destination = output + written
                if part.count <= 32 {
                    for i in 0..<part.count { destination[i] = part[i] }  // short parts: no call to memmove
                } else if let source = part.baseAddress {
                    UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: part.count)
                }
                written += part.count
            }
            write(part(point.measurement))
            for position in 0..<tagCount {
                let index = Int(order[position])
                let tagKey = part(tags[index].key)
                if position + 1 < tagCount, bytesEqual(tagKey, part(tags[Int(order[position + 1])].key)) {
                    continue  // a repeated tag key: the last occurrence wins
                }
                write(tagKey)
                write(part(tags[index].value))
            }
            return written
        }
    }
}

/// Whether byte string `a` sorts before `b` (bytewise, a prefix first).
@inline(__always)
private func keyPrecedes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    let n = min(a.count, b.count)
    for i in 0..<n {
        let x = a[i], y = b[i]
        if x != y { return x < y }
    }
    return a.count < b.count
}
