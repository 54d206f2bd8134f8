import Testing
import StrataCore
@testable import Strata

@Suite struct ProjectionTests {
    @Test func derivedStatusClass() {
        let tag = DerivedTag.statusClass
        #expect(tag.value(from: "503") == "5xx")
        #expect(tag.value(from: "200") == "2xx")
        #expect(tag.value(from: "abc") == "other")
        #expect(tag.value(from: "1000") == "other")
        #expect(tag.value(from: nil) == nil)
    }

    @Test func projectionKeys() {
        let base = SeriesKey(measurement: "http_request", tags: [Tag(key: "endpoint", value: "/a"), Tag(key: "method", value: "GET"),
                                                                Tag(key: "key", value: "k1"), Tag(key: "status", value: "429")])
        let projection = Projection(name: "endpoint_status_class", measurement: "http_request", tags: ["endpoint"], derived: [.statusClass])
        #expect(projection.key(for: base)?.description == "http_request,__projection=endpoint_status_class,endpoint=/a,status_class=4xx")
        #expect(projection.key(for: projection.key(for: base)!) == nil)
        #expect(projection.key(for: SeriesKey(measurement: "other", tags: [])) == nil)
    }

    /// With the defaults, `key` folds from `key_status_class` and `total` from `key`; the other three
    /// fold the base rows. Projections that repeat a tag name, or of another measurement, fold from base.
    @Test func projectionPlanFoldsFromSmallerProjections() {
        let defaults = Projection.httpRequestDefaults
        #expect(defaults.map(\.name) == ["total", "endpoint_method", "key", "endpoint_status_class", "key_status_class"])
        let plan = ProjectionPlan(defaults)
        #expect(plan.parents == [2, nil, 4, nil, nil])
        #expect(plan.roots == [1, 3, 4])
        #expect(plan.derived == [2, 0])

        let odd = [
            Projection(name: "a", measurement: "m", tags: ["x"]),
            Projection(name: "b", measurement: "m", tags: ["x", "y"]),
            Projection(name: "c", measurement: "n", tags: []),
            Projection(name: "d", measurement: "m", tags: ["x", "status_class"], derived: [.statusClass]),
            Projection(name: "e", measurement: "m", tags: ["x"]),
        ]
        let oddPlan = ProjectionPlan(odd)
        // a and e keep the same tags: e folds from a (the lower index), a from b; d repeats a name.
        #expect(oddPlan.parents == [1, nil, nil, nil, 0])
        #expect(oddPlan.derived == [0, 4])

        let keyStatus = SeriesKey(measurement: "http_request", tags: [
            Tag(key: Projection.tagKey, value: "key_status_class"), Tag(key: "key", value: "k1"), Tag(key: "status_class", value: "4xx"),
        ])
        #expect(defaults[2].key(forSeriesOf: keyStatus).description == "http_request,__projection=key,key=k1")
        #expect(defaults[0].key(forSeriesOf: keyStatus).description == "http_request,__projection=total")
    }

