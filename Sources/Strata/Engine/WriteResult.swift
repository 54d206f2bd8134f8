import StrataCore

/// The outcome of one ``Engine/write(_:precision:defaultTimestamp:)``.
public struct WriteResult: Sendable, Equatable {
    /// Non-blank, non-comment lines in the write.
    public var linesRead: Int
    /// Points now counted by the engine (durable per the WAL sync policy).
    public var pointsAccepted: Int
    /// Lines that failed to parse, with line, column and reason.
    public var parseErrors: [LineProtocolError]
    /// Points that parsed but were refused (timestamps, series caps).
    public var rejections: [IngestRejection]

    /// Whether every line was accepted.
    public var isComplete: Bool { parseErrors.isEmpty && rejections.isEmpty }
}

/// What the engine found and did when it opened its data directory.
public struct RecoveryReport: Sendable, Equatable {
    /// WAL files replayed.
    public var walFilesReplayed = 0
    /// WAL records replayed into the head.
    public var walRecordsReplayed = 0
    /// Points re-aggregated from the WAL (points already in segments are skipped, not counted here).
    public var pointsReplayed = 0
    /// Torn tails found and truncated: file path and description.
    public var tornTails: [String] = []
    /// WAL files with damage in the middle: replay of each stopped there; the file was renamed `*.corrupt`.
    public var corruptWALFiles: [String] = []
    /// Segment files not in the manifest (left by a crash mid-flush), deleted.
    public var orphanSegmentsRemoved: [String] = []
    /// Temporary files swept.
    public var temporaryFilesRemoved: [String] = []
    /// Segments that failed validation: still listed, not served.
    public var corruptSegments: [String] = []
}

/// What one flush wrote.
public struct FlushResult: Sendable, Equatable, Codable {
    /// The new segment's path relative to the data directory, or nil when nothing was due.
    public var segment: String?
    /// Bucket rows (series × minute) written.
    public var bucketRows: Int
    /// Bytes written.
    public var bytes: Int
}
