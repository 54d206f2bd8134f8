import StrataCore
import StrataIO

/// Read-only views of WAL files and manifests for offline tools (`strata-dump`).
public enum Inspection {
    /// One WAL record as stored.
    public struct WALRecordSummary: Sendable, Equatable {
        /// File offset of the record's frame.
        public var offset: Int
        public var precision: TimestampPrecision
        public var defaultTimestamp: Int64
        public var receivedAt: Int64
        /// Number of newline-terminated (or final) lines in the text.
        public var lineCount: Int
        /// The line-protocol text.
        public var text: [UInt8]
    }

    /// What a WAL file holds.
    public struct WALSummary: Sendable, Equatable {
        public var path: String
        public var byteCount: Int
        public var validLength: Int
        public var records: [WALRecordSummary]
        /// Damage found, if any (`torn tail at offset …`, `corrupt record at offset …`, `bad header: …`).
        public var problem: String?
    }

    /// Reads a WAL file without changing it.
    public static func wal(path: String) throws -> WALSummary {
        let storage = try File.openForReading(path).map()
        let contents = WALReader.read(storage)
        let records = contents.records.map { offset, record in
            WALRecordSummary(offset: offset, precision: record.precision, defaultTimestamp: record.defaultTimestamp,
                             receivedAt: record.receivedAt, lineCount: lineCount(record.lines), text: record.lines)
        }
        return WALSummary(path: path, byteCount: storage.count, validLength: contents.validLength, records: records,
                          problem: contents.problem?.description)
    }

    /// One live segment as the manifest lists it.
    public struct ManifestSegment: Sendable, Equatable {
        public var path: String
        public var granularity: Granularity
        public var minStart: Int64
        public var maxStart: Int64
        public var rowCount: UInt64
        public var byteCount: UInt64
    }

    /// What a manifest holds.
    public struct ManifestSummary: Sendable, Equatable {
        public var nextSegmentSequence: UInt64
        public var segments: [ManifestSegment]
        /// `(walFile, minuteCutoff)` flush marks.
        public var flushMarks: [(walFile: UInt64, minuteCutoff: Int64)]
        /// Per granularity: buckets starting before this instant are rolled up (nil: none yet).
        public var rolledUpBefore: [Granularity: Int64]

        public static func == (a: ManifestSummary, b: ManifestSummary) -> Bool {
            a.nextSegmentSequence == b.nextSegmentSequence && a.segments == b.segments
                && a.flushMarks.map(\.walFile) == b.flushMarks.map(\.walFile)
                && a.flushMarks.map(\.minuteCutoff) == b.flushMarks.map(\.minuteCutoff) && a.rolledUpBefore == b.rolledUpBefore
        }
    }

    /// Reads the manifest of data directory `directory`.
    public static func manifest(directory: String) throws -> ManifestSummary {
        let manifest = try Manifest.load(directory: directory)
        var rolled: [Granularity: Int64] = [:]
        for granularity in Granularity.allCases where manifest.rolledUpBefore[Int(granularity.rawValue) - 1] != Int64.min {
            rolled[granularity] = manifest.rolledUpBefore[Int(granularity.rawValue) - 1]
        }
        return ManifestSummary(
            nextSegmentSequence: manifest.nextSegmentSequence,
            segments: manifest.segments.map {
                ManifestSegment(path: $0.relativePath, granularity: $0.granularity, minStart: $0.minStart, maxStart: $0.maxStart,
                                rowCount: $0.rowCount, byteCount: $0.byteCount)
            },
            flushMarks: manifest.flushMarks.map { ($0.walFile, $0.minuteCutoff) },
            rolledUpBefore: rolled)
    }

    /// The size of each column block of a segment, summed over row groups: (column name, stored bytes, raw bytes).
    public static func columnSizes(_ segment: SegmentReader) throws -> [(column: String, stored: Int, raw: Int)] {
        var totals = [(stored: Int, raw: Int)](repeating: (0, 0), count: SegmentLayout.Column.allCases.count)
        for index in 0..<segment.rowGroupCount {
            let entry = try segment.rowGroup(index)
            for column in SegmentLayout.Column.allCases {
                let (offset, length) = entry.blocks[column.rawValue]
                var reader = segment.storage.reader(offset..<(offset + length))
                _ = try reader.readUInt8()
                let raw = Int(try reader.readUInt32())
                totals[column.rawValue].stored += length
                totals[column.rawValue].raw += raw
            }
        }
        return SegmentLayout.Column.allCases.map { ($0.description, totals[$0.rawValue].stored, totals[$0.rawValue].raw) }
    }

    private static func lineCount(_ text: [UInt8]) -> Int {
        var count = 0
        for byte in text where byte == UInt8(ascii: "\n") { count += 1 }
        if let last = text.last, last != UInt8(ascii: "\n") { count += 1 }
        return count
    }
}
