import ArgumentParser
import Foundation
import Strata
import StrataCore

/// `strata-dump`: offline inspection of Strata's files (segments, WAL files, the manifest).
struct StrataDump: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strata-dump",
        abstract: "Inspect Strata data files offline: segments (.seg), WAL files (.wal) and the MANIFEST.",
        discussion: """
            PATH may be a segment file, a WAL file, or a data directory (its MANIFEST and every segment \
            it lists are shown). The kind is chosen by the file name.

            Examples:
              strata-dump strata-data/1m/00000000000000000001.seg --rows --series endpoint=/api/v1/orders
              strata-dump strata-data/1m/00000000000000000001.seg --verify
              strata-dump strata-data/wal/00000000000000000003.wal --rows
              strata-dump strata-data --json

            --verify checks every checksum and decodes every block; it exits with status 1 and names the \
            file and block on the first damage found.
            """)

    @Argument(help: "A .seg file, a .wal file, or a data directory.")
    var path: String

    @Flag(name: .long, help: "Print rows (segments: per series and bucket; WAL: the logged lines).")
    var rows = false

    @Option(name: .long, help: "Only series whose line-protocol key contains this text, or with this tag=value (repeatable; all must match).")
    var series: [String] = []

    @Option(name: .long, help: "Only buckets starting at or after this time (Unix seconds or RFC 3339).")
    var from: String?

    @Option(name: .long, help: "Only buckets starting before this time (Unix seconds or RFC 3339).")
    var to: String?

    @Flag(name: .long, help: "Verify every checksum; exit non-zero on damage.")
    var verify = false

    @Flag(name: .long, help: "Print machine-readable JSON instead of text.")
    var json = false

    mutating func run() throws {
        let range = try timeRange()
        var output = Output(json: json)
        if path.hasSuffix(".seg") {
            try dumpSegment(path, range: range, into: &output)
        } else if path.hasSuffix(".wal") || path.hasSuffix(".wal.corrupt") {
            try dumpWAL(path, into: &output)
        } else {
            try dumpDirectory(path, range: range, into: &output)
        }
        output.finish()
        if output.failed { throw ExitCode(1) }
    }

    func timeRange() throws -> Range<Int64> {
        func parse(_ text: String?, _ name: String, default value: Int64) throws -> Int64 {
            guard let text else { return value }
            if let seconds = Int64(text) { return seconds }
            if let date = ISO8601DateFormatter().date(from: text) { return Int64(date.timeIntervalSince1970) }
            throw ValidationError("--\(name) '\(text)' is neither Unix seconds nor an RFC 3339 time")
        }
        let low = try parse(from, "from", default: Int64.min)
        let high = try parse(to, "to", default: Int64.max)
        guard low < high else { throw ValidationError("--from must be before --to") }
        return low..<high
    }

    func matches(_ key: SeriesKey) -> Bool {
        series.allSatisfy { filter in
            if let eq = filter.firstIndex(of: "=") {
                let tagKey = String(filter[..<eq]), tagValue = String(filter[filter.index(after: eq)...])
                if tagKey == "measurement" { return key.measurement == tagValue }
                return key.value(of: tagKey) == tagValue
            }
            return key.description.contains(filter)
        }
    }

    func dumpSegment(_ path: String, range: Range<Int64>, into output: inout Output) throws {
        let segment: SegmentReader
        do {
            segment = try SegmentReader(path: path)
        } catch {
            output.error("\(error)")
            return
        }
        if verify {
            do {
                try segment.verify()
                output.line("OK \(path): every checksum verified (\(segment.rowGroupCount) row groups, \(segment.seriesCount) series)")
                output.record(["file": path, "verified": true])
            } catch {
                output.error("DAMAGED \(error)")
            }
            return
        }
        let columns = try Inspection.columnSizes(segment)
        let keys = try segment.allSeriesKeys()
        let selected = keys.indices.filter { matches(keys[$0]) }
        var info: [String: Any] = [
            "file": path, "granularity": segment.granularity.name, "minStart": segment.minStart, "maxStart": segment.maxStart,
            "bytes": segment.byteCount, "series": segment.seriesCount, "rows": segment.rowCount, "rowGroups": segment.rowGroupCount,
            "fields": try segment.fieldNames(),
            "columns": columns.map { ["column": $0.column, "storedBytes": $0.stored, "rawBytes": $0.raw] },
        ]
        output.line("segment \(path)")
        output.line("  granularity  \(segment.granularity)")
        output.line("  time range   \(iso(segment.minStart)) … \(iso(segment.maxStart)) (bucket starts)")
        output.line("  size         \(segment.byteCount) bytes, \(segment.rowGroupCount) row groups, \(segment.rowCount) rows, \(segment.seriesCount) series")
        output.line("  fields       \(try segment.fieldNames().joined(separator: ", "))")
        output.line("  column blocks (stored / raw bytes, ratio):")
        for column in columns {
            let ratio = column.stored > 0 ? Double(column.raw) / Double(column.stored) : 0
            output.line("    \(column.column.padding(toLength: 8, withPad: " ", startingAt: 0)) \(column.stored) / \(column.raw)  (\(String(format: "%.2f", ratio))x)")
        }
        output.line("  series (\(selected.count) of \(keys.count)):")
        for id in selected { output.line("    [\(id)] \(keys[id])") }
        info["seriesList"] = selected.map { ["id": $0, "key": keys[$0].description] }
        if rows {
            var rowRecords: [[String: Any]] = []
            output.line("  rows:")
            for id in selected {
                for row in try segment.rows(series: id, in: range) {
                    for field in row.fields {
                        let a = field.aggregate
                        let q = { (p: Double) in a.digest.quantile(p) }
                        output.line("    \(iso(row.start)) \(row.series) \(field.name): count=\(a.count) sum=\(fmt(a.sum)) min=\(fmt(a.min)) max=\(fmt(a.max)) p50=\(fmt(q(0.5))) p95=\(fmt(q(0.95))) p99=\(fmt(q(0.99)))")
                        rowRecords.append(["start": row.start, "series": row.series.description, "field": field.name, "count": a.count,
                                           "sum": a.sum, "min": a.min, "max": a.max, "p50": q(0.5), "p95": q(0.95), "p99": q(0.99)])
                    }
                }
            }
            info["rows"] = rowRecords
        }
        output.record(info)
    }

    func dumpWAL(_ path: String, into output: inout Output) throws {
        let wal = try Inspection.wal(path: path)
        output.line("wal \(path)")
        output.line("  size      \(wal.byteCount) bytes, \(wal.validLength) valid, \(wal.records.count) records, \(wal.records.reduce(0) { $0 + $1.lineCount }) lines")
        if let problem = wal.problem { output.line("  problem   \(problem)") }
        var records: [[String: Any]] = []
        for record in wal.records {
            output.line("  record @\(record.offset): \(record.lineCount) lines, \(record.text.count) bytes, precision \(record.precision.rawValue), received \(iso(record.receivedAt))")
            if rows {
                for line in String(decoding: record.text, as: UTF8.self).split(separator: "\n") { output.line("    \(line)") }
            }
            records.append(["offset": record.offset, "lines": record.lineCount, "bytes": record.text.count,
                            "precision": record.precision.rawValue, "receivedAt": record.receivedAt])
        }
        output.record(["file": path, "bytes": wal.byteCount, "validLength": wal.validLength, "records": records,
                       "problem": wal.problem as Any])
        if verify {
            if let problem = wal.problem { output.error("DAMAGED \(path): \(problem)") } else { output.line("OK \(path): every record checksum verified") }
        }
    }

    func dumpDirectory(_ path: String, range: Range<Int64>, into output: inout Output) throws {
        let manifest = try Inspection.manifest(directory: path)
        output.line("manifest \(path)/MANIFEST")
        output.line("  next segment sequence \(manifest.nextSegmentSequence)")
        for granularity in Granularity.allCases {
            let live = manifest.segments.filter { $0.granularity == granularity }
            let rolled = manifest.rolledUpBefore[granularity].map { "rolled up before \(iso($0))" } ?? "not rolled up"
            output.line("  \(granularity): \(live.count) segments, \(live.reduce(0) { $0 + $1.byteCount }) bytes, \(live.reduce(0) { $0 + $1.rowCount }) rows; \(rolled)")
        }
        for mark in manifest.flushMarks {
            output.line("  flush mark: WAL files < \(mark.walFile) are in segments for minutes before \(mark.minuteCutoff == Int64.max ? "∞" : iso(mark.minuteCutoff))")
        }
        for segment in manifest.segments {
            output.line("  \(segment.path)  \(iso(segment.minStart)) … \(iso(segment.maxStart))  \(segment.rowCount) rows  \(segment.byteCount) bytes")
        }
        output.record(["manifest": path + "/MANIFEST", "nextSegmentSequence": manifest.nextSegmentSequence,
                       "segments": manifest.segments.map { ["path": $0.path, "granularity": $0.granularity.name, "minStart": $0.minStart,
                                                            "maxStart": $0.maxStart, "rows": $0.rowCount, "bytes": $0.byteCount] },
                       "flushMarks": manifest.flushMarks.map { ["walFile": $0.walFile, "minuteCutoff": $0.minuteCutoff] }])
        if verify || rows {
            for segment in manifest.segments { try dumpSegment(path + "/" + segment.path, range: range, into: &output) }
        }
    }
}

