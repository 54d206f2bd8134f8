import Dispatch
import Synchronization

/// Runs `work(0)` and `work(1)` at once (the caller's thread takes part) and returns their results in
/// that order: the engine's way of splitting a CPU-heavy step over the machine's two cores.
func onTwoThreads<Result: Sendable>(_ work: @Sendable (Int) -> Result) -> (Result, Result) {
    let results = Mutex<[Int: Result]>([:])
    DispatchQueue.concurrentPerform(iterations: 2) { part in
        let result = work(part)
        results.withLock { $0[part] = result }
    }
    return results.withLock { ($0[0]!, $0[1]!) }
}
