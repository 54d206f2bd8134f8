import Synchronization
import StrataCore
import StrataIO

/// The write-ahead log: every accepted write is appended here before it is acknowledged, so that a
/// crash loses nothing the engine acknowledged.
///
/// Files live in one directory, named by sequence number, and roll at ``rollSize`` and whenever the
/// head flushes (so that older files become deletable once their data is in segments). Appends are
/// `write(2)` calls under a lock; ``sync(through:)`` implements group commit: a caller whose record
/// is not yet durable either waits for the fsync in progress or runs the next one, which covers every
/// record appended before it began.
final class WriteAheadLog: Sendable {
    /// A log sequence number: the total bytes appended since the log was opened.
    typealias LSN = UInt64

    private struct State: ~Copyable {
        var file: SharedFile
        var sequence: UInt64
        var bytesInFile: Int
        var appended: LSN
    }

    let directory: String
    let rollSize: Int
    private let state: Mutex<State>
    /// The highest LSN known to be on stable storage. Guarded by its own lock, held during fsync.
    private let synced = Mutex<LSN>(0)

    /// Opens the log in `directory`, starting a new file numbered after every existing one.
    /// Existing files are left for replay; they are never appended to.
    init(directory: String, rollSize: Int = 64 << 20) throws(IOError) {
        try FileSystem.createDirectory(directory)
        self.directory = directory
        self.rollSize = rollSize
        let next = (try Self.existingSequences(in: directory).last ?? 0) + 1
        let file = try Self.create(directory: directory, sequence: next)
        state = Mutex(State(file: file, sequence: next, bytesInFile: WALFile.headerLength, appended: 0))
    }

    /// The sequence numbers of the WAL files in `directory`, ascending.
    static func existingSequences(in directory: String) throws(IOError) -> [UInt64] {
        try FileSystem.listDirectory(directory).compactMap(WALFile.sequence(ofName:)).sorted()
    }

    /// The path of file `sequence`.
    func path(of sequence: UInt64) -> String { directory + "/" + WALFile.name(sequence) }

    /// The sequence number of the file being appended to.
    var activeSequence: UInt64 { state.withLock { $0.sequence } }

    /// Appends `record` (not yet durable) and returns its LSN and the file it went to.
    func append(_ record: WALRecord) throws(IOError) -> (lsn: LSN, file: UInt64) {
        try append(frame: WALFile.frame(record))
    }

    /// Appends an already framed record (``WALFile/frame(_:)``): callers frame (and compress) outside
    /// their own locks.
    func append(frame: [UInt8]) throws(IOError) -> (lsn: LSN, file: UInt64) {
        try state.withLock { state throws(IOError) -> (lsn: LSN, file: UInt64) in
            if state.bytesInFile + frame.count > rollSize && state.bytesInFile > WALFile.headerLength {
                try rollLocked(&state)
            }
            try state.file.file.writeAll(frame)
            state.bytesInFile += frame.count
            state.appended += LSN(frame.count)
            return (state.appended, state.sequence)
        }
    }

    /// Returns once every record up to `lsn` is on stable storage (group commit).
    func sync(through lsn: LSN) throws(IOError) {
        try synced.withLock { synced throws(IOError) in
            if synced >= lsn { return }
            let (target, file) = state.withLock { ($0.appended, $0.file) }
            try file.file.sync()
            synced = target
        }
    }

    /// Makes every appended record durable.
    func syncAll() throws(IOError) {
        try sync(through: state.withLock { $0.appended })
    }

    /// Starts a new file (after fsyncing the current one); returns the new file's sequence number.
    /// Every record appended before this call is in a file numbered below the returned one.
    @discardableResult
    func roll() throws(IOError) -> UInt64 {
        try state.withLock { state throws(IOError) -> UInt64 in
            try rollLocked(&state)
            return state.sequence
        }
    }

    private func rollLocked(_ state: inout State) throws(IOError) {
        try state.file.file.sync()
        let next = state.sequence + 1
        state.file = try Self.create(directory: directory, sequence: next)
        state.sequence = next
        state.bytesInFile = WALFile.headerLength
    }

    /// Deletes every WAL file numbered below `sequence` (never the active file).
    func removeFiles(below sequence: UInt64) throws(IOError) {
        let active = activeSequence
        var removed = false
        for existing in try Self.existingSequences(in: directory) where existing < sequence && existing < active {
            try FileSystem.removeFile(path(of: existing))
            removed = true
        }
        if removed { try FileSystem.syncDirectory(directory) }
    }

    /// Creates file `sequence` with its header, durably (file and directory entry).
    private static func create(directory: String, sequence: UInt64) throws(IOError) -> SharedFile {
        let path = directory + "/" + WALFile.name(sequence)
        try FileSystem.removeFile(path)
        let file = try File.openForAppending(path)
        try file.writeAll(WALFile.header(sequence: sequence))
        try file.sync()
        try FileSystem.syncDirectory(directory)
        return SharedFile(file)
    }
}

/// A ``File`` shared by reference, so an fsync can run outside the lock that guards appends.
final class SharedFile: Sendable {
    let file: File
    init(_ file: consuming File) { self.file = file }
}
