import Synchronization
import Logging
import StrataCore
import StrataIO

extension Engine {
    /// Opens (creating when needed) the data directory, recovers from any crash, and replays the WAL.
    public static func open(_ configuration: EngineConfiguration, logger: Logger = Logger(label: "strata.engine")) throws -> Engine {
        let directory = configuration.dataDirectory
        try FileSystem.createDirectory(directory)
        for granularity in Granularity.allCases { try FileSystem.createDirectory(directory + "/" + granularity.name) }
        var report = RecoveryReport()
        var manifest = try Manifest.load(directory: directory)

        // Sweep temporary files and segment files the manifest does not list.
        let live = Set(manifest.segments.map(\.relativePath))
        for granularity in Granularity.allCases {
            let folder = directory + "/" + granularity.name
            for name in try FileSystem.listDirectory(folder) {
                let relative = granularity.name + "/" + name
                if name.hasSuffix(".tmp") {
                    try FileSystem.removeFile(folder + "/" + name)
                    report.temporaryFilesRemoved.append(relative)
                } else if SegmentLayout.sequence(ofName: name) != nil && !live.contains(relative) {
                    try FileSystem.removeFile(folder + "/" + name)
                    report.orphanSegmentsRemoved.append(relative)
                }
            }
        }
        if FileSystem.exists(directory + "/" + Manifest.fileName + ".tmp") {
            try FileSystem.removeFile(directory + "/" + Manifest.fileName + ".tmp")
            report.temporaryFilesRemoved.append(Manifest.fileName + ".tmp")
        }

        // Open segments; a damaged one is reported and not served.
        var segments: [String: SegmentReader] = [:]
        for segment in manifest.segments {
            do {
                segments[segment.relativePath] = try SegmentReader(path: directory + "/" + segment.relativePath)
            } catch {
                report.corruptSegments.append("\(segment.relativePath): \(error)")
                logger.error("segment not served", metadata: ["segment": "\(segment.relativePath)", "error": "\(error)"])
            }
        }

        // Replay the WAL into a fresh head.
        var limits = configuration.headLimits
        if limits.maxAgeSeconds == nil { limits.maxAgeSeconds = configuration.retention.longest }
        let head = ShardedHead(shardCount: configuration.headShards, limits: limits)
        let walDirectory = directory + "/wal"
        try FileSystem.createDirectory(walDirectory)
        var batch = ParsedBatch()
        for sequence in try WriteAheadLog.existingSequences(in: walDirectory) {
            let path = walDirectory + "/" + WALFile.name(sequence)
            let contents = try WALReader.read(path: path)
            let cutoff = manifest.replayCutoff(forWALFile: sequence)
            for (_, record) in contents.records {
                batch.removeAll()
                LineProtocolParser(precision: record.precision, limits: configuration.parseLimits)
                    .parse(record.lines, defaultTimestamp: record.defaultTimestamp, into: &batch)
                let applied = head.apply(batch, keys: SeriesKeyBatch(batch), partition: head.partition(batch), nowSeconds: record.receivedAt,
                                         walFile: sequence, skippingMinutesBefore: cutoff)
                report.pointsReplayed += applied.pointsAccepted
                report.walRecordsReplayed += 1
            }
            report.walFilesReplayed += 1
            switch contents.problem {
            case nil:
                break
            case let .tornTail(offset, reason)?:
                let file = try File.openForAppending(path)
                try file.truncate(to: contents.validLength)
                try file.sync()
                report.tornTails.append("\(path): \(reason) (truncated at offset \(offset))")
                logger.warning("WAL torn tail truncated", metadata: ["file": "\(path)", "offset": "\(offset)", "reason": "\(reason)"])
            case let problem?:
                try FileSystem.rename(path, to: path + ".corrupt")
                report.corruptWALFiles.append("\(path): \(problem)")
                logger.error("WAL file damaged; replay of it stopped", metadata: ["file": "\(path)", "problem": "\(problem)"])
            }
        }
        head.resetStatistics()
        let wal = try WriteAheadLog(directory: walDirectory, rollSize: configuration.walRollSize)
        // Flush marks older than every remaining WAL file no longer matter.
        if let oldest = try WriteAheadLog.existingSequences(in: walDirectory).first {
            manifest.flushMarks.removeAll { $0.walFile <= oldest }
        }
        let engine = Engine(configuration: configuration, logger: logger, wal: wal,
                            head: head, state: State(manifest: manifest, segments: segments), recovery: report)
        logger.info("engine open", metadata: [
            "dataDirectory": "\(directory)", "segments": "\(segments.count)",
            "walFilesReplayed": "\(report.walFilesReplayed)", "pointsReplayed": "\(report.pointsReplayed)",
        ])
        return engine
    }

}
