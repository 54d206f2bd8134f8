/// When the write-ahead log forces appended records to disk.
public enum WALSyncPolicy: Sendable, Equatable, CustomStringConvertible {
    /// Every acknowledged write is fsynced before it is acknowledged; concurrent writers share one
    /// fsync (group commit). The default: an acknowledged write survives a host crash.
    case everyWrite
    /// Writes are acknowledged once in the OS page cache and fsynced every `milliseconds` by a
    /// background task: a host crash can lose up to that window (a process crash loses nothing).
    case interval(milliseconds: Int)

    public var description: String {
        switch self {
        case .everyWrite: "every-write"
        case let .interval(ms): "\(ms)ms"
        }
    }

    /// Parses `every-write` or a number of milliseconds (`100ms` or `100`).
    public init?(parsing text: String) {
        if text == "every-write" || text == "always" { self = .everyWrite; return }
        let digits = text.hasSuffix("ms") ? String(text.dropLast(2)) : text
        guard let ms = Int(digits), ms > 0 else { return nil }
        self = .interval(milliseconds: ms)
    }
}
