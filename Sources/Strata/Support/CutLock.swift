import CStrataSupport

/// The engine's cut lock: writers hold it shared from their WAL append until their points are in the
/// head, and a flush holds it exclusively while it rolls the WAL and drains the head. So a cut never
/// falls between a write's WAL record and its points, which is what makes "every record in a WAL file
/// below the cut is either drained or still in the head" true once the head is split into shards with
/// locks of their own. Writer-preferring: a waiting cut is not starved by overlapping writes.
final class CutLock: @unchecked Sendable {
    private let lock: OpaquePointer

    init() { lock = strata_rwlock_create() }

    deinit { strata_rwlock_destroy(lock) }

    /// Runs `body` holding the lock shared (many at once). Not reentrant.
    func withShared<R>(_ body: () throws -> R) rethrows -> R {
        strata_rwlock_lock_shared(lock)
        defer { strata_rwlock_unlock_shared(lock) }
        return try body()
    }

    /// Runs `body` holding the lock exclusively. Not reentrant.
    func withExclusive<R>(_ body: () throws -> R) rethrows -> R {
        strata_rwlock_lock_exclusive(lock)
        defer { strata_rwlock_unlock_exclusive(lock) }
        return try body()
    }
}
