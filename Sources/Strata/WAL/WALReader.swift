import StrataCore
import StrataIO

/// What reading one WAL file found: its good records, and where (if anywhere) it stopped.
struct WALFileContents: Sendable {
    /// Each good record with the file offset of its frame.
    var records: [(offset: Int, record: WALRecord)]
    /// Bytes from the start of the file through the last good record.
    var validLength: Int
    /// Why reading stopped before the end of the file, if it did.
    var problem: WALProblem?
}

/// Damage found in a WAL file.
public enum WALProblem: Sendable, Equatable, CustomStringConvertible {
    /// The last record is incomplete or fails its checksum: a write torn by a crash. Replay truncates
    /// the file at `offset` (losing only that unacknowledged write).
    case tornTail(offset: Int, reason: String)
    /// A record followed by more data is damaged: replay of this file stops at `offset`.
    case corruptRecord(offset: Int, reason: String)
    /// The file header is damaged; nothing in the file is replayed.
    case badHeader(reason: String)

    public var description: String {
        switch self {
        case let .tornTail(offset, reason): "torn tail at offset \(offset): \(reason)"
        case let .corruptRecord(offset, reason): "corrupt record at offset \(offset): \(reason)"
        case let .badHeader(reason): "bad header: \(reason)"
        }
    }
}

/// Reads WAL files written by ``WriteAheadLog``.
enum WALReader {
    /// Reads every record of the WAL file at `path`, stopping at the first damaged one.
    static func read(path: String) throws(IOError) -> WALFileContents {
        let file = try File.openForReading(path)
        let storage = try file.map()
        return read(storage)
    }

    /// Reads every record of a WAL file's bytes.
    static func read(_ storage: ByteStorage) -> WALFileContents {
        var contents = WALFileContents(records: [], validLength: 0, problem: nil)
        var reader = storage.reader()
        do throws(FormatError) {
            let magic = try reader.readUInt32()
            guard magic == WALFile.magic else {
                throw FormatError.badMagic(offset: 0, found: UInt64(magic), expected: UInt64(WALFile.magic))
            }
            let version = try reader.readUInt8()
            guard version == WALFile.version else {
                throw FormatError.unsupportedVersion(offset: 4, found: version, supported: WALFile.version)
            }
            try reader.skip(WALFile.headerLength - 5)
        } catch {
            // A header cut short by a crash right after creation holds no records: a torn tail at 0.
            if case .truncated = error {
                contents.problem = .tornTail(offset: 0, reason: "header incomplete (\(storage.count) bytes)")
            } else {
                contents.problem = .badHeader(reason: error.description)
            }
            return contents
        }
        contents.validLength = WALFile.headerLength
        while !reader.isAtEnd {
            let frameStart = reader.offset
            do throws(FormatError) {
                let length = Int(try reader.readUInt32())
                guard length >= 1, length <= WALFile.maxRecordLength else {
                    throw FormatError.invalidValue(offset: frameStart, reason: "record length \(length) out of range")
                }
                let payloadStart = reader.offset
                try reader.skip(length)
                try reader.verifyChecksum(of: payloadStart..<(payloadStart + length))
                var payload = try reader.reader(at: (payloadStart + 1)..<(payloadStart + length))
                let type = storage.copyBytes(payloadStart..<(payloadStart + 1))[0]
                guard type == WALRecord.typeLines else {
                    throw FormatError.invalidValue(offset: payloadStart, reason: "unknown record type \(type)")
                }
                let record = try WALRecord(payload: &payload)
                contents.records.append((frameStart, record))
                contents.validLength = reader.offset
            } catch {
                // Damage that reaches the end of the file is a torn write; damage with good bytes after it is not.
                let frameEnd = frameEndIfPlausible(storage, frameStart)
                if frameEnd == nil || frameEnd! >= storage.count {
                    contents.problem = .tornTail(offset: frameStart, reason: error.description)
                } else {
                    contents.problem = .corruptRecord(offset: frameStart, reason: error.description)
                }
                return contents
            }
        }
        return contents
    }

    /// Where the frame starting at `start` would end according to its length field, or nil when the
    /// length field itself is cut off or implausible.
    private static func frameEndIfPlausible(_ storage: ByteStorage, _ start: Int) -> Int? {
        var reader = storage.reader(start..<storage.count)
        guard let length = try? reader.readUInt32(), length >= 1, Int(length) <= WALFile.maxRecordLength else { return nil }
        return start + 4 + Int(length) + 4
    }
}
