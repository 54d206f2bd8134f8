import StrataCore
import StrataIO

/// One logged write: the line-protocol bytes exactly as a client sent them, with what is needed to
/// parse them again identically on replay.
///
/// Spec: `Formats/wal.md` § Record.
struct WALRecord: Sendable, Equatable {
    /// Record type byte of a line-protocol batch.
    static let typeLines: UInt8 = 1
    /// Payload codec: stored as is.
    static let codecNone: UInt8 = 0
    /// Payload codec: one LZ4 block.
    static let codecLZ4: UInt8 = 1
    /// Payloads at least this long are LZ4-compressed when that saves at least an eighth.
    static let compressionThreshold = 512
    /// Payloads at least this long (the big batches of TCP ingest) are compressed with LZ4
    /// acceleration 4: on line protocol about 25 % faster for about 7 % more bytes (4.1× instead of
    /// 4.4×), and compression is a tenth of ingest's CPU. Smaller ones use the default.
    static let fastCompressionThreshold = 64 << 10

    /// Precision of timestamps in `lines`.
    var precision: TimestampPrecision
    /// Timestamp (ns) given to lines without one.
    var defaultTimestamp: Int64
    /// The engine clock (Unix seconds) when the write was accepted; replay judges "too far in the
    /// future" against this instant, exactly as the original write was judged.
    var receivedAt: Int64
    /// The line-protocol text.
    var lines: [UInt8]

    /// The record's payload (the bytes between the type byte and the CRC).
    func encodePayload(into writer: inout ByteWriter) {
        writer.writeUInt8(Self.precisionCode(precision))
        var codec = Self.codecNone
        var stored = lines
        if lines.count >= Self.compressionThreshold {
            let compressed = LZ4.compress(lines, acceleration: lines.count >= Self.fastCompressionThreshold ? 4 : 1)
            if compressed.count <= lines.count - lines.count / 8 {
                codec = Self.codecLZ4
                stored = compressed
            }
        }
        writer.writeUInt8(codec)
        writer.writeInt64(defaultTimestamp)
        writer.writeInt64(receivedAt)
        writer.writeUVarint(UInt64(lines.count))
        writer.writeBytes(stored)
    }

    /// Decodes a payload (the bytes between the type byte and the CRC).
    init(payload reader: inout ByteReader) throws(FormatError) {
        let precisionOffset = reader.offset
        guard let precision = Self.precision(code: try reader.readUInt8()) else {
            throw FormatError.invalidValue(offset: precisionOffset, reason: "unknown precision code")
        }
        let codecOffset = reader.offset
        let codec = try reader.readUInt8()
        defaultTimestamp = try reader.readInt64()
        receivedAt = try reader.readInt64()
        let rawLength = try reader.readLength(limit: WALFile.maxRecordLength)
        switch codec {
        case Self.codecNone:
            guard reader.remaining == rawLength else {
                throw FormatError.invalidValue(offset: reader.offset, reason: "stored \(reader.remaining) bytes, header says \(rawLength)")
            }
            lines = try reader.readBytes(rawLength)
        case Self.codecLZ4:
            lines = try LZ4.decompress(try reader.readSlice(reader.remaining), originalSize: rawLength)
        default:
            throw FormatError.invalidValue(offset: codecOffset, reason: "unknown codec \(codec)")
        }
        self.precision = precision
    }

    init(precision: TimestampPrecision, defaultTimestamp: Int64, receivedAt: Int64, lines: [UInt8]) {
        self.precision = precision
        self.defaultTimestamp = defaultTimestamp
        self.receivedAt = receivedAt
        self.lines = lines
    }

    static func precisionCode(_ precision: TimestampPrecision) -> UInt8 {
        switch precision {
        case .nanoseconds: 0
        case .microseconds: 1
        case .milliseconds: 2
        case .seconds: 3
        }
    }

    static func precision(code: UInt8) -> TimestampPrecision? {
        switch code {
        case 0: .nanoseconds
        case 1: .microseconds
        case 2: .milliseconds
        case 3: .seconds
        default: nil
        }
    }
}
