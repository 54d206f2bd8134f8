import StrataCore
import StrataIO

/// The layout of one WAL file: a 16-byte header, then records back to back.
///
/// Spec: `Formats/wal.md`. Files are named by a zero-padded 20-digit sequence number
/// (`00000000000000000007.wal`) so that names sort in write order.
enum WALFile {
    /// "STWL" read as a little-endian `UInt32`.
    static let magic: UInt32 = 0x4C57_5453
    /// The format version this build writes and reads.
    static let version: UInt8 = 1
    /// Bytes before the first record.
    static let headerLength = 16
    /// Bytes of a record's frame around its payload: length (4), type (1), CRC (4).
    static let frameOverhead = 9
    /// The largest record payload accepted (64 MiB): a length beyond it is treated as corruption.
    static let maxRecordLength = 64 << 20
    /// File extension.
    static let fileExtension = ".wal"

    /// The file name of WAL file `sequence`.
    static func name(_ sequence: UInt64) -> String {
        let digits = String(sequence)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + fileExtension
    }

    /// The sequence number encoded in a WAL file name, or nil for other names.
    static func sequence(ofName name: String) -> UInt64? {
        guard name.hasSuffix(fileExtension), name.count == 20 + fileExtension.count else { return nil }
        return UInt64(name.dropLast(fileExtension.count))
    }

    /// The header of file `sequence`.
    static func header(sequence: UInt64) -> [UInt8] {
        var writer = ByteWriter(capacity: headerLength)
        writer.writeUInt32(magic)
        writer.writeUInt8(version)
        writer.writeBytes([0, 0, 0])
        writer.writeUInt64(sequence)
        return writer.bytes
    }

    /// A framed record: `length <4b> | type <1b> | payload | crc32c <4b>`; length and CRC cover type and payload.
    static func frame(_ record: WALRecord) -> [UInt8] {
        var writer = ByteWriter(capacity: record.lines.count / 2 + 64)
        writer.writeUInt32(0)
        writer.writeUInt8(WALRecord.typeLines)
        record.encodePayload(into: &writer)
        writer.patchUInt32(UInt32(writer.count - 4), at: 0)
        writer.writeChecksum(from: 4)
        return writer.bytes
    }
}
