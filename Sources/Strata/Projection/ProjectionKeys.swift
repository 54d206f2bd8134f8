import StrataCore
import StrataIO

/// Projection series keys computed on canonical key bytes, without decoding the base key into
/// ``SeriesKey``, `String` and ``Tag`` values: the flush computes one per base series and projection.
///
/// Gives the canonical bytes of ``Projection/key(for:)`` for the decoded key. String comparison in
/// Swift is by canonical equivalence, not bytes, so keys or projections with non-ASCII bytes take
/// that string path instead.
struct ProjectionKeys {
    private let projections: [Projection]
    private let ascii: Bool
    private let measurements: [[UInt8]]
    private let names: [[UInt8]]
    private let tags: [[[UInt8]]]
    private let derived: [[(name: [UInt8], source: [UInt8], tag: DerivedTag)]]
    private static let reservedKey = Array(Projection.tagKey.utf8)

    init(_ projections: [Projection]) {
        self.projections = projections
        measurements = projections.map { Array($0.measurement.utf8) }
        names = projections.map { Array($0.name.utf8) }
        tags = projections.map { $0.tags.map { Array($0.utf8) } }
        derived = projections.map { $0.derived.map { (Array($0.name.utf8), Array($0.source.utf8), $0) } }
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
        func value(of key: [UInt8]) -> ArraySlice<UInt8>? { pairs.first { $0.key.elementsEqual(key) }?.value }
        if value(of: Self.reservedKey) != nil { return projections.map { _ in nil } }
        return projections.indices.map { p -> [UInt8]? in
            guard measurement.elementsEqual(measurements[p]) else { return nil }
            var kept: [(key: [UInt8], value: [UInt8])] = [(Self.reservedKey, names[p])]
            for tag in tags[p] { if let v = value(of: tag) { kept.append((tag, Array(v))) } }
            for d in derived[p] {
                guard let source = value(of: d.source) else { continue }
                kept.append((d.name, Self.derivedValue(d.tag.rule, source)))
            }
            // SeriesKey(measurement:tags:): a repeated key keeps its last value; tags sorted by key bytes.
            var unique: [(key: [UInt8], value: [UInt8])] = []
            for tag in kept.reversed() where !unique.contains(where: { $0.key == tag.key }) { unique.append(tag) }
            unique.sort { $0.key.lexicographicallyPrecedes($1.key) }
            var writer = ByteWriter(capacity: 64)
            writer.writeLengthPrefixed(measurements[p])
            for tag in unique {
                writer.writeLengthPrefixed(tag.key)
                writer.writeLengthPrefixed(tag.value)
            }
            return writer.bytes
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

    /// Measurement and tag pairs of a canonical key (nil if malformed).
    private static func parse(_ bytes: [UInt8]) -> (ArraySlice<UInt8>, [(key: ArraySlice<UInt8>, value: ArraySlice<UInt8>)])? {
        var position = 0
        func field() -> ArraySlice<UInt8>? {
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
            return bytes[position..<(position + length)]
        }
        guard let measurement = field() else { return nil }
        var pairs: [(key: ArraySlice<UInt8>, value: ArraySlice<UInt8>)] = []
        while position < bytes.count {
            guard let key = field(), let value = field() else { return nil }
            pairs.append((key, value))
        }
        return (measurement, pairs)
    }
}