    /// Folding `total` and `key` from other projections' rows gives the counts, minima and maxima that
    /// folding every base row gives, sums equal to rounding, and percentiles within the digests' error.
    @Test func plannedFoldMatchesFoldingTheBaseRows() throws {
        var head = Head(limits: HeadLimits())
        var options = APIWorkload.Options()
        options.startNanoseconds = 1_763_799_960 * 1_000_000_000
        options.spacingNanoseconds = 600 * 1_000_000_000 / 20_000
        var workload = APIWorkload(options)
        var bytes: [UInt8] = []
        workload.appendLines(20_000, to: &bytes)
        var batch = ParsedBatch()
        LineProtocolParser().parse(bytes, defaultTimestamp: 0, into: &batch)
        #expect(head.apply(batch, nowSeconds: 1_763_799_960 + 86_400, walFile: 1).isEmpty)
        let base = head.drainBuckets(before: Int64.max).columns()
        let planned = Projector.rows(head: base)
        // Each projection on its own is a root: folded from the base rows.
        let direct = Projection.httpRequestDefaults.map { Projector.rows(head: base, [$0]) }.reduce([], +)
        #expect(planned.count == direct.count)
        let byKey = Dictionary(uniqueKeysWithValues: direct.map { (Pair(series: $0.series, start: $0.start), $0) })
        var checked = 0
        for row in planned {
            let other = try #require(byKey[Pair(series: row.series, start: row.start)])
            #expect(row.fields.map(\.name) == other.fields.map(\.name))
            for (a, b) in zip(row.fields, other.fields) {
                #expect(a.aggregate.count == b.aggregate.count && a.aggregate.min == b.aggregate.min && a.aggregate.max == b.aggregate.max)
                #expect(abs(a.aggregate.sum - b.aggregate.sum) <= 1e-9 * abs(b.aggregate.sum))
                #expect(a.aggregate.digest.count == b.aggregate.digest.count)
                if a.name == "duration_ms" && a.aggregate.count >= 100 {
                    // Rank error of the 99th percentile: the share of values between the two answers.
                    let p99 = a.aggregate.digest.quantile(0.99), reference = b.aggregate.digest.quantile(0.99)
                    #expect(abs(b.aggregate.digest.cdf(p99) - b.aggregate.digest.cdf(reference)) <= 0.002)
                    checked += 1
                }
            }
        }
        #expect(checked >= 40)
    }

    /// Client points may not use the reserved tag; the rest of the write goes in.
    @Test func clientTagNamedProjectionIsRefused() throws {
        let dir = TemporaryDirectory()
        let engine = try Engine.open(.test(dir, clock: TestClock(t0)), logger: .quiet)
        let result = try engine.write(lines("""
            http_request,__projection=total duration_ms=1 \(t0)000000000
            http_request,endpoint=/a duration_ms=2 \(t0)000000000
            """))
        #expect(result.pointsAccepted == 1)
        #expect(result.rejections == [IngestRejection(line: 1, reason: .reservedTag(key: "__projection"))])
        #expect(result.rejections[0].description == "line 1: tag key \"__projection\" is reserved for projection series")
    }

    /// Projection series are flushed next to the base series and roll up with them; both answer the
    /// same totals, and projection reads touch far fewer series.
    @Test func projectionsAreStoredAndCheaper() throws {
        let dir = TemporaryDirectory()
        var scenario = TrafficScenario()
        let clock = TestClock(scenario.start)
        let engine = try Engine.open(QueryTests.configuration(dir, clock), logger: .quiet)
        var t = scenario.start
        while t < scenario.start + 4 * 3_600 {
            try scenario.writeStep(engine, from: t, seconds: 600, spacing: 10)
            t += 600
            clock.advance(600)
            try engine.maintenanceStep()
        }
        let names = Set(try engine.segments(.fiveMinutes).flatMap { try $0.allSeriesKeys() }.compactMap { $0.value(of: Projection.tagKey) })
        #expect(names == Set(Projection.httpRequestDefaults.map(\.name)))
        let query = Query(measurement: "http_request", field: "duration_ms", aggregation: .count, start: scenario.start, end: clock.now + 900, step: 3_600)
        var base = query
        base.useProjections = false
        let fromProjection = try engine.query(query)
        let fromBase = try engine.query(base)
        #expect(fromProjection.projection == "total")
        #expect(fromBase.projection == nil)
        #expect(fromProjection.series == fromBase.series)
        #expect(fromProjection.statistics.seriesTouched == 1)
        #expect(fromBase.statistics.seriesTouched > 100)
    }
}

/// A (series, start) pair as a dictionary key.
private struct Pair: Hashable {
    var series: SeriesKey
    var start: Int64
}

extension Projector {
    /// The default projections' rows of field rows `base`, as the flush folds them, as bucket rows.
    fileprivate static func rows(head base: RowColumns, _ projections: [Projection] = Projection.httpRequestDefaults) -> [BucketRow] {
        columns(base, projections).bucketRows()
    }
}
