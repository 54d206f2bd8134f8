import Testing
import StrataCore
@testable import Strata

@Suite struct QueryErrorTests {
    static let base = Query(measurement: "http_request", field: "duration_ms", aggregation: .count, start: t0, end: t0 + 3_600)

    func error(_ engine: Engine, _ change: (inout Query) -> Void, limits: QueryLimits = QueryLimits()) -> String? {
        var query = Self.base
        change(&query)
        do {
            _ = try engine.query(query, limits: limits)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func badQueriesNameTheParameter() throws {
        let dir = TemporaryDirectory()
        let clock = TestClock(t0 + 600)
        let engine = try Engine.open(.test(dir, clock: clock), logger: .quiet)
        _ = try engine.write(lines((0..<5).map { "http_request,endpoint=/e\($0),status=200 duration_ms=1 \(t0)000000000" }.joined(separator: "\n")))
        #expect(throws: QueryError.unknownAggregation("p42")) { try Aggregation(parsing: "p42") }
        #expect(QueryError.unknownAggregation("p42").description
            == "unknown aggregation \"p42\": use count, sum, avg, min, max, rate, p50, p90, p95, p99, p99.9 or quantile(q) with 0 ≤ q ≤ 1")
        #expect(throws: QueryError.unknownAggregation("quantile(1.5)")) { try Aggregation(parsing: "quantile(1.5)") }
        #expect(error(engine) { $0.filters = [.matches("status", "(5")] } == "filters: invalid regular expression \"(5\" for tag \"status\"")
        #expect(error(engine) { $0.end = $0.start } == "end (\(t0)) must be after start (\(t0))")
        #expect(error(engine) { $0.step = 0 } == "step must be a positive multiple of 60 seconds (got 0); omit step for one point over the whole range")
        #expect(error(engine) { $0.step = 90 } == "step must be a positive multiple of 60 seconds (got 90); omit step for one point over the whole range")
        #expect(error(engine) { $0.limit = 0 } == "limit must be positive (got 0)")
        #expect(error(engine) { $0.measurement = "" } == "measurement must not be empty")
        #expect(error(engine) { $0.filters = [TagFilter("status", .equal, [])] }
            == "filters: the condition on tag \"status\" needs at least one value (=, !=) or exactly one pattern (=~, !~)")
        var limits = QueryLimits()
        limits.maxSeries = 4
        #expect(error(engine, { $0.useProjections = false }, limits: limits)
            == "the query touches more than 4 series (maxSeries); add filters or raise the limit")
        #expect(error(engine, { $0.useProjections = true }, limits: limits) == nil)
        limits = QueryLimits()
        limits.maxPoints = 100
        #expect(error(engine, { $0.step = 60; $0.groupBy = ["endpoint"] }, limits: limits)
            == "the result would hold more than 100 points (maxPoints); use a larger step, fewer groups or a limit")
        #expect(error(engine, { $0.step = 60; $0.end = $0.start + 100 * 86_400 }, limits: limits)
            == "the result would hold more than 100 points (maxPoints); use a larger step, fewer groups or a limit")
        limits = QueryLimits()
        limits.timeoutMilliseconds = 0
        #expect(error(engine, { _ in }, limits: limits) == "the query ran longer than 0 ms (timeoutMilliseconds)")
        #expect(throws: QueryError.endBeforeStart(start: 10, end: 5)) { try engine.catalogue(start: 10, end: 5) }
    }

    @Test func cancelledTasksStop() async throws {
        let dir = TemporaryDirectory()
        let engine = try Engine.open(.test(dir, clock: TestClock(t0 + 600)), logger: .quiet)
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try engine.query(Self.base)
        }
        await #expect(throws: QueryError.cancelled) { try await task.value }
    }
}
