import StrataCore
import StrataIO

/// Public entry points for writing standalone segment files (tools, benchmarks, golden files).
/// The engine itself writes segments during flushes and compactions.
public enum SegmentFile {
    /// The bytes of a segment holding `rows` (at least one) at `granularity`. Spec: `Formats/segment.md`.
    public static func encode(_ rows: [BucketRow], granularity: Granularity) -> [UInt8] {
        SegmentWriter.encode(rows, granularity: granularity).bytes
    }

    /// Writes a segment holding `rows` to `path` crash-safely; returns its size in bytes.
    @discardableResult
    public static func write(_ rows: [BucketRow], granularity: Granularity, to path: String) throws -> Int {
        let bytes = encode(rows, granularity: granularity)
        try SegmentWriter.publish(bytes, to: path)
        return bytes.count
    }
}
