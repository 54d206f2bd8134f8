import StrataIO

/// The identity of a series: a measurement and its tag set, tags sorted by key.
///
/// Its canonical byte form, used as the series dictionary key in the head, the WAL and segment
/// files, is a run of `UVarint` length-prefixed strings: the measurement, then each tag's key and
/// value in ascending byte order of the keys. Two points belong to the same series exactly when their
/// canonical forms are equal, whatever order their tags were written in.
public struct SeriesKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The measurement name.
    public let measurement: String
    /// The tags, sorted by key, keys unique.
    public let tags: [Tag]
    /// The canonical byte form, computed once: equality, hashing and ordering use it.
    public let canonicalBytes: [UInt8]

    /// A key from a measurement and tags in any order. When a key repeats, the last value wins.
    public init(measurement: String, tags: [Tag]) {
        self.measurement = measurement
        var sorted: [Tag] = []
        sorted.reserveCapacity(tags.count)
        for tag in tags.reversed() where !sorted.contains(where: { $0.key == tag.key }) {
            sorted.append(tag)
        }
        sorted.sort { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
        self.tags = sorted
        self.canonicalBytes = Self.encode(measurement: measurement, tags: sorted)
    }

    /// The value of tag `key`, if present.
    public func value(of key: String) -> String? { tags.first(where: { $0.key == key })?.value }

    private static func encode(measurement: String, tags: [Tag]) -> [UInt8] {
        var writer = ByteWriter(capacity: 64)
        writer.writeLengthPrefixed(Array(measurement.utf8))
        for tag in tags {
            writer.writeLengthPrefixed(Array(tag.key.utf8))
            writer.writeLengthPrefixed(Array(tag.value.utf8))
        }
        return writer.bytes
    }

    /// Decodes a canonical byte form.
    public init(canonical reader: inout ByteReader) throws(FormatError) {
        let start = reader.offset
        let measurementLength = try reader.readLength(limit: reader.remaining)
        measurement = try reader.readString(measurementLength)
        var tags: [Tag] = []
        while !reader.isAtEnd {
            let keyLength = try reader.readLength(limit: reader.remaining)
            let key = try reader.readString(keyLength)
            let valueLength = try reader.readLength(limit: reader.remaining)
            let value = try reader.readString(valueLength)
            tags.append(Tag(key: key, value: value))
        }
        for i in tags.indices.dropFirst() where !Array(tags[i - 1].key.utf8).lexicographicallyPrecedes(Array(tags[i].key.utf8)) {
            throw .invalidValue(offset: start, reason: "series key tags not in ascending key order")
        }
        self.tags = tags
        self.canonicalBytes = try reader.reader(at: start..<reader.offset).remainingBytes
    }

    /// Decodes a canonical byte form held in an array.
    public init(canonical bytes: [UInt8]) throws(FormatError) {
        var reader = ByteReader(bytes: bytes)
        try self.init(canonical: &reader)
    }

    /// The line-protocol form: `measurement,key=value,…` with line-protocol escaping.
    public var description: String {
        var text = escape(measurement, specials: [",", " "])
        for tag in tags {
            text += "," + escape(tag.key, specials: [",", "=", " "]) + "=" + escape(tag.value, specials: [",", "=", " "])
        }
        return text
    }

    public static func < (lhs: SeriesKey, rhs: SeriesKey) -> Bool {
        compareBytes(lhs.canonicalBytes, rhs.canonicalBytes) < 0
    }

    public static func == (lhs: SeriesKey, rhs: SeriesKey) -> Bool { lhs.canonicalBytes == rhs.canonicalBytes }

    public func hash(into hasher: inout Hasher) {
        canonicalBytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}

private func escape(_ text: String, specials: Set<Character>) -> String {
    var out = ""
    for character in text {
        if specials.contains(character) || character == "\\" { out.append("\\") }
        out.append(character)
    }
    return out
}

/// Bytewise three-way comparison (memcmp order, shorter prefix first).
public func compareBytes(_ a: [UInt8], _ b: [UInt8]) -> Int {
    a.withUnsafeBytes { x in b.withUnsafeBytes { y in compareBytes(x, y) } }
}

/// Bytewise three-way comparison of two buffers (memcmp order, shorter prefix first).
@inlinable @inline(__always)
public func compareBytes(_ x: UnsafeRawBufferPointer, _ y: UnsafeRawBufferPointer) -> Int {
    let n = Swift.min(x.count, y.count)
    if n > 0 {
        let c = memcmp(x.baseAddress!, y.baseAddress!, n)
        if c != 0 { return Int(c) }
    }
    return x.count - y.count
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
