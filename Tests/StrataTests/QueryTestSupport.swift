import Testing
import StrataCore
@testable import Strata

/// One raw request as written, for brute-force expectations.
struct RequestPoint {
    var tags: [String: String]
    var time: Int64
    var value: Double
}

/// Seeded API traffic written through the engine in steps, with late points, plus the raw points.
struct TrafficScenario {
    var random = SeededRandom(seed: 11)
    var points: [RequestPoint] = []
    let start: Int64 = 1_763_769_600  // 2025-11-22T00:00:00Z
    static let endpoints = ["/a", "/b", "/c"]
    static let methods = ["GET", "POST"]
    static let keys = ["k1", "k2", "k3"]
    static let statuses = ["200", "201", "404", "429", "500", "503"]

    /// Values are multiples of 1/4, so every sum is exact in any order.
    mutating func request(at time: Int64) -> (String, RequestPoint) {
        let tags = ["endpoint": Self.endpoints[Int(random.next() % 3)], "method": Self.methods[Int(random.next() % 2)],
                    "key": Self.keys[Int(random.next() % 3)], "status": Self.statuses[Int(random.next() % 6)]]
        let value = Double(Int(random.next() % 4_000)) / 4
        let line = "http_request,endpoint=\(tags["endpoint"]!),method=\(tags["method"]!),key=\(tags["key"]!),status=\(tags["status"]!) duration_ms=\(value) \(time)000000000\n"
        return (line, RequestPoint(tags: tags, time: time, value: value))
    }

    /// Writes one request every `spacing` seconds of `[from, from + seconds)`, plus `latePoints`
    /// between 10 minutes and 20 hours old.
    mutating func writeStep(_ engine: Engine, from: Int64, seconds: Int64, spacing: Int64 = 20, latePoints: Int = 0) throws {
        var text = ""
        for t in stride(from: from, to: from + seconds, by: Int(spacing)) {
            let (line, point) = request(at: t + Int64(random.next() % UInt64(spacing)))
            text += line
            points.append(point)
        }
        for _ in 0..<latePoints {
            let t = from - 600 - Int64(random.next() % 72_000)
            guard t >= start else { continue }
            let (line, point) = request(at: t)
            text += line
            points.append(point)
        }
        let result = try engine.write(Array(text.utf8))
        precondition(result.isComplete, "scenario write refused: \(result)")
    }
}

/// The tag value a query sees (stored, or derived `status_class`).
func tagValue(_ tags: [String: String], _ key: String) -> String? {
    if let value = tags[key] { return value }
    if key == DerivedTag.statusClass.name { return DerivedTag.statusClass.value(from: tags["status"]) }
    return nil
}

func passes(_ tags: [String: String], _ filter: TagFilter) -> Bool {
    let value = tagValue(tags, filter.key)
    let positive = filter.op == .equal || filter.op == .matches
    guard let value else { return !positive }
    let hit: Bool
    switch filter.op {
    case .equal, .notEqual: hit = filter.values.contains(value)
    case .matches, .notMatches: hit = (try? Regex(filter.values[0]).firstMatch(in: value)) != nil
    }
    return hit == positive
}

/// Raw values per group (group-by tag values) and step start (ms), by brute force.
func referenceValues(_ points: [RequestPoint], _ query: Query) -> [[String: String]: [Int64: [Double]]] {
    let start = Granularity.minute.bucketStart(ofSeconds: query.start)
    let end = Granularity.minute.bucketStart(ofSeconds: query.end - 1) + 60
    let step = query.step ?? (end - start)
    var result: [[String: String]: [Int64: [Double]]] = [:]
    for point in points where point.time >= start && point.time < end && query.filters.allSatisfy({ passes(point.tags, $0) }) {
        var group: [String: String] = [:]
        for key in query.groupBy { if let value = tagValue(point.tags, key) { group[key] = value } }
        let cell = start + (point.time - start) / step * step
        result[group, default: [:]][cell * 1_000, default: []].append(point.value)
    }
    return result
}

/// The exact value of an exact aggregation over raw values.
func exactValue(_ values: [Double], _ aggregation: Aggregation, width: Int64) -> Double {
    switch aggregation {
    case .count: Double(values.count)
    case .sum: values.reduce(0, +)
    case .avg: values.reduce(0, +) / Double(values.count)
    case .min: values.min()!
    case .max: values.max()!
    case .rate: Double(values.count) / Double(width)
    case .quantile: .nan
    }
}

/// Rank error of `estimate` as the `q` quantile of `values`.
func rankError(_ values: [Double], _ q: Double, _ estimate: Double) -> Double {
    let below = Double(values.filter { $0 < estimate }.count) / Double(values.count)
    let atOrBelow = Double(values.filter { $0 <= estimate }.count) / Double(values.count)
    return q < below ? below - q : (q > atOrBelow ? q - atOrBelow : 0)
}

/// Checks `result` against the brute force: exact for count/sum/avg/min/max/rate, rank error ≤ 1e-2
/// for quantiles. Compares only non-empty steps (empty ones are checked by the fill tests).
func expectMatchesReference(_ result: QueryResult, _ points: [RequestPoint], _ query: Query, sourceLocation: SourceLocation = #_sourceLocation) {
    let expected = referenceValues(points, query)
    var actual: [[String: String]: [Int64: Double?]] = [:]
    for series in result.series {
        let present = series.points.filter { $0.value != nil }
        if present.isEmpty { continue }
        #expect(actual[series.tags] == nil, "duplicate group \(series.tags)", sourceLocation: sourceLocation)
        actual[series.tags] = Dictionary(uniqueKeysWithValues: present.map { ($0.time, $0.value) })
    }
    #expect(Set(actual.keys) == Set(expected.keys), "groups of \(query)", sourceLocation: sourceLocation)
    for (group, cells) in expected {
        let got = actual[group] ?? [:]
        #expect(Set(got.keys) == Set(cells.keys), "steps of \(group) in \(query.aggregation)", sourceLocation: sourceLocation)
        for (time, values) in cells {
            guard let value = got[time] ?? nil else { continue }
            let width = min(query.step ?? (result.end - result.start), result.end - time / 1_000)
            if case let .quantile(q) = query.aggregation {
                let error = rankError(values.sorted(), q, value)
                #expect(error <= 1e-2, "rank error \(error) of \(query.aggregation) for \(group) at \(time)", sourceLocation: sourceLocation)
            } else {
                #expect(value == exactValue(values, query.aggregation, width: width),
                        "\(query.aggregation) of \(group) at \(time): \(value) vs \(exactValue(values, query.aggregation, width: width)) (\(values.count) values)",
                        sourceLocation: sourceLocation)
            }
        }
    }
}
