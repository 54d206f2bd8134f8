import Synchronization

/// The series caps of ``HeadLimits``, shared by the shards of a head: how many series the head holds
/// in all and per measurement. A shard asks before it admits a new series and gives series back when
/// a drain drops them, so the caps hold for the head as a whole however its series are spread.
final class SeriesBudget: Sendable {
    private struct Counts {
        var total = 0
        var perMeasurement: [String: Int] = [:]
    }

    private let counts = Mutex(Counts())

    /// Takes one series of `measurement`, or returns why the caps of `limits` refuse it.
    func admit(measurement: String, limits: HeadLimits) -> IngestRejection.Reason? {
        counts.withLock { counts in
            if counts.total >= limits.maxSeries { return .seriesLimit(limit: limits.maxSeries) }
            let current = counts.perMeasurement[measurement, default: 0]
            if current >= limits.maxSeriesPerMeasurement {
                return .measurementSeriesLimit(measurement: measurement, limit: limits.maxSeriesPerMeasurement)
            }
            counts.total += 1
            counts.perMeasurement[measurement] = current + 1
            return nil
        }
    }

    /// Gives back series a shard dropped: `released[m]` series of measurement `m`.
    func release(_ released: [String: Int]) {
        guard !released.isEmpty else { return }
        counts.withLock { counts in
            for (measurement, count) in released where count > 0 {
                counts.total -= count
                let left = counts.perMeasurement[measurement, default: 0] - count
                counts.perMeasurement[measurement] = left > 0 ? left : nil
            }
        }
    }

    /// Series held in all.
    var total: Int { counts.withLock { $0.total } }
}
