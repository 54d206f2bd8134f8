import Foundation
import Testing
import StrataCore
import StrataIO
@testable import Strata

/// Runs the real `strata-dump` executable (built by `swift build --build-tests`) on good and damaged files.
@Suite struct DumpToolTests {
    static let binary: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/strata-dump").path
    }()

    func run(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let error = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: error, as: UTF8.self))
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: DumpToolTests.binary)))
    func verifyPassesOnGoodFilesAndFailsOnDamage() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("good.seg")
        try SegmentFile.write(GoldenFileTests.segmentRows(), granularity: .minute, to: path)
        let good = try run([path, "--verify"])
        #expect(good.status == 0)
        #expect(good.output.contains("OK \(path): every checksum verified (1 row groups, 2 series)"))

        var bytes = try File.openForReading(path).readAll()
        let reader = try SegmentReader(path: path)
        let block = try reader.rowGroup(0).blocks[SegmentLayout.Column.sum.rawValue]
        bytes[block.offset + 10] ^= 0x20
        let damagedPath = dir.file("damaged.seg")
        try File.createNew(damagedPath).writeAll(bytes)
        let damaged = try run([damagedPath, "--verify"])
        #expect(damaged.status == 1)
        #expect(damaged.error.contains("DAMAGED corruption in \(damagedPath), row group 0 column sum (block at offset \(block.offset))"))
        #expect(damaged.error.contains("checksum mismatch"))
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: DumpToolTests.binary)))
    func rowsAndJSON() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("s.seg")
        try SegmentFile.write(GoldenFileTests.segmentRows(), granularity: .minute, to: path)
        let text = try run([path, "--rows", "--series", "status=200"])
        #expect(text.status == 0)
        #expect(text.output.contains("series (1 of 2):"))
        #expect(text.output.contains("2025-11-22T08:27:00Z http_request,endpoint=/api/v1/orders,status=200 duration_ms: count=4 sum=194.9 min=12.5 max=99 p50=41.7"))
        let json = try run([path, "--json", "--rows"])
        let object = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any]
        #expect(object?["series"] as? Int == 2)
        #expect((object?["rows"] as? [[String: Any]])?.count == 5)
        #expect(object?["granularity"] as? String == "1m")
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: DumpToolTests.binary)))
    func walAndTornTail() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("00000000000000000003.wal")
        let bytes = GoldenFileTests.walBytes()
        try File.createNew(path).writeAll(bytes)
        let good = try run([path, "--verify"])
        #expect(good.status == 0)
        #expect(good.output.contains("202 bytes, 202 valid, 2 records, 13 lines"))
        let torn = dir.file("00000000000000000004.wal")
        try File.createNew(torn).writeAll(Array(bytes.dropLast(5)))
        let bad = try run([torn, "--verify"])
        #expect(bad.status == 1)
        #expect(bad.error.contains("torn tail at offset 79"))
    }
}
