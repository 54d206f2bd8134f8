import Logging
import Synchronization

/// Logs at most one message per interval; messages in between are counted and reported with the next.
final class RateLimitedLog: Sendable {
    private let logger: Logger
    private let intervalNanoseconds: UInt64
    private let state = Mutex<(last: UInt64, suppressed: Int)>((0, 0))

    init(logger: Logger, intervalSeconds: Double = 1) {
        self.logger = logger
        self.intervalNanoseconds = UInt64(intervalSeconds * 1e9)
    }

    func warning(_ message: @autoclosure () -> String, metadata: Logger.Metadata = [:]) {
        let now = DispatchTimeNanoseconds.now()
        let suppressed: Int? = state.withLock { state in
            if state.last != 0, now - state.last < intervalNanoseconds {
                state.suppressed += 1
                return nil
            }
            defer { state = (now, 0) }
            return state.suppressed
        }
        guard let suppressed else { return }
        var metadata = metadata
        if suppressed > 0 { metadata["suppressed"] = "\(suppressed)" }
        logger.warning("\(message())", metadata: metadata)
    }
}

/// Monotonic nanoseconds since the first call (for durations and rate limits).
enum DispatchTimeNanoseconds {
    private static let origin = ContinuousClock.now

    static func now() -> UInt64 {
        let start = origin  // initialised (lazily) before reading the clock, so `elapsed` is never negative
        let elapsed = ContinuousClock.now - start
        let (seconds, attoseconds) = elapsed.components
        return UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000) + 1
    }
}
