import StrataCore
import StrataIO

/// The commit point of the data directory: which segment files are live, and which WAL contents are
/// already in segments. A segment file not listed here does not exist as far as the engine is
/// concerned (it is an orphan of a crash and is deleted on open).
///
/// Spec: `Formats/manifest.md`. Published with the crash-safe sequence (tmp, fsync, rename, fsync dir),
/// so a crash leaves either the old or the new manifest, whole.
struct Manifest: Sendable, Equatable {
    /// "STMF" read as a little-endian `UInt32`.
    static let magic: UInt32 = 0x464D_5453
    static let version: UInt8 = 1
    static let fileName = "MANIFEST"

    /// One live segment file.
    struct Segment: Sendable, Equatable {
        var granularity: Granularity
        var sequence: UInt64
        var minStart: Int64
        var maxStart: Int64
        var rowCount: UInt64
        var byteCount: UInt64

        /// The path of the file relative to the data directory, e.g. `1m/00000000000000000003.seg`.
        var relativePath: String { granularity.name + "/" + SegmentLayout.name(sequence) }
    }

    /// A flush of the head: every point logged in a WAL file numbered below `walFile` whose minute
    /// starts before `minuteCutoff` is in a segment. Replay skips exactly those points.
    struct FlushMark: Sendable, Equatable {
        var walFile: UInt64
        var minuteCutoff: Int64
    }

    /// The next segment sequence number to assign.
    var nextSegmentSequence: UInt64 = 1
    /// Live segments, in the order they were added.
    var segments: [Segment] = []
    /// Flushes whose WAL files may still exist (pruned as files are deleted).
    var flushMarks: [FlushMark] = []
    /// Per granularity (index = raw value − 1): every bucket of that granularity starting before this
    /// instant has been rolled up into the next coarser one (compaction bookkeeping; `Int64.min` = none).
    var rolledUpBefore: [Int64] = Array(repeating: Int64.min, count: 4)
    /// Every 1-minute bucket starting before this instant has been flushed from the head at least once
    /// (later points for it arrive as late data). `Int64.min` until the first flush.
    var sealedBefore: Int64 = Int64.min

    /// Per granularity (index = raw value − 1): retention has dropped segments of that granularity up
    /// to this instant, so it no longer answers for buckets starting before it (`Int64.min` = nothing
    /// dropped). Queries use the next coarser granularity there.
    var droppedBefore: [Int64] = Array(repeating: Int64.min, count: 4)

    /// `droppedBefore` of `granularity`.
    func dropped(before granularity: Granularity) -> Int64 { droppedBefore[Int(granularity.rawValue) - 1] }

    /// `rolledUpBefore` of `granularity`.
    func rolledUp(before granularity: Granularity) -> Int64 { rolledUpBefore[Int(granularity.rawValue) - 1] }

    /// Sets `rolledUpBefore` of `granularity`.
    mutating func setRolledUp(before value: Int64, for granularity: Granularity) {
        rolledUpBefore[Int(granularity.rawValue) - 1] = value
    }

    /// The minute before which a point logged in WAL file `walFile` is already in a segment
    /// (`Int64.min` when none is).
    func replayCutoff(forWALFile walFile: UInt64) -> Int64 {
        flushMarks.filter { walFile < $0.walFile }.map(\.minuteCutoff).max() ?? Int64.min
    }

    func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: 256 + segments.count * 41)
        writer.writeUInt32(Self.magic)
        writer.writeUInt8(Self.version)
        writer.writeBytes([0, 0, 0])
        writer.writeUInt64(nextSegmentSequence)
        for value in rolledUpBefore { writer.writeInt64(value) }
        writer.writeInt64(sealedBefore)
        for value in droppedBefore { writer.writeInt64(value) }
        writer.writeUInt32(UInt32(flushMarks.count))
        for mark in flushMarks {
            writer.writeUInt64(mark.walFile)
            writer.writeInt64(mark.minuteCutoff)
        }
        writer.writeUInt32(UInt32(segments.count))
        for segment in segments {
            writer.writeUInt8(segment.granularity.rawValue)
            writer.writeUInt64(segment.sequence)
            writer.writeInt64(segment.minStart)
            writer.writeInt64(segment.maxStart)
            writer.writeUInt64(segment.rowCount)
            writer.writeUInt64(segment.byteCount)
        }
        writer.writeChecksum(from: 0)
        return writer.bytes
    }

    init() {}

    init(decoding bytes: [UInt8]) throws(FormatError) {
        var reader = ByteReader(bytes: bytes)
        guard bytes.count >= 12 else { throw .truncated(offset: 0, needed: 12, available: bytes.count) }
        var crcReader = ByteReader(bytes: bytes)
        try crcReader.skip(bytes.count - 4)
        try crcReader.verifyChecksum(of: 0..<(bytes.count - 4))
        let magic = try reader.readUInt32()
        guard magic == Self.magic else { throw .badMagic(offset: 0, found: UInt64(magic), expected: UInt64(Self.magic)) }
        let version = try reader.readUInt8()
        guard version == Self.version else { throw .unsupportedVersion(offset: 4, found: version, supported: Self.version) }
        try reader.skip(3)
        nextSegmentSequence = try reader.readUInt64()
        rolledUpBefore = []
        for _ in 0..<4 { rolledUpBefore.append(try reader.readInt64()) }
        sealedBefore = try reader.readInt64()
        droppedBefore = []
        for _ in 0..<4 { droppedBefore.append(try reader.readInt64()) }
        let markCount = Int(try reader.readUInt32())
        guard markCount <= reader.remaining / 16 else { throw .invalidValue(offset: reader.offset, reason: "\(markCount) flush marks") }
        for _ in 0..<markCount {
            flushMarks.append(FlushMark(walFile: try reader.readUInt64(), minuteCutoff: try reader.readInt64()))
        }
        let segmentCount = Int(try reader.readUInt32())
        guard segmentCount <= reader.remaining / 41 else { throw .invalidValue(offset: reader.offset, reason: "\(segmentCount) segments") }
        for _ in 0..<segmentCount {
            let at = reader.offset
            let raw = try reader.readUInt8()
            guard let granularity = Granularity(rawValue: raw) else { throw .invalidValue(offset: at, reason: "unknown granularity \(raw)") }
            segments.append(Segment(granularity: granularity, sequence: try reader.readUInt64(), minStart: try reader.readInt64(),
                                    maxStart: try reader.readInt64(), rowCount: try reader.readUInt64(), byteCount: try reader.readUInt64()))
        }
        guard reader.remaining == 4 else { throw .invalidValue(offset: reader.offset, reason: "\(reader.remaining - 4) unexpected bytes") }
    }

    /// Reads the manifest of `directory`; an absent file is an empty manifest.
    static func load(directory: String) throws -> Manifest {
        let path = directory + "/" + fileName
        guard FileSystem.exists(path) else { return Manifest() }
        let bytes = try File.openForReading(path).readAll()
        do {
            return try Manifest(decoding: bytes)
        } catch {
            throw CorruptionError(file: path, location: "manifest", cause: error)
        }
    }

    /// Publishes this manifest in `directory` crash-safely.
    func publish(directory: String) throws(IOError) {
        try FileSystem.writeAtomically(encoded(), to: directory + "/" + Self.fileName)
    }
}
