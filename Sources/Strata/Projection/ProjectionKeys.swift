import StrataCore
import StrataIO

/// Projection series keys computed on canonical key bytes, without decoding the base key into
/// ``SeriesKey``, `String` and ``Tag`` values: the flush computes one per base series and projection.
///
/// Gives the canonical bytes of ``Projection/key(for:)`` for the decoded key. String comparison in
/// Swift is by canonical equivalence, not bytes, so keys or projections with non-ASCII bytes take
/// that string path instead.
struct ProjectionKeys {
    /// Where one output tag's value comes from.
    private enum Source {
        /// A fixed value (the projection's name, under the reserved key).
        case constant([UInt8])
        /// The base key's value of this tag.
        case tag([UInt8])
        /// A value derived from the base key's value of tag `source`.
        case derived(source: [UInt8], rule: DerivedTag.Rule)
    }

    /// One tag of a projection's key: its key bytes and the sources of its value, first match wins.
    private struct OutputTag {
        let key: [UInt8]
        let sources: [Source]
    }

    private let projections: [Projection]
    private let ascii: Bool
    private let measurements: [[UInt8]]
    /// Per projection, its key's possible tags in key-byte order (the canonical order).
    private let plans: [[OutputTag]]
    private static let reservedKey = Array(Projection.tagKey.utf8)

    init(_ projections: [Projection]) {
        self.projections = projections
        measurements = projections.map { Array($0.measurement.utf8) }
        // `SeriesKey(measurement:tags:)` over [reserved tag, kept tags…, derived tags…] keeps the last
        // value of a repeated key, so each distinct key lists its candidates last first; a candidate
        // whose source tag the base key lacks is skipped.
        plans = projections.map { projection in
            var candidates: [(key: [UInt8], source: Source)] = [(Self.reservedKey, .constant(Array(projection.name.utf8)))]
            for tag in projection.tags { candidates.append((Array(tag.utf8), .tag(Array(tag.utf8)))) }
            for d in projection.derived { candidates.append((Array(d.name.utf8), .derived(source: Array(d.source.utf8), rule: d.rule))) }
            var keys: [[UInt8]] = []
            for candidate in candidates where !keys.contains(candidate.key) { keys.append(candidate.key) }
            keys.sort { $0.lexicographicallyPrecedes($1) }
            return keys.map { key in OutputTag(key: key, sources: candidates.reversed().filter { $0.key == key }.map(\.source)) }
        }
        var strings: [String] = [Projection.tagKey]
        for p in projections { strings += [p.measurement, p.name] + p.tags + p.derived.flatMap { [$0.name, $0.source] } }
        ascii = strings.allSatisfy { $0.utf8.allSatisfy { $0 < 0x80 } }
    }

    /// The canonical key of each projection's series for the base series with canonical key `base`
    /// (nil where the projection does not apply).
    func keys(for base: [UInt8]) -> [[UInt8]?] {
        guard ascii, base.allSatisfy({ $0 < 0x80 }), let parsed = Self.parse(base) else {
            guard let key = try? SeriesKey(canonical: base) else { return projections.map { _ in nil } }
            return projections.map { $0.key(for: key)?.canonicalBytes }
        }
        let (measurement, pairs) = parsed
        return base.withUnsafeBytes { bytes -> [[UInt8]?] in
            func equal(_ range: Range<Int>, _ other: [UInt8]) -> Bool {
                range.count == other.count && other.withUnsafeBytes { bytesEqual(UnsafeRawBufferPointer(rebasing: bytes[range]), $0) }
            }
            func value(of key: [UInt8]) -> Range<Int>? { pairs.first { equal($0.key, key) }?.value }
            if value(of: Self.reservedKey) != nil { return projections.map { _ in nil } }
            return projections.indices.map { p -> [UInt8]? in
                guard equal(measurement, measurements[p]) else { return nil }
                var writer = ByteWriter(capacity: base.count + 32)
                writer.writeLengthPrefixed(measurements[p])
                for tag in plans[p] {
                    for source in tag.sources {
                        switch source {
                        case let .constant(v):
                            writer.writeLengthPrefixed(tag.key)
                            writer.writeLengthPrefixed(v)
                        case let .tag(name):
                            guard let range = value(of: name) else { continue }
                            writer.writeLengthPrefixed(tag.key)
                            writer.writeUVarint(UInt64(range.count))
                            writer.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[range]))
                        case let .derived(name, rule):
                            guard let range = value(of: name) else { continue }
                            writer.writeLengthPrefixed(tag.key)
                            writer.writeLengthPrefixed(Self.derivedValue(rule, base[range]))
                        }
                        break
                    }
                }
                return writer.bytes
            }
        }
    }

    /// ``DerivedTag/value(from:)`` on bytes.
    private static func derivedValue(_ rule: DerivedTag.Rule, _ source: ArraySlice<UInt8>) -> [UInt8] {
        switch rule {
        case .statusClass:
            guard source.count == 3, source.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return Array("other".utf8) }
            return [source[source.startIndex], UInt8(ascii: "x"), UInt8(ascii: "x")]
        }
    }

    /// Measurement and tag pairs of a canonical key, as byte ranges (nil if malformed).
    private static func parse(_ bytes: [UInt8]) -> (Range<Int>, [(key: Range<Int>, value: Range<Int>)])? {
        var position = 0
        func field() -> Range<Int>? {
            var length = 0, shift = 0
            while true {
                guard position < bytes.count, shift < 63 else { return nil }
                let byte = bytes[position]
                position += 1
                length |= Int(byte & 0x7F) << shift
                if byte < 0x80 { break }
                shift += 7
            }
            guard length <= bytes.count - position else { return nil }
            defer { position += length }
            return position..<(position + length)
        }
        guard let measurement = field() else { return nil }
        var pairs: [(key: Range<Int>, value: Range<Int>)] = []
        while position < bytes.count {
            guard let key = field(), let value = field() else { return nil }
            pairs.append((key, value))
        }
        return (measurement, pairs)
    }
}
