import StrataCore

/// The canonical series key (see ``SeriesKey``) and its hash for every point of a parsed batch.
///
/// Building keys needs no head state, so the engine builds them before it takes its lock, on the
/// writer's own thread: concurrent writers build keys in parallel, and the head's serial work starts
/// from ready hashes (which also lets it prefetch the hash slots of points ahead).
struct SeriesKeyBatch: Sendable {
    /// All keys back to back; point `i`'s key is `bytes[ends[i - 1]..<ends[i]]` (`ends[-1]` = 0).
    let bytes: HeadArray<UInt8>
    let ends: HeadArray<UInt32>
    let hashes: HeadArray<UInt64>

    /// Builds the keys of every point of `batch`.
    init(_ batch: ParsedBatch) {
        let pointCount = batch.points.count
        let bytes = HeadArray<UInt8>(capacity: max(64, pointCount * 64))
        let ends = HeadArray<UInt32>(capacity: pointCount)
        let hashes = HeadArray<UInt64>(capacity: pointCount)
        let order = HeadArray<Int32>(capacity: 64)
        batch.bytes.withUnsafeBytes { text in
            batch.tags.withUnsafeBufferPointer { tags in
                for point in batch.points {
                    let start = bytes.count
                    Self.appendCanonicalKey(point, text: text, tags: tags, to: bytes, order: order)
                    ends.append(UInt32(bytes.count))
                    hashes.append(HeadSeriesTable.hash(bytes.bytes(start..<bytes.count)))
                }
            }
        }
        self.bytes = bytes
        self.ends = ends
        self.hashes = hashes
    }

    /// Number of keys (points).
    var count: Int { ends.count }

    /// Point `index`'s key (valid while the batch lives).
    @inline(__always)
    func key(_ index: Int) -> UnsafeRawBufferPointer {
        let start = index == 0 ? 0 : Int(ends[index - 1])
        return bytes.bytes(start..<Int(ends[index]))
    }

    /// Appends the canonical key of `point` to `key`: the measurement, then tags sorted by key (the
    /// last of repeated keys winning), each part prefixed with its length as a LEB128 varint.
    private static func appendCanonicalKey(
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
