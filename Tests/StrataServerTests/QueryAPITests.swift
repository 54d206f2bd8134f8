import Foundation
import Testing
import StrataCore

/// `strata serve` answers `/api/v1/query` and the catalogue routes with exactly what was written.
@Suite("HTTP query API", .serialized)
struct QueryAPITests {
    @Test func queryAndCatalogueOverHTTP() async throws {
        let directory = temporaryDirectory("query-api")
        let server = try ServerProcess(dataDirectory: directory)
        defer { _ = try? server.terminate() }
        // 3 endpoints × 40 requests in the last half hour; durations 1…40 ms; every 10th request a 500.
        let now = unixSeconds()
        var lines: [String] = []
        var expectedCount: [String: Int] = [:]
        var expectedSum: [String: Double] = [:]
        var expected5xx: [String: Int] = [:]
        var durations: [Double] = []
        for endpoint in ["/a", "/b", "/c"] {
            for i in 1...40 {
                let status = i % 10 == 0 ? 500 : 200
                let duration = Double(i) + (endpoint == "/b" ? 0.5 : 0)
                lines.append("http_request,endpoint=\(endpoint),status=\(status) duration_ms=\(duration) \(now - 1_800 + Int64(i) * 30)")
                expectedCount[endpoint, default: 0] += 1
                expectedSum[endpoint, default: 0] += duration
                if status == 500 { expected5xx[endpoint, default: 0] += 1 }
                durations.append(duration)
            }
        }
        let write = try await http("POST", server.baseURL + "/write?precision=s", body: Array(lines.joined(separator: "\n").utf8))
        #expect(write.status == 204)

        // Count per endpoint over the last hour, one point for the range.
        let counts = try await http("GET", server.baseURL + "/api/v1/query?measurement=http_request&field=duration_ms&agg=count&start=-1h&end=now&group_by=endpoint")
        #expect(counts.status == 200, "\(counts.text)")
        let series = try #require(counts.json?["series"] as? [[String: Any]])
        #expect(series.count == 3)
        for entry in series {
            let endpoint = try #require((entry["tags"] as? [String: String])?["endpoint"])
            let points = try #require(entry["points"] as? [[Any]])
            let total = points.compactMap { $0.last as? Double }.reduce(0, +)
            #expect(Int(total) == expectedCount[endpoint])
            // Points are [unix milliseconds, value]: the single point starts at the range start (-1h, minute-aligned).
            let time = try #require(points.first?.first as? Double)
            #expect(abs(Int64(time / 1000) - (now - 3_600)) <= 60)
        }

        // Sums with a filter, POST form.
        let body = #"{"measurement":"http_request","field":"duration_ms","agg":"sum","start":"-1h","where":["endpoint=/b"]}"#
        let sum = try await http("POST", server.baseURL + "/api/v1/query", body: Array(body.utf8), headers: ["Content-Type": "application/json"])
        #expect(sum.status == 200, "\(sum.text)")
        let sumPoints = try #require(((sum.json?["series"] as? [[String: Any]])?.first?["points"]) as? [[Any]])
        #expect(sumPoints.compactMap { $0.last as? Double }.reduce(0, +) == expectedSum["/b"])

        // 5xx counts via a regex filter, top 2 endpoints by count.
        let errors = try await http("GET", server.baseURL + "/api/v1/query?measurement=http_request&field=duration_ms&agg=count&start=-1h&where=status=~%5E5&group_by=endpoint&order=desc&limit=2")
        #expect(errors.status == 200, "\(errors.text)")
        let errorSeries = try #require(errors.json?["series"] as? [[String: Any]])
        #expect(errorSeries.count == 2)
        for entry in errorSeries {
            let points = try #require(entry["points"] as? [[Any]])
            #expect(Int(points.compactMap { $0.last as? Double }.reduce(0, +)) == 4)
        }

        // p95 over everything, within t-digest accuracy of the exact value.
        let p95 = try await http("GET", server.baseURL + "/api/v1/query?measurement=http_request&field=duration_ms&agg=p95&start=-1h")
        #expect(p95.status == 200, "\(p95.text)")
        let estimate = try #require((((p95.json?["series"] as? [[String: Any]])?.first?["points"]) as? [[Any]])?.compactMap { $0.last as? Double }.first)
        let sorted = durations.sorted()
        let rank = Double(sorted.filter { $0 <= estimate }.count) / Double(sorted.count)
        #expect(abs(rank - 0.95) <= 0.02, "p95 estimate \(estimate) has rank \(rank)")

        // Catalogue.
        let measurements = try await http("GET", server.baseURL + "/api/v1/measurements")
        #expect(measurements.json?["measurements"] as? [String] == ["http_request"])
        let fields = try await http("GET", server.baseURL + "/api/v1/fields?measurement=http_request")
        #expect(fields.json?["fields"] as? [String] == ["duration_ms"])
        let keys = try await http("GET", server.baseURL + "/api/v1/tag_keys?measurement=http_request")
        let tagKeys = Set(keys.json?["tag_keys"] as? [String] ?? [])
        #expect(tagKeys.isSuperset(of: ["endpoint", "status"]))
        let values = try await http("GET", server.baseURL + "/api/v1/tag_values?measurement=http_request&key=status")
        let valueList = (values.json?["values"] as? [[String: Any]])?.compactMap { $0["value"] as? String }
        #expect(Set(valueList ?? []) == ["200", "500"])

        // Errors name the parameter.
        let badAgg = try await http("GET", server.baseURL + "/api/v1/query?measurement=http_request&field=duration_ms&agg=median")
        #expect(badAgg.status == 400)
        #expect(badAgg.json?["error"] as? String == "invalid agg")
        let badStep = try await http("GET", server.baseURL + "/api/v1/query?measurement=http_request&field=duration_ms&step=7q")
        #expect(badStep.status == 400)
        #expect((badStep.json?["detail"] as? String)?.contains("step") == true)
        let noField = try await http("GET", server.baseURL + "/api/v1/query?measurement=http_request")
        #expect(noField.json?["error"] as? String == "missing field")
        let badRegex = try await http("GET", server.baseURL + "/api/v1/query?measurement=http_request&field=duration_ms&where=status=~(")
        #expect(badRegex.status == 400)
        #expect((badRegex.json?["detail"] as? String)?.contains("status") == true)
    }
}
