#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Directory operations and the crash-safe publication steps: write to a temporary path, fsync,
/// rename over the final name, fsync the directory. Each step is its own function so that tests can
/// stop between any two.
public enum FileSystem {
    /// Creates `path` and any missing parents.
    public static func createDirectory(_ path: String) throws(IOError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component + "/"
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw IOError(operation: "mkdir", path: prefix, code: errno)
            }
        }
    }

    /// Whether something exists at `path`.
    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    /// Whether `path` is a directory.
    public static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// The size of the file at `path`.
    public static func fileSize(_ path: String) throws(IOError) -> Int {
        var info = stat()
        try retryingOnInterrupt("stat", path) { stat(path, &info) }
        return Int(info.st_size)
    }

    /// The names in directory `path` (without `.` and `..`), sorted.
    public static func listDirectory(_ path: String) throws(IOError) -> [String] {
        guard let dir = opendir(path) else { throw IOError(operation: "opendir", path: path, code: errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Atomically renames `from` to `to`, replacing `to` if it exists.
    public static func rename(_ from: String, to: String) throws(IOError) {
        try retryingOnInterrupt("rename", from) { Glibc.rename(from, to) }
    }

    /// Deletes the file at `path`; a missing file is not an error.
    public static func removeFile(_ path: String) throws(IOError) {
        if unlink(path) != 0 && errno != ENOENT { throw IOError(operation: "unlink", path: path, code: errno) }
    }

    /// Deletes `path` and everything under it.
    public static func removeTree(_ path: String) throws(IOError) {
        if isDirectory(path) {
            for name in try listDirectory(path) { try removeTree(path + "/" + name) }
            if rmdir(path) != 0 && errno != ENOENT { throw IOError(operation: "rmdir", path: path, code: errno) }
        } else {
            try removeFile(path)
        }
    }

    /// Fsyncs directory `path`, making renames and deletions in it durable.
    public static func syncDirectory(_ path: String) throws(IOError) {
        let fd = try retryingOnInterrupt("open", path) { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { close(fd) }
        try retryingOnInterrupt("fsync", path) { fsync(fd) }
    }

    /// Writes `bytes` to `path + ".tmp"` and fsyncs it: the first step of a crash-safe publication.
    /// A leftover `.tmp` file from an earlier crash is replaced.
    public static func writeTemporary(_ bytes: [UInt8], for path: String) throws(IOError) -> String {
        let temporary = path + ".tmp"
        try removeFile(temporary)
        let file = try File.createNew(temporary)
        try file.writeAll(bytes)
        try file.sync()
        return temporary
    }

    /// Publishes `bytes` at `path` so that after a crash either the old or the new content is there,
    /// whole: write `path.tmp`, fsync, rename over `path`, fsync the directory.
    public static func writeAtomically(_ bytes: [UInt8], to path: String) throws(IOError) {
        let temporary = try writeTemporary(bytes, for: path)
        try rename(temporary, to: path)
        try syncDirectory(parent(of: path))
    }

    /// The directory part of `path` (`.` when there is none).
    public static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
