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
