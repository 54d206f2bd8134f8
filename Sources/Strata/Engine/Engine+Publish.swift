import Synchronization
import StrataCore
import StrataIO

/// A segment written to disk but not yet listed in the manifest.
struct WrittenSegment: Sendable {
    var entry: Manifest.Segment
    var reader: SegmentReader
}

extension Engine {
    /// Reserves `count` segment sequence numbers.
    func reserveSequences(_ count: Int) -> [UInt64] {
        state.withLock { state in
            let first = state.manifest.nextSegmentSequence
            state.manifest.nextSegmentSequence += UInt64(count)
            return (0..<UInt64(count)).map { first + $0 }
        }
    }

    /// Encodes `rows` as a segment of `granularity` and writes it crash-safely (tmp, fsync, rename, fsync
    /// the directory). The segment is not live until a manifest lists it.
    func writeSegment(_ rows: [BucketRow], granularity: Granularity, sequence: UInt64) throws -> WrittenSegment {
        try writeSegment(RowColumns(rows).merged(), granularity: granularity, sequence: sequence)
    }

    /// Encodes field rows in segment order (``RowColumns/merged(rebucketTo:)``), or rows `indices` of
    /// them, as a segment of `granularity` and writes it crash-safely, like
    /// ``writeSegment(_:granularity:sequence:)``.
    func writeSegment(_ rows: RowColumns, only indices: [Int32]? = nil, granularity: Granularity, sequence: UInt64) throws -> WrittenSegment {
        let (bytes, summary) = SegmentWriter.encode(rows, only: indices, granularity: granularity)
        let relative = granularity.name + "/" + SegmentLayout.name(sequence)
        let path = directory + "/" + relative
        let temporary = try FileSystem.writeTemporary(bytes, for: path)
        try configuration.faultInjector?(.afterSegmentTemporaryWritten)
        try FileSystem.rename(temporary, to: path)
        try FileSystem.syncDirectory(FileSystem.parent(of: path))
        try configuration.faultInjector?(.afterSegmentRenamed)
        let entry = Manifest.Segment(granularity: granularity, sequence: sequence, minStart: summary.minStart, maxStart: summary.maxStart,
                                     rowCount: UInt64(summary.rowCount), byteCount: UInt64(bytes.count))
        return WrittenSegment(entry: entry, reader: try SegmentReader(path: path))
    }

    /// Publishes a new manifest: `change` applied to the current one, `added` segments listed and
    /// `removed` ones unlisted, and `updateState` applied to the engine state under the same lock (so
    /// readers never see rows both in a new segment and in memory). This is the commit point; the
    /// caller deletes removed files afterwards.
    func commit(adding added: [WrittenSegment] = [], removing removed: [Manifest.Segment] = [],
                _ change: (inout Manifest) -> Void = { _ in },
                alsoUpdating updateState: (inout State) -> Void = { _ in }) throws {
        try state.withLock { state throws in
            var manifest = state.manifest
            let removedPaths = Set(removed.map(\.relativePath))
            manifest.segments.removeAll { removedPaths.contains($0.relativePath) }
            manifest.segments += added.map(\.entry)
            change(&manifest)
            try manifest.publish(directory: directory)
            state.manifest = manifest
            for path in removedPaths { state.segments[path] = nil }
            for segment in added { state.segments[segment.entry.relativePath] = segment.reader }
            updateState(&state)
        }
    }

    /// Deletes the files of segments no longer listed in the manifest.
    func deleteSegmentFiles(_ segments: [Manifest.Segment]) throws {
        for segment in segments { try FileSystem.removeFile(directory + "/" + segment.relativePath) }
        for folder in Set(segments.map(\.granularity.name)) { try FileSystem.syncDirectory(directory + "/" + folder) }
    }
}
