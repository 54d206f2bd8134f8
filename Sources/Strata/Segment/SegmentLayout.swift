import StrataCore
import StrataIO

/// Constants of the segment file format, version 1.
///
/// Spec: `Formats/segment.md`. A segment holds the bucket rows of one granularity: a fixed header,
/// LZ4-compressed checksummed column blocks grouped in row groups, four checksummed index sections
/// (fields, series, postings, row groups), and a fixed footer that locates the sections.
enum SegmentLayout {
    /// "STSG" read as a little-endian `UInt32`; opens the header and closes the footer.
    static let magic: UInt32 = 0x4753_5453
    /// The format version this build writes and reads.
    static let version: UInt8 = 1
    /// Fixed header size in bytes.
    static let headerLength = 32
    /// Fixed footer size in bytes.
    static let footerLength = 64
    /// Rows per row group (the unit of decompression).
    static let rowsPerGroup = 8_192
    /// Bytes of one series-section entry.
    static let seriesEntryLength = 16
    /// Bytes of one postings-section entry.
    static let postingEntryLength = 24
    /// Bytes of one row-group-section entry: 24 fixed + 12 per column.
    static let rowGroupEntryLength = 24 + 12 * Column.allCases.count
    /// Column block codec bytes.
    static let codecNone: UInt8 = 0
    static let codecLZ4: UInt8 = 1
    /// File extension of segment files.
    static let fileExtension = ".seg"

    /// The columns of a row group, in file order. A row is one (series, bucket, field) aggregate.
    enum Column: Int, CaseIterable, CustomStringConvertible {
        case series, start, field, count, sum, min, max, digest

        var description: String {
            switch self {
            case .series: "series"
            case .start: "start"
            case .field: "field"
            case .count: "count"
            case .sum: "sum"
            case .min: "min"
            case .max: "max"
            case .digest: "digest"
            }
        }
    }

    /// The file name of segment `sequence`: 20 zero-padded digits and `.seg`.
    static func name(_ sequence: UInt64) -> String {
        let digits = String(sequence)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + fileExtension
    }

    /// The sequence number in a segment file name, or nil.
    static func sequence(ofName name: String) -> UInt64? {
        guard name.hasSuffix(fileExtension), name.count == 20 + fileExtension.count else { return nil }
        return UInt64(name.dropLast(fileExtension.count))
    }
}

/// A damaged file: which file, where in it, and what was wrong. The engine reports it and keeps serving
/// the other files.
public struct CorruptionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file's path.
    public var file: String
    /// The part of the file (`header`, `footer`, `series section`, `row group 3 column count`, …).
    public var location: String
    /// The decoding failure.
    public var cause: FormatError

    public init(file: String, location: String, cause: FormatError) {
        self.file = file
        self.location = location
        self.cause = cause
    }

    public var description: String { "corruption in \(file), \(location): \(cause)" }
}
