import Foundation
import Testing
import StrataCore
import StrataIO

/// Prints the accuracy and size report (Markdown) that goes into BENCHMARKS.md. It asserts only
/// sanity; the targets are enforced by TDigestAccuracyTests.
@Suite struct TDigestReportTests {
    static func row(_ name: String, _ errors: [Double], _ extra: String) -> String {
        "| \(name) | " + errors.map { String(format: "%.1e", $0) }.joined(separator: " | ") + " | \(extra) |"
    }

    @Test func accuracyReport() {
        var lines: [String] = []
        lines.append("### t-digest accuracy (rank error |F(estimate) − q|, compression \(Int(TDigest.defaultCompression)))")
        lines.append("")
        lines.append("| case | p50 | p90 | p95 | p99 | p99.9 | centroids |")
        lines.append("|---|---|---|---|---|---|---|")
        lines.append(Self.row("target: one digest ≥ 100k values", singleDigestTargets, ""))
        for distribution in Distribution.allCases {
            let data = distribution.samples(100_000, seed: 42)
            var digest = TDigest()
            for value in data { digest.add(value) }
            digest.compress()
            lines.append(Self.row("\(distribution), 100k values", rankErrors(of: digest, in: data), "\(digest.centroids.count)"))
        }
        var rng = SplitMix64(seed: 5_000)
        var tinyData: [Double] = []
        var tiny: [TDigest] = []
        for index in 0..<10_000 {
            let values = Distribution.lognormal.samples(15 + Int(rng.next() % 11), seed: 1_000_000 + UInt64(index))
            tinyData.append(contentsOf: values)
            var d = TDigest()
            for value in values { d.add(value) }
            tiny.append(d)
        }
        let tinyMerged = TDigest.merging(tiny)
        lines.append(Self.row("lognormal, 10,000 digests of 15–25 values merged (\(tinyData.count) values)",
                              rankErrors(of: tinyMerged, in: tinyData), "\(tinyMerged.centroids.count)"))
        lines.append(Self.row("target: daily digest from 1,440 minute digests", dailyDigestTargets, ""))
        let fixture = DailyFixture.shared
        let kWay = TDigest.merging(fixture.minutes)
        lines.append(Self.row("lognormal daily (5.0M values), k-way `merging`", rankErrors(of: kWay, in: fixture.values), "\(kWay.centroids.count)"))
        let rolledUp = fixture.hierarchicalDaily()
        lines.append(Self.row("lognormal daily, 1m → 5m → 1h → 1d roll-up", rankErrors(of: rolledUp, in: fixture.values), "\(rolledUp.centroids.count)"))
        var sequential = TDigest()
        for minute in fixture.minutes { sequential.merge(minute) }
        sequential.compress()
        lines.append(Self.row("lognormal daily, 1,440 one-by-one `merge`", rankErrors(of: sequential, in: fixture.values), "\(sequential.centroids.count)"))

        lines.append("")
        lines.append("Per-minute digests (11 quantiles from p0.1 to p99.9): mean / max rank error")
        lines.append("")
        lines.append("| values | lognormal | uniform | pareto | bimodal |")
        lines.append("|---|---|---|---|---|")
        let minuteQuantiles = [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999]
        for size in [200, 700, 3_000, 10_000] {
            var cells: [String] = []
            for distribution in [Distribution.lognormal, .uniform, .pareto, .bimodal] {
                let data = distribution.samples(size, seed: 500 + UInt64(size))
                var digest = TDigest()
                for value in data { digest.add(value) }
                let errors = rankErrors(of: digest, in: data, at: minuteQuantiles)
                cells.append(String(format: "%.1e / %.1e", errors.reduce(0, +) / Double(errors.count), errors.max()!))
            }
            lines.append("| \(size) | " + cells.joined(separator: " | ") + " |")
        }

        lines.append("")
        lines.append("### Serialized size (bytes; embedded body / standalone with magic, version, CRC32C)")
        lines.append("")
        lines.append("| values in digest | lognormal doubles | integer milliseconds |")
        lines.append("|---|---|---|")
        for size in [0, 1, 5, 20, 200, 2_000] {
            let values = Distribution.lognormal.samples(size, seed: 900)
            var raw = TDigest()
            var integral = TDigest()
            for value in values {
                raw.add(value)
                integral.add(value.rounded())
            }
            func cell(_ digest: TDigest) -> String {
                var writer = ByteWriter()
                digest.encodeBody(into: &writer)
                return "\(writer.count) / \(digest.encoded().count)"
            }
            lines.append("| \(size) | \(cell(raw)) | \(cell(integral)) |")
        }
        var body = ByteWriter()
        kWay.encodeBody(into: &body)
        lines.append("| daily (5.0M, \(kWay.centroids.count) centroids) | \(body.count) / \(kWay.encoded().count) | |")
        print(lines.joined(separator: "\n"))
        #expect(kWay.count == UInt64(fixture.values.count))
    }
}
