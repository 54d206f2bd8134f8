import Testing
import StrataCore
@testable import Strata

@Suite struct QueryTests {
    static func configuration(_ dir: TemporaryDirectory, _ clock: TestClock) -> EngineConfiguration {
        var configuration = EngineConfiguration.test(dir, clock: clock)
        for g in Granularity.allCases { configuration.retention.set(g, nil) }
        return configuration
    }

    /// The queries every checkpoint runs, over `[from, to)`.
    static func queries(from: Int64, to: Int64) -> [Query] {
        let m = "http_request", f = "duration_ms"
        return [
            Query(measurement: m, field: f, aggregation: .count, start: from, end: to),
            Query(measurement: m, field: f, aggregation: .sum, start: from, end: to, step: 300, groupBy: ["endpoint"]),
            Query(measurement: m, field: f, aggregation: .min, start: from, end: to, step: 3_600, filters: [.matches("status", "^5")]),
            Query(measurement: m, field: f, aggregation: .max, start: from, end: to, step: 3_600, groupBy: ["key", "status_class"]),
            // Unaligned start (floored to 00:07): 1h buckets straddle the steps, so finer data answers.
            Query(measurement: m, field: f, aggregation: .avg, start: from + 7 * 60 + 13, end: to, step: 3_600,
                  filters: [.equal("endpoint", "/a", "/b")], groupBy: ["method"]),
            Query(measurement: m, field: f, aggregation: .rate, start: from, end: to, step: 1_800,
                  filters: [.notEqual("method", "GET"), .notMatches("status", "^2")]),
            Query(measurement: m, field: f, aggregation: .count, start: from, end: to, step: 86_400, groupBy: ["status_class"]),
            Query(measurement: m, field: f, aggregation: .count, start: from, end: to, step: 7_200,
                  filters: [.equal("status_class", "4xx")], groupBy: ["endpoint"]),
            Query(measurement: m, field: f, aggregation: .sum, start: to - 3 * 3_600, end: to, step: 120, groupBy: ["endpoint", "method"]),
            Query(measurement: m, field: f, aggregation: .quantile(0.95), start: from, end: to, groupBy: ["endpoint"]),
            Query(measurement: m, field: f, aggregation: .quantile(0.5), start: from, end: to, step: 3_600),
        ]
    }

    /// Every query equals the brute force over the raw points, from the base series and from
    /// projections alike, at checkpoints during 26 hours of traffic with late points and maintenance
    /// (flushes, rollups, merges), and after a final flush and compaction.
    @Test func matchesBruteForceAcrossGranularitiesWithLateData() throws {
        let dir = TemporaryDirectory()
        var scenario = TrafficScenario()
        let clock = TestClock(scenario.start)
        let engine = try Engine.open(Self.configuration(dir, clock), logger: .quiet)
        var t = scenario.start
        var step = 0
        var checked: Set<Granularity> = []
        func check() throws {
            for query in Self.queries(from: scenario.start, to: clock.now + 900) {
                for useProjections in [false, true] {
                    var q = query
                    q.useProjections = useProjections
                    let result = try engine.query(q)
                    #expect(result.statistics.unansweredSeconds == 0)
                    expectMatchesReference(result, scenario.points, q)
                    checked.formUnion(result.statistics.granularities)
                }
            }
        }
        while t < scenario.start + 26 * 3_600 {
            try scenario.writeStep(engine, from: t, seconds: 600, latePoints: step % 3 == 0 ? 4 : 0)
            t += 600
            clock.advance(600)
            try engine.maintenanceStep()
            step += 1
            if step == 18 || step == 80 { try check() }
        }
        try check()
        clock.advance(2 * 86_400)
        try engine.flush(everything: true)
        try engine.compact()
        try check()
        #expect(checked == Set(Granularity.allCases))
        // Everything rolled up: the whole first day answers from one 1d bucket per series.
        let day = try engine.query(Query(measurement: "http_request", field: "duration_ms", aggregation: .count,
                                         start: scenario.start, end: scenario.start + 86_400, useProjections: false))
        #expect(day.statistics.granularities == [.day])
        #expect(day.series.first?.points.first?.value == Double(scenario.points.filter { $0.time < scenario.start + 86_400 }.count))
    }

