import CLZ4

/// LZ4 block compression from the system liblz4: the codec of segment column blocks.
public enum LZ4 {
    /// Compresses `input` as one LZ4 block (no frame header); decompression needs the original size.
    /// `acceleration` above 1 trades ratio for speed (liblz4's `acceleration`; any value decodes alike).
    public static func compress(_ input: [UInt8], acceleration: Int32 = 1) -> [UInt8] {
        if input.isEmpty { return [] }
        let bound = Int(LZ4_compressBound(Int32(input.count)))
        // The compression state lives on the heap: LZ4_compress_default would put 16 KiB on the
        // stack, too much for the small stacks of Swift concurrency's threads.
        let state = UnsafeMutableRawPointer.allocate(byteCount: Int(LZ4_sizeofState()), alignment: 16)
        defer { state.deallocate() }
        // Uninitialized room for the worst case: only the pages the compressor writes are touched
        // (zeroing the whole bound first cost a page fault per 4 KiB of it, several times the output).
        return input.withUnsafeBytes { src in
            [UInt8](unsafeUninitializedCapacity: bound) { dst, initialized in
                let written = LZ4_compress_fast_extState(
                    state,
                    src.baseAddress!.assumingMemoryBound(to: CChar.self),
                    UnsafeMutableRawPointer(dst.baseAddress!).assumingMemoryBound(to: CChar.self),
                    Int32(input.count), Int32(bound), max(1, acceleration))
                precondition(written > 0, "LZ4_compress_fast_extState failed for \(input.count) bytes")
                initialized = Int(written)
            }
        }
    }

    /// Decompresses one LZ4 block that must expand to exactly `originalSize` bytes.
    /// Malformed input throws; it never reads or writes out of bounds (`LZ4_decompress_safe`).
    public static func decompress(_ input: ByteReader, originalSize: Int) throws(FormatError) -> [UInt8] {
        if originalSize == 0 && input.remaining == 0 { return [] }
        guard originalSize > 0, input.remaining > 0 else {
            throw FormatError.invalidValue(offset: input.offset, reason: "LZ4 block of \(input.remaining) bytes cannot expand to \(originalSize)")
        }
        var output = [UInt8](repeating: 0, count: originalSize)
        let src = input.storage.buffer.baseAddress! + input.offset
        let produced = output.withUnsafeMutableBytes { dst in
            LZ4_decompress_safe(
                src.assumingMemoryBound(to: CChar.self),
                dst.baseAddress!.assumingMemoryBound(to: CChar.self),
                Int32(input.remaining), Int32(originalSize))
        }
        guard produced == Int32(originalSize) else {
            throw FormatError.invalidValue(offset: input.offset, reason: "LZ4 block did not expand to \(originalSize) bytes (liblz4 returned \(produced))")
        }
        return output
    }

    /// Convenience for arrays.
    public static func decompress(_ input: [UInt8], originalSize: Int) throws(FormatError) -> [UInt8] {
        try decompress(ByteReader(bytes: input), originalSize: originalSize)
    }
}
