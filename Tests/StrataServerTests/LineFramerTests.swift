import Testing
@testable import StrataServer

@Suite("Line framer")
struct LineFramerTests {
    func frame(_ pieces: [String], max: Int = 64, finish: Bool = false) -> (batch: String, lines: Int, overlong: Int, partial: String) {
        var framer = LineFramer(maxLineLength: max)
        for piece in pieces { framer.feed(Array(piece.utf8)) }
        if finish { framer.finish() }
        let overlong = framer.overlongLines
        let partial = String(decoding: framer.partial, as: UTF8.self)
        let (bytes, lines) = framer.takeBatch()
        return (String(decoding: bytes, as: UTF8.self), lines, overlong, partial)
    }

    @Test func completeLinesAreBatchedAndTheTailKept() {
        let result = frame(["a f=1\nb f=2\nc f="])
        #expect(result.batch == "a f=1\nb f=2\n")
        #expect(result.lines == 2)
        #expect(result.partial == "c f=")
    }

    /// A stored batch's buffer comes back through `recycle` and holds the batch after next (emptied,
    /// capacity kept); buffers over the size bound, or smaller than the spare already kept, are not kept.
    @Test func recycledBuffersHoldLaterBatches() {
        var framer = LineFramer(maxLineLength: 64)
        framer.feed(Array("a f=1\n".utf8))
        var stored = framer.takeBatch().bytes
        stored.reserveCapacity(4_096)
        framer.feed(Array("b f=2\nc f=".utf8))
        framer.recycle(stored, maxKeptBytes: 1 << 20)
        let second = framer.takeBatch()
        #expect(String(decoding: second.bytes, as: UTF8.self) == "b f=2\n" && second.lines == 1)
        framer.feed(Array("3\n".utf8))
        let third = framer.takeBatch()
        #expect(String(decoding: third.bytes, as: UTF8.self) == "c f=3\n" && third.lines == 1)
        #expect(third.bytes.capacity >= 4_096, "the recycled buffer holds the third batch")
        var large: [UInt8] = []
        large.reserveCapacity(8_192)
        framer.recycle(large, maxKeptBytes: 4_096)
        framer.feed(Array("d f=4\n".utf8))
        #expect(framer.takeBatch().bytes.capacity < 4_096, "a buffer over the bound is dropped")
    }

    @Test func linesSplitAcrossReads() {
        let result = frame(["a f", "=1\nb", " f=2", "\n", "c f=3"])
        #expect(result.batch == "a f=1\nb f=2\n")
        #expect(result.lines == 2)
        #expect(result.partial == "c f=3")
    }

    @Test func crlfIsKeptForTheParserAndBlankLinesDropped() {
        let result = frame(["a f=1\r\n\r\n\nb f=2\r", "\n"])
        #expect(result.batch == "a f=1\r\nb f=2\r\n")
        #expect(result.lines == 2)
    }

    @Test func byteByByteDripFeed() {
        let text = "m,t=x f=1i 1\r\nm,t=y f=2 2\n\nm f=3"
        var framer = LineFramer(maxLineLength: 64)
        var batches: [String] = []
        for byte in text.utf8 {
            framer.feed([byte])
            if framer.hasBatch { batches.append(String(decoding: framer.takeBatch().bytes, as: UTF8.self)) }
        }
        #expect(batches == ["m,t=x f=1i 1\r\n", "m,t=y f=2 2\n"])
        framer.finish()
        #expect(String(decoding: framer.takeBatch().bytes, as: UTF8.self) == "m f=3\n")
        #expect(framer.bytesSeen == text.utf8.count)
    }

    @Test func overlongLineInOneReadIsSkippedWhole() {
        let long = String(repeating: "x", count: 20)
        let result = frame(["a f=1\n\(long)\nb f=2\n"], max: 10)
        #expect(result.batch == "a f=1\nb f=2\n")
        #expect(result.overlong == 1)
    }

    @Test func overlongLineAcrossReadsIsNeverBuffered() {
        var framer = LineFramer(maxLineLength: 10)
        framer.feed(Array("a f=1\nxxxxxxxx".utf8))
        #expect(framer.partial.count == 8)
        framer.feed(Array("xxxxxxxx".utf8))
        #expect(framer.discarding)
        #expect(framer.partial.isEmpty)
        for _ in 0..<1000 { framer.feed(Array(repeating: UInt8(ascii: "y"), count: 4096)) }
        #expect(framer.partial.isEmpty)
        framer.feed(Array("yyy\r\nb f=2\n".utf8))
        #expect(!framer.discarding)
        #expect(String(decoding: framer.takeBatch().bytes, as: UTF8.self) == "a f=1\nb f=2\n")
        #expect(framer.overlongLines == 1)
    }

    @Test func lineOfExactlyTheLimitIsAcceptedWithEitherTerminator() {
        let line = String(repeating: "z", count: 10)
        let result = frame([line + "\r\n", line + "\n", line + "z\n", line + "z\r\n"], max: 10)
        #expect(result.batch == line + "\r\n" + line + "\n")
        #expect(result.overlong == 2)
    }

    @Test func dripFedOverlongLineIsSkipped() {
        var framer = LineFramer(maxLineLength: 6)
        for byte in "abcdefghij\nok f=1\n".utf8 { framer.feed([byte]) }
        #expect(String(decoding: framer.takeBatch().bytes, as: UTF8.self) == "ok f=1\n")
        #expect(framer.overlongLines == 1)
    }

    @Test func finishTurnsTheTailIntoALine() {
        #expect(frame(["a f=1\nb f=2"], finish: true).batch == "a f=1\nb f=2\n")
        #expect(frame(["a f=1\nb f=2\r"], finish: true).batch == "a f=1\nb f=2\r\n")
        #expect(frame(["a f=1\n"], finish: true).lines == 1)
    }

    @Test func hugeBatchInOneRead() {
        var text = ""
        for i in 0..<50_000 { text += "m,i=\(i % 100) f=\(i)\n" }
        let result = frame([text])
        #expect(result.lines == 50_000)
        #expect(result.batch == text)
    }
}

@Suite("Gzip")
struct GzipTests {
    @Test func roundTripAndLimit() throws {
        let text = Array(String(repeating: "m,t=a f=1 1\n", count: 10_000).utf8)
        let compressed = Gzip.compress(text)
        #expect(compressed.count < text.count / 10)
        #expect(try Gzip.decompress(compressed, limit: text.count) == text)
        #expect(throws: Gzip.Error.tooLarge(limit: 1000)) { try Gzip.decompress(compressed, limit: 1000) }
        #expect(throws: Gzip.Error.self) { try Gzip.decompress(Array("not gzip".utf8), limit: 1000) }
        #expect(throws: Gzip.Error.self) { try Gzip.decompress(Array(compressed.dropLast(10)), limit: text.count) }
        // Concatenated members.
        #expect(try Gzip.decompress(compressed + Gzip.compress(Array("x".utf8)), limit: text.count + 1) == text + Array("x".utf8))
    }
}
