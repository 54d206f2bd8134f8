import CZlib

/// gzip (and zlib) bodies, through the system zlib.
public enum Gzip {
    public enum Error: Swift.Error, Equatable {
        /// The decompressed body would exceed the limit.
        case tooLarge(limit: Int)
        /// The data is not a valid gzip or zlib stream.
        case invalid(String)
    }

    /// Decompresses a gzip or zlib stream (concatenated gzip members included), refusing output larger than `limit`.
    public static func decompress(_ input: [UInt8], limit: Int) throws(Error) -> [UInt8] {
        var stream = z_stream()
        guard strata_inflate_init_auto(&stream) == Z_OK else { throw .invalid("zlib initialisation failed") }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        output.reserveCapacity(min(limit, max(input.count * 4, 4096)))
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        var consumed = 0
        while true {
            var status: Int32 = Z_OK
            var produced = 0
            input.withUnsafeBufferPointer { inputBuffer in
                chunk.withUnsafeMutableBufferPointer { chunkBuffer in
                    stream.next_in = UnsafeMutablePointer(mutating: inputBuffer.baseAddress.map { $0 + consumed })
                    stream.avail_in = UInt32(input.count - consumed)
                    stream.next_out = chunkBuffer.baseAddress
                    stream.avail_out = UInt32(chunkBuffer.count)
                    status = inflate(&stream, Z_NO_FLUSH)
                    produced = chunkBuffer.count - Int(stream.avail_out)
                    consumed = input.count - Int(stream.avail_in)
                }
            }
            if output.count + produced > limit { throw .tooLarge(limit: limit) }
            output.append(contentsOf: chunk[0..<produced])
            switch status {
            case Z_STREAM_END:
                // Another gzip member may follow (`cat a.gz b.gz`).
                if consumed < input.count, inflateReset(&stream) == Z_OK { continue }
                return output
            case Z_OK:
                continue
            case Z_BUF_ERROR:
                if produced == 0 { throw .invalid("truncated gzip stream") }
            default:
                let message = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                throw .invalid(message)
            }
        }
    }

    /// Compresses `input` as one gzip member.
    public static func compress(_ input: [UInt8]) -> [UInt8] {
        var stream = z_stream()
        precondition(strata_deflate_init_gzip(&stream) == Z_OK)
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 32)
        input.withUnsafeBufferPointer { inputBuffer in
            output.withUnsafeMutableBufferPointer { outputBuffer in
                stream.next_in = UnsafeMutablePointer(mutating: inputBuffer.baseAddress)
                stream.avail_in = UInt32(input.count)
                stream.next_out = outputBuffer.baseAddress
                stream.avail_out = UInt32(outputBuffer.count)
                let status = deflate(&stream, Z_FINISH)
                precondition(status == Z_STREAM_END)
            }
        }
        output.removeLast(Int(stream.avail_out))
        return output
    }
}