    /// Quantiles per group read from summaries per group, segment and step (several series of each
    /// group, one or several buckets per step): exact for lossless data, from projections and base
    /// series alike, and the same when answered again from the cached summaries.
    @Test func groupSummariesAreExactForLosslessData() throws {
        let dir = TemporaryDirectory()
        let start: Int64 = 1_763_769_600
        let clock = TestClock(start + 2 * 86_400)
        let engine = try Engine.open(Self.configuration(dir, clock), logger: .quiet)
        var lines = ""
        var values: [String: [Double]] = [:]
        var timed: [String: [(time: Int64, value: Double)]] = [:]
        for minute in 0..<180 {
            for (e, endpoint) in ["/a", "/b"].enumerated() {
                for (m, method) in ["GET", "POST", "PUT"].enumerated() {
                    // 60 distinct values per endpoint: every digest stays lossless.
                    let value = Double((minute * 7 + e * 3 + m * 5) % 60)
                    lines += "http_request,endpoint=\(endpoint),method=\(method) duration_ms=\(value) \(start + Int64(minute) * 60 + 5)000000000\n"
                    values[endpoint, default: []].append(value)
                    timed[endpoint, default: []].append((start + Int64(minute) * 60, value))
                }
            }
        }
        #expect(try engine.write(Array(lines.utf8)).isComplete)
        try engine.flush(everything: true)
        try engine.compact()
        let query = Query(measurement: "http_request", field: "duration_ms", aggregation: .quantile(0.95),
                          start: start, end: start + 3 * 3_600, groupBy: ["endpoint"])
        // The exact quantile: the smallest value whose cumulative count reaches q × count.
        func exact(_ endpoint: String) -> Double {
            let sorted = values[endpoint]!.sorted()
            return sorted[Int((0.95 * Double(sorted.count)).rounded(.up)) - 1]
        }
        #expect(exact("/a") == 56 && exact("/b") == 56)
        for useProjections in [true, false] {
            var q = query
            q.useProjections = useProjections
            for _ in 0..<2 {
                let result = try engine.query(q)
                #expect(result.granularity == .hour)
                #expect(result.statistics.rowGroupsRead == 0)  // every series read through a summary
                #expect(result.statistics.rowsRead == 2 * 3 * 3)
                #expect(result.series.map(\.tags) == [["endpoint": "/a"], ["endpoint": "/b"]])
                #expect(result.series.map { $0.points.map(\.value) } == [[exact("/a")], [exact("/b")]])
                #expect(result.series.map(\.total) == [exact("/a"), exact("/b")])
            }
        }
        // Per step: 1h steps read 1h buckets (one summary per step of each group's three series),
        // 30-minute steps read 5m buckets (one summary per step of six buckets of three series).
        func exact(_ endpoint: String, from: Int64, to: Int64) -> Double {
            let sorted = timed[endpoint]!.filter { $0.time >= from && $0.time < to }.map(\.value).sorted()
            return sorted[Int((0.95 * Double(sorted.count)).rounded(.up)) - 1]
        }
        for (step, granularity) in [(Int64(3_600), Granularity.hour), (1_800, .fiveMinutes)] {
            var q = query
            q.step = step
            for _ in 0..<2 {
                let result = try engine.query(q)
                #expect(result.granularity == granularity)
                #expect(result.statistics.rowGroupsRead == 0)
                for series in result.series {
                    let endpoint = series.tags["endpoint"]!
                    #expect(series.points.map(\.value) == stride(from: start, to: start + 3 * 3_600, by: Int(step)).map {
                        exact(endpoint, from: $0, to: $0 + step)
                    })
                    #expect(series.total == exact(endpoint))
                }
            }
        }
    }

    /// Filters tested on the selected series' keys select exactly what decoding the postings lists
    /// selects, for projections and base series, stored and derived tags, every operator.
    @Test func keyTestedFiltersMatchPostings() throws {
        let dir = TemporaryDirectory()
        var scenario = TrafficScenario()
        let clock = TestClock(scenario.start)
        let engine = try Engine.open(Self.configuration(dir, clock), logger: .quiet)
        var t = scenario.start
        while t < scenario.start + 2 * 3_600 {
            try scenario.writeStep(engine, from: t, seconds: 600)
            t += 600
            clock.advance(600)
            try engine.maintenanceStep()
        }
        let filterSets: [[TagFilter]] = [
            [.equal("endpoint", "/a")], [.equal("endpoint", "/a", "/c"), .notEqual("method", "GET")],
            [.matches("status", "^5")], [.notMatches("status", "^2")], [.equal("status_class", "4xx")],
            [.notEqual("status_class", "2xx"), .equal("key", "k2")], [.equal("key", "nope")],
        ]
        var compared = 0
        for filters in filterSets {
            for useProjections in [false, true] {
                let query = Query(measurement: "http_request", field: "duration_ms", aggregation: .count, start: scenario.start,
                                  end: t, filters: filters, useProjections: useProjections)
                let selector = try engine.selector(for: query)
                for granularity in Granularity.allCases {
                    for segment in engine.segments(granularity) {
                        let index = try PostingIndex(segment)
                        #expect(try selector.select(index, keyTestRatio: 0) == selector.select(index, keyTestRatio: .max))
                        compared += 1
                    }
                }
            }
        }
        #expect(compared > 20)
    }

    /// Queries share a copy of the head while it is unchanged: every write (into an open bucket,
    /// a new series, a late point), flush and compaction shows in the next query, from the base
    /// series and from projections.
    @Test func headViewFollowsEveryChange() throws {
        let dir = TemporaryDirectory()
        let minute = Granularity.minute.bucketStart(ofSeconds: t0)
        let clock = TestClock(minute + 30)
        let engine = try Engine.open(.test(dir, clock: clock), logger: .quiet)
        var expected = 0.0
        func check(_ note: Comment) throws {
            for useProjections in [false, true] {
                for groupBy in [[], ["endpoint"]] {
                    let query = Query(measurement: "http_request", field: "duration_ms", aggregation: .count, start: minute - 3_600,
                                      end: clock.now + 60, groupBy: groupBy, useProjections: useProjections)
                    for _ in 0..<2 {
                        let total = try engine.query(query).series.compactMap(\.total).reduce(0, +)
                        #expect(total == expected, note)
                    }
                }
            }
        }
        try check("empty")
        func write(_ endpoint: String, _ time: Int64) throws {
            _ = try engine.write(lines("http_request,endpoint=\(endpoint),status=200 duration_ms=5 \(time)000000000\n"))
            expected += 1
        }
        try write("/a", minute)
        try check("first point")
        try write("/a", minute + 1)
        try check("same bucket")
        try write("/b", minute + 2)
        try check("new series")
        clock.advance(600)
        try engine.flush()
        try check("after flush")
        try write("/a", minute + 3)
        try check("late point")
        clock.advance(3 * 86_400)
        try engine.flush(everything: true)
        try engine.compact()
        try check("after compaction")
    }

    /// Past retention, coarser data answers exactly; steps finer than what remains are reported as
    /// unanswered instead of being silently wrong.
    @Test func retentionFallsBackToCoarserData() throws {
        let dir = TemporaryDirectory()
        var scenario = TrafficScenario()
        let clock = TestClock(scenario.start)
        var configuration = EngineConfiguration.test(dir, clock: clock)
        configuration.retention.minute = 2 * 3_600
        configuration.retention.fiveMinutes = 6 * 3_600
        configuration.retention.hour = nil
        configuration.retention.day = nil
        let engine = try Engine.open(configuration, logger: .quiet)
        var t = scenario.start
        while t < scenario.start + 30 * 3_600 {
            try scenario.writeStep(engine, from: t, seconds: 600, spacing: 30)
            t += 600
            clock.advance(600)
            try engine.maintenanceStep()
        }
        let manifest = engine.currentManifest
        #expect(manifest.dropped(before: .minute) > scenario.start)
        #expect(manifest.dropped(before: .fiveMinutes) > scenario.start)
        let end = clock.now + 900
        for aggregation in [Aggregation.count, .sum, .min, .max] {
            let query = Query(measurement: "http_request", field: "duration_ms", aggregation: aggregation, start: scenario.start, end: end,
                              step: 3_600, groupBy: ["status_class"], useProjections: false)
            let result = try engine.query(query)
            #expect(result.statistics.unansweredSeconds == 0)
            #expect(result.statistics.granularities.contains(.hour))
            expectMatchesReference(result, scenario.points, query)
        }
        // Minute steps over the first hour: 1m and 5m are gone there.
        let old = Query(measurement: "http_request", field: "duration_ms", aggregation: .count, start: scenario.start,
                        end: scenario.start + 3_600, step: 60)
        #expect(try engine.query(old).statistics.unansweredSeconds == 3_600)
    }

    @Test func fillPoliciesAndTopN() throws {
        let dir = TemporaryDirectory()
        let clock = TestClock(t0 + 3_600)
        let engine = try Engine.open(.test(dir, clock: clock), logger: .quiet)
        let minute = Granularity.minute.bucketStart(ofSeconds: t0)
        _ = try engine.write(lines("""
            http_request,endpoint=/a,key=k1,status=200 duration_ms=10 \(minute)000000000
            http_request,endpoint=/a,key=k2,status=200 duration_ms=20 \(minute + 1)000000000
            http_request,endpoint=/a,key=k2,status=500 duration_ms=30 \(minute + 120)000000000
            http_request,endpoint=/b,key=k3,status=200 duration_ms=40 \(minute + 121)000000000
            """))
        var query = Query(measurement: "http_request", field: "duration_ms", aggregation: .count, start: minute, end: minute + 180, step: 60)
        #expect(try engine.query(query).series.map(\.points) == [[
            ResultPoint(time: minute * 1_000, value: 2), ResultPoint(time: (minute + 60) * 1_000, value: nil),
            ResultPoint(time: (minute + 120) * 1_000, value: 2),
        ]])
        query.fill = .zero
        #expect(try engine.query(query).series[0].points[1] == ResultPoint(time: (minute + 60) * 1_000, value: 0))
        query.fill = .none
        #expect(try engine.query(query).series[0].points.map(\.time) == [minute * 1_000, (minute + 120) * 1_000])
        // Top 2 keys by volume, then by sum ascending.
        var top = Query(measurement: "http_request", field: "duration_ms", aggregation: .count, start: minute, end: minute + 180,
                        groupBy: ["key"], order: .descending, limit: 2)
        let result = try engine.query(top)
        #expect(result.series.map(\.tags) == [["key": "k2"], ["key": "k1"]])
        #expect(result.series.map(\.total) == [2, 1])
        #expect(result.projection == "key")
        top.aggregation = .sum
        top.order = .ascending
        top.limit = 3
        #expect(try engine.query(top).series.map(\.total) == [10, 40, 50])
        // An empty result without group-by is one empty series.
        let empty = try engine.query(Query(measurement: "nothing", field: "v", aggregation: .count, start: minute, end: minute + 60))
        #expect(empty.series == [ResultSeries(tags: [:], points: [ResultPoint(time: minute * 1_000, value: nil)], total: nil)])
    }

    @Test func errorRateDistributionAndCatalogue() throws {
        let dir = TemporaryDirectory()
        var scenario = TrafficScenario()
        let clock = TestClock(scenario.start)
        let engine = try Engine.open(Self.configuration(dir, clock), logger: .quiet)
        var t = scenario.start
        while t < scenario.start + 3 * 3_600 {
            try scenario.writeStep(engine, from: t, seconds: 600, latePoints: 2)
            t += 600
            clock.advance(600)
            try engine.maintenanceStep()
        }
        let end = clock.now + 900
        let base = Query(measurement: "http_request", field: "duration_ms", aggregation: .count, start: scenario.start, end: end,
                         step: 3_600, groupBy: ["endpoint"])
        for (statusClass, pattern) in [("5xx", "^5"), ("4xx", "^4")] {
            for ratio in [RatioQuery.statusClassRate(base, statusClass), RatioQuery(base: base, numeratorFilters: [.matches("status", pattern)])] {
                let result = try engine.ratio(ratio)
                let all = referenceValues(scenario.points, base)
                var numerator = base
                numerator.filters = ratio.numeratorFilters
                let errors = referenceValues(scenario.points, numerator)
                #expect(result.series.count == all.count)
                for series in result.series {
                    for point in series.points {
                        let denominator = all[series.tags]?[point.time]?.count ?? 0
                        let count = errors[series.tags]?[point.time]?.count ?? 0
                        #expect(point.value == (denominator == 0 ? nil : Double(count) / Double(denominator)))
                    }
                }
            }
        }
        // Distribution of status classes per step.
        let distribution = try engine.distribution(of: "status_class", base)
        var expected = base
        expected.groupBy.append("status_class")
        expectMatchesReference(distribution, scenario.points, expected)
        #expect(distribution.projection == "endpoint_status_class")
        // Catalogue: measurements, fields, tags with series counts; projection series left out.
        let catalogue = try engine.catalogue(start: scenario.start, end: end)
        #expect(catalogue.measurements.map(\.name) == ["http_request"])
        let measurement = catalogue.measurements[0]
        #expect(measurement.fields == ["duration_ms"])
        var distinct: Set<[String: String]> = []
        for point in scenario.points { distinct.insert(point.tags) }
        #expect(measurement.series == distinct.count)
        #expect(measurement.tags.map(\.key) == ["endpoint", "key", "method", "status", "status_class"])
        let classes = measurement.tags.first { $0.key == "status_class" }!.values
        #expect(classes.map(\.value) == ["2xx", "4xx", "5xx"])
        #expect(classes.map(\.series) == ["2xx", "4xx", "5xx"].map { c in distinct.filter { DerivedTag.statusClass.value(from: $0["status"]) == c }.count })
    }

    @Test func plannerPicksTheSmallestCoveringProjection() throws {
        let dir = TemporaryDirectory()
        let engine = try Engine.open(.test(dir, clock: TestClock(t0)), logger: .quiet)
        func pick(_ filters: [TagFilter], _ groupBy: [String]) -> String? {
            engine.projection(for: Query(measurement: "http_request", field: "duration_ms", aggregation: .count, start: 0, end: 60,
                                         filters: filters, groupBy: groupBy))?.name
        }
        #expect(pick([], []) == "total")
        #expect(pick([.equal("endpoint", "/a")], ["method"]) == "endpoint_method")
        #expect(pick([], ["key"]) == "key")
        #expect(pick([.equal("status_class", "5xx")], ["endpoint"]) == "endpoint_status_class")
        #expect(pick([.matches("status_class", "^5")], ["key"]) == "key_status_class")
        #expect(pick([.matches("status", "^5")], []) == nil)
        #expect(pick([], ["endpoint", "key"]) == nil)
        #expect(engine.projection(for: Query(measurement: "other", field: "v", aggregation: .count, start: 0, end: 60)) == nil)
    }

    @Test func queriesRoundTripThroughJSON() throws {
        let json = """
            {"measurement":"http_request","field":"duration_ms","aggregation":"p99.9","start":0,"end":3600,"step":300,
             "filters":[{"key":"status","op":"=~","values":["^5"]}],"groupBy":["endpoint"],"order":"desc","limit":10,"fill":"zero"}
            """
        let query = try JSONDecoder().decode(Query.self, from: Data(json.utf8))
        #expect(query == Query(measurement: "http_request", field: "duration_ms", aggregation: .quantile(0.999), start: 0, end: 3_600,
                               step: 300, filters: [.matches("status", "^5")], groupBy: ["endpoint"], order: .descending, limit: 10, fill: .zero))
        let again = try JSONDecoder().decode(Query.self, from: JSONEncoder().encode(query))
        #expect(again == query)
        let minimal = try JSONDecoder().decode(Query.self, from: Data(#"{"measurement":"m","field":"v","aggregation":"quantile(0.25)","start":0,"end":60}"#.utf8))
        #expect(minimal == Query(measurement: "m", field: "v", aggregation: .quantile(0.25), start: 0, end: 60))
        #expect(throws: QueryError.unknownAggregation("p42x")) {
            try JSONDecoder().decode(Query.self, from: Data(#"{"measurement":"m","field":"v","aggregation":"p42x","start":0,"end":60}"#.utf8))
        }
    }
}

import Foundation