/// Collects text lines or JSON records and prints them at the end.
struct Output {
    let json: Bool
    var records: [[String: Any]] = []
    var failed = false

    mutating func line(_ text: String) { if !json { print(text) } }
    mutating func record(_ value: [String: Any]) { records.append(value) }
    mutating func error(_ text: String) {
        failed = true
        FileHandle.standardError.write(Data((text + "\n").utf8))
        records.append(["error": text])
    }

    func finish() {
        guard json else { return }
        let value: Any = records.count == 1 ? records[0] : records
        if let data = try? JSONSerialization.data(withJSONObject: sanitize(value), options: [.prettyPrinted, .sortedKeys]) {
            print(String(decoding: data, as: UTF8.self))
        }
    }

    /// JSON has no NaN or infinity: those become null.
    private func sanitize(_ value: Any) -> Any {
        switch value {
        case let d as Double: return d.isFinite ? d : NSNull()
        case let array as [Any]: return array.map(sanitize)
        case let dict as [String: Any]: return dict.mapValues(sanitize)
        case let optional as Any? where optional == nil: return NSNull()
        default: return value
        }
    }
}

func iso(_ seconds: Int64) -> String {
    ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
}

func fmt(_ value: Double) -> String {
    value.isNaN ? "NaN" : (value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(format: "%.6g", value))
}

StrataDump.main()
