import StrataIO

/// A fresh directory under /tmp for one test, removed when the value goes away.
final class TemporaryDirectory {
    let path: String
    private static let counter = Counter()

    init(_ name: String = #function) {
        let clean = name.filter { $0.isLetter || $0.isNumber }
        path = "/tmp/strata-tests-\(SystemClock.nowNanoseconds())-\(Self.counter.next())-\(clean)"
        try! FileSystem.createDirectory(path)
    }

    deinit { try? FileSystem.removeTree(path) }

    func file(_ relative: String) -> String { path + "/" + relative }
}

import Synchronization
private final class Counter: Sendable {
    private let value = Mutex(0)
    func next() -> Int { value.withLock { $0 += 1; return $0 } }
}

import Logging

extension Logger {
    /// A logger that drops everything, so test output stays readable.
    static let quiet = Logger(label: "strata.tests", factory: { _ in SwiftLogNoOpLogHandler() })
}
