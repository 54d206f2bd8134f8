import Testing
import StrataCore
import StrataIO
@testable import Strata

@Suite struct WALTests {
    static func record(_ text: String, at timestamp: Int64 = 1_763_800_000_000_000_000) -> WALRecord {
        WALRecord(precision: .nanoseconds, defaultTimestamp: timestamp, receivedAt: timestamp / 1_000_000_000, lines: Array(text.utf8))
    }

    @Test func appendedRecordsReadBackExactly() throws {
        let dir = TemporaryDirectory()
        let wal = try WriteAheadLog(directory: dir.path)
        #expect(wal.activeSequence == 1)
        let small = Self.record("cpu value=1 1\ncpu value=2 2\n")
        let large = Self.record(String(repeating: "http_request,endpoint=/a,method=GET duration_ms=41.7 1763800000000000000\n", count: 100))
        let (lsn1, file1) = try wal.append(small)
        let (lsn2, _) = try wal.append(large)
        #expect(file1 == 1)
        #expect(lsn2 > lsn1)
        try wal.sync(through: lsn2)
        let contents = try WALReader.read(path: wal.path(of: 1))
        #expect(contents.problem == nil)
        #expect(contents.records.map(\.record) == [small, large])
        #expect(contents.records[0].offset == WALFile.headerLength)
        let size = try FileSystem.fileSize(wal.path(of: 1))
        #expect(contents.validLength == size)
        // The large record is LZ4-compressed on disk: far smaller than its 7,400 bytes of text.
        #expect(contents.validLength < 1_000)
    }

    @Test func frameBytesMatchTheSpec() {
        // Formats/wal.md § Record: length, type, payload, CRC32C over type + payload.
        let frame = WALFile.frame(Self.record("m f=1", at: 0))
        let payloadLength = 1 + 1 + 1 + 8 + 8 + 1 + 5  // type, precision, codec, default ts, received, rawLength, text
        #expect(frame.count == 4 + payloadLength + 4)
        #expect(Array(frame[0..<4]) == [UInt8(payloadLength), 0, 0, 0])
        #expect(frame[4] == WALRecord.typeLines)
        #expect(frame[5] == 0)  // precision ns
        #expect(frame[6] == WALRecord.codecNone)
        #expect(Array(frame[(frame.count - 9)..<(frame.count - 4)]) == Array("m f=1".utf8))
        let crc = CRC32C.checksum(frame[4..<(frame.count - 4)])
        #expect(Array(frame.suffix(4)) == [UInt8(crc & 0xFF), UInt8((crc >> 8) & 0xFF), UInt8((crc >> 16) & 0xFF), UInt8(crc >> 24)])
        #expect(WALFile.header(sequence: 7) == [0x53, 0x54, 0x57, 0x4C, 1, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test(arguments: [1, 4, 9, 20])
    func tornTailIsDetected(cut: Int) throws {
        let dir = TemporaryDirectory()
        let wal = try WriteAheadLog(directory: dir.path)
        try wal.append(Self.record("a v=1 1"))
        let (lsn, _) = try wal.append(Self.record("b v=2 2"))
        try wal.sync(through: lsn)
        let path = wal.path(of: 1)
        let bytes = try File.openForReading(path).readAll()
        let firstEnd = WALFile.headerLength + WALFile.frame(Self.record("a v=1 1")).count
        let damaged = Array(bytes.prefix(bytes.count - cut))
        let contents = WALReader.read(ByteStorage(copying: damaged))
        #expect(contents.records.count == 1)
        #expect(contents.validLength == firstEnd)
        guard case let .tornTail(offset, _)? = contents.problem else { Issue.record("expected a torn tail"); return }
        #expect(offset == firstEnd)
    }

    @Test func corruptMiddleRecordStopsTheFile() throws {
        let dir = TemporaryDirectory()
        let wal = try WriteAheadLog(directory: dir.path)
        for i in 0..<3 { try wal.append(Self.record("m v=\(i) \(i)")) }
        try wal.syncAll()
        var bytes = try File.openForReading(wal.path(of: 1)).readAll()
        let frameLength = WALFile.frame(Self.record("m v=1 1")).count
        let second = WALFile.headerLength + frameLength
        bytes[second + 10] ^= 0x40
        let contents = WALReader.read(ByteStorage(copying: bytes))
        #expect(contents.records.count == 1)
        guard case let .corruptRecord(offset, reason)? = contents.problem else {
            Issue.record("expected a corrupt record, got \(String(describing: contents.problem))")
            return
        }
        #expect(offset == second)
        #expect(reason.contains("checksum mismatch"))
    }

    @Test func badMagicIsAHeaderProblem() {
        var bytes = WALFile.header(sequence: 1) + WALFile.frame(Self.record("m v=1"))
        bytes[0] = 0
        let contents = WALReader.read(ByteStorage(copying: bytes))
        #expect(contents.records.isEmpty)
        guard case .badHeader? = contents.problem else {
            Issue.record("expected bad header")
            return
        }
    }

    @Test func rollingAndRemoval() throws {
        let dir = TemporaryDirectory()
        let wal = try WriteAheadLog(directory: dir.path, rollSize: 200)
        for i in 0..<10 { try wal.append(Self.record("measurement_\(i) value=\(i) \(i)\n")) }
        let sequences = try WriteAheadLog.existingSequences(in: dir.path)
        #expect(sequences.count > 2)
        #expect(sequences.last == wal.activeSequence)
        var total = 0
        for sequence in sequences { total += try WALReader.read(path: wal.path(of: sequence)).records.count }
        #expect(total == 10)
        let next = try wal.roll()
        try wal.removeFiles(below: next)
        #expect(try WriteAheadLog.existingSequences(in: dir.path) == [next])
        // A reopened log never appends to an old file.
        let reopened = try WriteAheadLog(directory: dir.path)
        #expect(reopened.activeSequence == next + 1)
    }

    @Test func concurrentWritersShareFsyncs() async throws {
        let dir = TemporaryDirectory()
        let wal = try WriteAheadLog(directory: dir.path)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<4 {
                group.addTask {
                    for i in 0..<50 {
                        let (lsn, _) = try wal.append(Self.record("w\(writer) v=\(i) \(i)"))
                        try wal.sync(through: lsn)
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try WALReader.read(path: wal.path(of: 1)).records.count == 200)
    }
}
