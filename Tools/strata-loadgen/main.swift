import ArgumentParser
import Foundation
import StrataCore
#if canImport(Glibc)
import Glibc
#endif

/// `strata-loadgen`: realistic API-request traffic (`APIWorkload`) as line protocol, to a file, a TCP
/// ingest port or an Influx `/write` URL, as fast as possible or at a fixed rate.
struct StrataLoadGen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strata-loadgen",
        abstract: "Generate realistic API-request line protocol (APIWorkload) and send it to Strata or a file.",
        discussion: """
            Exactly one output: --tcp, --http or --file. The run is bounded by --lines and/or --duration \
            (whichever ends first). Lines are generated into large reusable buffers and written with big \
            writes; with --connections C the buffers go to C connections (one thread each).

            Timestamps: by default spread over the last --backfill-days days ending now, following a \
            day/night curve (--diurnal-amplitude; volume ∝ 1 − a·cos(2π·UTC time of day), lowest at \
            00:00 UTC). With --live every buffer is stamped with the wall clock when it is generated. \
            The same seed and options give the same lines; with --end (instead of now) the same bytes.

            With --live --pool N, N lines are generated before the clock starts and sent over and over, \
            each buffer's timestamps rewritten with the wall clock as it goes out: a sustained live \
            stream that costs the sender little more than its socket writes (the series repeat with \
            the pool, so take N large enough to cover the series a minute of traffic brings).

            Examples:
              strata-loadgen --tcp 127.0.0.1:8089 --lines 5000000 --connections 4
              strata-loadgen --http 'http://127.0.0.1:8086/write' --lines 1000000 --batch-size 5000
              strata-loadgen --tcp 127.0.0.1:8089 --live --rate 20000 --duration 600 --progress
              strata-loadgen --file requests.lp --lines 1000000 --backfill-days 7 --seed 7
            """)

    @Option(help: "Total lines to send (default 1,000,000 unless --duration is given).")
    var lines: Int?

    @Option(help: "Stop after this many seconds (with --lines too: whichever comes first).")
    var duration: Double?

    @Option(help: "Lines per second; 0 = as fast as possible.")
    var rate: Double = 0

    @Option(help: "Distinct endpoints (Zipf popularity).")
    var endpoints = 200

    @Option(help: "Distinct API keys (Zipf popularity).")
    var keys = 100

    @Option(help: "Random seed: the same seed gives the same lines.")
    var seed: UInt64 = 42

    @Option(name: .customLong("backfill-days"), help: "Spread timestamps over the last D days, ending now.")
    var backfillDays: Double = 1

    @Option(help: "End of the backfill window, Unix seconds (default now; fix it for byte-identical runs).")
    var end: Int64?

    @Option(name: .customLong("diurnal-amplitude"), help: "Day/night volume curve for backfill timestamps, 0 (flat) ... 1.")
    var diurnalAmplitude: Double = 0.8

    @Flag(help: "Stamp lines with the wall clock at send time instead of backfilling.")
    var live = false

    @Option(help: "TCP connections (or concurrent HTTP requests).")
    var connections = 1

    @Option(help: "Send to a line-protocol TCP listener, HOST:PORT.")
    var tcp: String?

    @Option(help: "POST batches to an Influx write URL (e.g. http://127.0.0.1:8086/write), expecting 204.")
    var http: String?

    @Option(name: .customLong("batch-size"), help: "Lines per HTTP POST.")
    var batchSize = 5_000

    @Option(help: "Write to a file ('-' for stdout).")
    var file: String?

    @Flag(help: "Report progress every 5 s (on stderr).")
    var progress = false

    @Flag(help: ArgumentHelp("Generate every line before sending (needs --lines; not with --rate or --live).",
                             discussion: "The send then costs only the socket writes, so a sender on the same machine as the server takes little of its CPU. Holds all the lines in memory."))
    var pregenerate = false

    @Option(help: ArgumentHelp("With --live: generate this many lines before the clock starts and send them in a loop, restamped with the wall clock (0: generate as it sends).",
                               discussion: "Holds the pool in memory (about 135 bytes a line)."))
    var pool = 0

    func validate() throws {
        guard [tcp, http, file].compactMap({ $0 }).count == 1 else {
            throw ValidationError("give exactly one output: --tcp, --http or --file")
        }
        if let lines, lines < 0 { throw ValidationError("--lines must be ≥ 0") }
        if let duration, !(duration > 0) { throw ValidationError("--duration must be > 0") }
        guard rate >= 0 else { throw ValidationError("--rate must be ≥ 0") }
        guard endpoints > 0, keys > 0 else { throw ValidationError("--endpoints and --keys must be > 0") }
        guard connections >= 1, connections <= 1024 else { throw ValidationError("--connections must be 1 ... 1024") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be ≥ 1") }
        guard backfillDays > 0 else { throw ValidationError("--backfill-days must be > 0") }
        guard (0...1).contains(diurnalAmplitude) else { throw ValidationError("--diurnal-amplitude must be 0 ... 1") }
        if pregenerate && (lines == nil || live || rate > 0 || duration != nil) {
            throw ValidationError("--pregenerate needs --lines and cannot be combined with --live, --rate or --duration")
        }
        guard pool >= 0 else { throw ValidationError("--pool must be ≥ 0") }
        if pool > 0 && (!live || file != nil) {
            throw ValidationError("--pool needs --live and a network output (--tcp or --http)")
        }
        if !live, lines == nil, duration != nil, rate == 0 {
            throw ValidationError("--duration without --lines needs --rate (to spread backfill timestamps) or --live")
        }
    }

    mutating func run() throws {
        signal(SIGPIPE, SIG_IGN)
        let totalLines: Int? = lines ?? (duration == nil ? 1_000_000 : nil)
        let now = end.map { $0 * 1_000_000_000 } ?? wallClockNanoseconds()
        var options = APIWorkload.Options()
        options.endpoints = endpoints
        options.keys = keys
        options.seed = seed
        if !live {
            // Backfill: `slots` lines fill [now − D days, now).
            let slots = totalLines ?? Int((rate * (duration ?? 0)).rounded(.up))
            let span = Int64(backfillDays * 86_400 * 1e9)
            options.startNanoseconds = now - span
            options.diurnalAmplitude = diurnalAmplitude
            let weight = diurnalAmplitude > 0
                ? APIWorkload.diurnalWeight(from: now - span, to: now, amplitude: diurnalAmplitude) : Double(span)
            options.spacingNanoseconds = max(1, Int64(weight / Double(max(slots, 1))))
        }
        let producer = Producer(workload: APIWorkload(options), live: live, totalLines: totalLines,
                                duration: duration, rate: rate, progress: progress)

        let sinks: [any Sink]
        var chunkLines = Int.max
        var chunkBytes = Producer.chunkBytes
        if let file {
            sinks = [try FileSink(path: file)]
        } else if let tcp {
            let (host, port) = try parseHostPort(tcp)
            sinks = try (0..<connections).map { _ in try TCPSink(host: host, port: port) }
        } else {
            let url = try HTTPTarget(http!)
            sinks = try (0..<connections).map { _ in try HTTPSink(target: url) }
            chunkLines = batchSize
            chunkBytes = Int.max  // one POST is exactly --batch-size lines
        }
        if rate > 0 { chunkLines = min(chunkLines, max(1, Int(rate / 100))) }  // ≈ 10 ms of lines per buffer
        if pregenerate { producer.pregenerate(maxLines: chunkLines, maxBytes: chunkBytes) }
        if pool > 0 { producer.generatePool(lines: pool, maxLines: chunkLines, maxBytes: chunkBytes) }

        let failure = FailureBox()
        let threads = sinks.map { sink in
            Thread { [chunkLines, chunkBytes] in
                var buffer: [UInt8] = []
                buffer.reserveCapacity(Producer.chunkBytes + 4_096)
                do {
                    while failure.error == nil {
                        if let (chunk, count) = producer.nextPregenerated() {
                            try sink.write(chunk, lines: count)
                            continue
                        }
                        buffer.removeAll(keepingCapacity: true)
                        let count = producer.fill(&buffer, maxLines: chunkLines, maxBytes: chunkBytes)
                        if count == 0 { break }
                        try sink.write(buffer, lines: count)
                    }
                    try sink.finish()
                } catch {
                    failure.set(error)
                }
                producer.threadDone()
            }
        }
        producer.start(threads: threads.count)
        for thread in threads { thread.stackSize = 1 << 20; thread.start() }
        producer.waitForThreads()
        let report = producer.report()
        FileHandle.standardError.write(Data((report + "\n").utf8))
        if let error = failure.error {
            FileHandle.standardError.write(Data("strata-loadgen: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}

// MARK: - Generation

/// Hands out buffers of lines to the sender threads, bounded by lines, time and rate.
final class Producer: @unchecked Sendable {
    static let chunkBytes = 1 << 20
    private let lock = NSCondition()
    private var workload: APIWorkload
    private let live: Bool
    private let totalLines: Int?
    private let duration: Double?
    private let rate: Double
    private let progress: Bool
    private var sentLines = 0
    private var sentBytes = 0
    private var startTime = 0.0
    private var lastProgress = 0.0
    private var running = 0
    /// With `--pregenerate`: every buffer of the run, generated before the clock starts, and the next
    /// one to hand out.
    private var pregenerated: [(bytes: [UInt8], lines: Int)]?
    private var nextChunk = 0
    /// With `--live --pool`: buffers of lines sent in a loop, and where each line's 19-digit
    /// timestamp is (rewritten with the wall clock as each buffer goes out).
    private var pool: [(bytes: [UInt8], timestampOffsets: [Int32])] = []
    private var nextPoolChunk = 0
    /// Wall-clock time the sending started (Unix seconds), for scripts that time the whole pipeline.
    private var startWallClock = 0.0

    init(workload: APIWorkload, live: Bool, totalLines: Int?, duration: Double?, rate: Double, progress: Bool) {
        self.workload = workload
        self.live = live
        self.totalLines = totalLines
        self.duration = duration
        self.rate = rate
        self.progress = progress
    }

    func start(threads: Int) {
        running = threads
        startTime = monotonicSeconds()
        startWallClock = Double(wallClockNanoseconds()) / 1e9
        lastProgress = startTime
    }

    /// Generates every buffer of the run now (the run must be bounded by a line count).
    func pregenerate(maxLines: Int, maxBytes: Int) {
        var chunks: [(bytes: [UInt8], lines: Int)] = []
        while true {
            var buffer: [UInt8] = []
            buffer.reserveCapacity(Swift.min(maxBytes, Producer.chunkBytes) + 4_096)
            let count = fill(&buffer, maxLines: maxLines, maxBytes: maxBytes)
            if count == 0 { break }
            chunks.append((buffer, count))
        }
        pregenerated = chunks
        sentLines = 0
        sentBytes = 0
    }

    /// Generates the pool of `lines` lines that a `--live --pool` run sends over and over.
    func generatePool(lines: Int, maxLines: Int, maxBytes: Int) {
        let stamp = wallClockNanoseconds()
        var remaining = lines
        while remaining > 0 {
            var buffer: [UInt8] = []
            buffer.reserveCapacity(Swift.min(maxBytes, Producer.chunkBytes) + 4_096)
            var offsets: [Int32] = []
            while offsets.count < Swift.min(maxLines, remaining), buffer.count < maxBytes {
                workload.appendLine(to: &buffer, timestamp: stamp)
                // Each line ends with " <19-digit timestamp>\n".
                offsets.append(Int32(buffer.count - 20))
            }
            remaining -= offsets.count
            pool.append((buffer, offsets))
        }
    }

    /// Copies up to `maxLines` lines of the next pool buffer into `buffer`, stamped `stamp`.
    private func appendFromPool(_ buffer: inout [UInt8], maxLines: Int, stamp: Int64) -> Int {
        let chunk = pool[nextPoolChunk]
        nextPoolChunk = (nextPoolChunk + 1) % pool.count
        let count = Swift.min(maxLines, chunk.timestampOffsets.count)
        let byteCount = Int(chunk.timestampOffsets[count - 1]) + 20
        let start = buffer.count
        buffer.append(contentsOf: chunk.bytes[0..<byteCount])
        var digits = [UInt8](repeating: 0, count: 19)
        var value = stamp
        for i in stride(from: 18, through: 0, by: -1) {
            digits[i] = UInt8(ascii: "0") + UInt8(value % 10)
            value /= 10
        }
        buffer.withUnsafeMutableBufferPointer { output in
            digits.withUnsafeBufferPointer { digits in
                for offset in chunk.timestampOffsets[0..<count] {
                    let destination = output.baseAddress! + start + Int(offset)
                    destination.update(from: digits.baseAddress!, count: 19)
                }
            }
        }
        return count
    }

    /// The next pregenerated buffer and its line count; nil when none is left or nothing was pregenerated.
    func nextPregenerated() -> ([UInt8], Int)? {
        lock.lock()
        defer { lock.unlock() }
        guard let chunks = pregenerated, nextChunk < chunks.count else { return nil }
        let chunk = chunks[nextChunk]
        nextChunk += 1
        sentLines += chunk.lines
        sentBytes += chunk.bytes.count
        return (chunk.bytes, chunk.lines)
    }

    /// Appends up to `maxLines` lines (and about `maxBytes`) to `buffer`; 0 when the run is over.
    func fill(_ buffer: inout [UInt8], maxLines: Int, maxBytes: Int) -> Int {
        lock.lock()
        defer { lock.unlock() }
        var now = monotonicSeconds()
        if let duration, now - startTime >= duration { return 0 }
        var budget = maxLines
        if let totalLines { budget = min(budget, totalLines - sentLines) }
        if budget <= 0 { return 0 }
        if rate > 0 {
            // Wait until the lines already handed out are due.
            let due = startTime + Double(sentLines) / rate
            if due > now {
                let wait = due - now
                if let duration, now + wait - startTime >= duration { return 0 }
                usleep(UInt32(min(wait, 1) * 1_000_000))
                now = monotonicSeconds()
            }
        }
        var count = 0
        let limit = maxBytes
        if !pool.isEmpty {
            count = appendFromPool(&buffer, maxLines: budget, stamp: wallClockNanoseconds())
        } else if live {
            let stamp = wallClockNanoseconds()
            while count < budget, buffer.count < limit {
                workload.appendLine(to: &buffer, timestamp: stamp)
                count += 1
            }
        } else {
            while count < budget, buffer.count < limit {
                workload.appendLine(to: &buffer)
                count += 1
            }
        }
        sentLines += count
        sentBytes += buffer.count
        if progress, now - lastProgress >= 5 {
            lastProgress = now
            FileHandle.standardError.write(Data((reportLocked(now: now) + "\n").utf8))
        }
        return count
    }

    func threadDone() {
        lock.lock()
        running -= 1
        lock.broadcast()
        lock.unlock()
    }

    func waitForThreads() {
        lock.lock()
        while running > 0 { lock.wait() }
        lock.unlock()
    }

    func report() -> String {
        lock.lock()
        defer { lock.unlock() }
        return reportLocked(now: monotonicSeconds())
    }

    private func reportLocked(now: Double) -> String {
        let seconds = max(now - startTime, 1e-9)
        let linesPerSecond = Double(sentLines) / seconds
        let megabytesPerSecond = Double(sentBytes) / seconds / 1e6
        return "lines=\(sentLines) bytes=\(sentBytes) seconds=\(format(seconds, 3)) lines/s=\(Int(linesPerSecond.rounded())) MB/s=\(format(megabytesPerSecond, 1)) started=\(format(startWallClock, 3))"
    }
}

func format(_ value: Double, _ decimals: Int) -> String { String(format: "%.\(decimals)f", value) }

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func wallClockNanoseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
}

final class FailureBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: (any Error)?
    var error: (any Error)? { lock.lock(); defer { lock.unlock() }; return stored }
    func set(_ error: any Error) { lock.lock(); if stored == nil { stored = error }; lock.unlock() }
}

struct LoadGenError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

// MARK: - Outputs

protocol Sink: AnyObject, Sendable {
    func write(_ bytes: [UInt8], lines: Int) throws
    func finish() throws
}

/// Writes all of `bytes` to `fd` (file or socket).
func writeAll(_ fd: Int32, _ bytes: [UInt8], socket: Bool) throws {
    try bytes.withUnsafeBytes { raw in
        var offset = 0
        while offset < raw.count {
            let n = socket
                ? send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                : Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw LoadGenError("write failed: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }
}

final class FileSink: Sink, @unchecked Sendable {
    let fd: Int32
    let ownsDescriptor: Bool

    init(path: String) throws {
        if path == "-" {
            fd = STDOUT_FILENO
            ownsDescriptor = false
        } else {
            fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard fd >= 0 else { throw LoadGenError("cannot open \(path): \(String(cString: strerror(errno)))") }
            ownsDescriptor = true
        }
    }

    func write(_ bytes: [UInt8], lines: Int) throws { try writeAll(fd, bytes, socket: false) }

    func finish() throws {
        if ownsDescriptor { close(fd) }
    }
}

func parseHostPort(_ text: String) throws -> (String, Int) {
    guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
          (1...65_535).contains(port) else { throw LoadGenError("expected HOST:PORT, got '\(text)'") }
    var host = String(text[..<colon])
    if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    return (host.isEmpty ? "127.0.0.1" : host, port)
}

/// A connected TCP socket to `host:port` (getaddrinfo: names, IPv4, IPv6).
func connectTCP(host: String, port: Int) throws -> Int32 {
    var hints = addrinfo()
    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    var list: UnsafeMutablePointer<addrinfo>?
    let status = getaddrinfo(host, String(port), &hints, &list)
    guard status == 0, let first = list else {
        throw LoadGenError("cannot resolve \(host): \(String(cString: gai_strerror(status)))")
    }
    defer { freeaddrinfo(list) }
    var lastErrno: Int32 = 0
    var entry: UnsafeMutablePointer<addrinfo>? = first
    while let info = entry {
        let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
        if fd >= 0 {
            if connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 {
                var one: Int32 = 1
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                var size: Int32 = 4 << 20
                setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
                return fd
            }
            lastErrno = errno
            close(fd)
        }
        entry = info.pointee.ai_next
    }
    throw LoadGenError("cannot connect to \(host):\(port): \(String(cString: strerror(lastErrno)))")
}

final class TCPSink: Sink, @unchecked Sendable {
    let fd: Int32

    init(host: String, port: Int) throws { fd = try connectTCP(host: host, port: port) }

    func write(_ bytes: [UInt8], lines: Int) throws { try writeAll(fd, bytes, socket: true) }

    /// Half-closes and waits (up to 60 s) until the receiver closes: it has read everything.
    func finish() throws {
        shutdown(fd, Int32(SHUT_WR))
        var timeout = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var scratch = [UInt8](repeating: 0, count: 4_096)
        while recv(fd, &scratch, scratch.count, 0) > 0 {}
        close(fd)
    }
}

struct HTTPTarget {
    var host: String
    var port: Int
    var pathAndQuery: String

    init(_ text: String) throws {
        guard text.hasPrefix("http://") else { throw LoadGenError("--http needs an http:// URL, got '\(text)'") }
        let rest = text.dropFirst("http://".count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = String(rest[..<slash])
        pathAndQuery = slash == rest.endIndex ? "/write" : String(rest[slash...])
        if authority.contains(":") {
            (host, port) = try parseHostPort(authority)
        } else {
            host = authority
            port = 80
        }
    }
}

/// HTTP/1.1 POSTs over one keep-alive connection (reconnects when the server closes it).
final class HTTPSink: Sink, @unchecked Sendable {
    let target: HTTPTarget
    var fd: Int32
    var response = [UInt8](repeating: 0, count: 65_536)

    init(target: HTTPTarget) throws {
        self.target = target
        fd = try connectTCP(host: target.host, port: target.port)
    }

    func write(_ bytes: [UInt8], lines: Int) throws {
        let head = "POST \(target.pathAndQuery) HTTP/1.1\r\nHost: \(target.host):\(target.port)\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: \(bytes.count)\r\n\r\n"
        try writeAll(fd, Array(head.utf8), socket: true)
        try writeAll(fd, bytes, socket: true)
        let (status, body, close) = try readResponse()
        guard status == 204 else {
            throw LoadGenError("POST \(target.pathAndQuery) answered \(status): \(String(decoding: body.prefix(500), as: UTF8.self))")
        }
        if close {
            Glibc.close(fd)
            fd = try connectTCP(host: target.host, port: target.port)
        }
    }

    /// Reads one response: status, body (Content-Length) and whether the server closes the connection.
    private func readResponse() throws -> (Int, [UInt8], Bool) {
        var received: [UInt8] = []
        var headerEnd: Int?
        while headerEnd == nil {
            let n = recv(fd, &response, response.count, 0)
            guard n > 0 else { throw LoadGenError("connection closed while reading the response") }
            received.append(contentsOf: response[0..<n])
            if received.count >= 4 {
                for i in max(0, received.count - n - 3)...(received.count - 4)
                where received[i] == 13 && received[i + 1] == 10 && received[i + 2] == 13 && received[i + 3] == 10 {
                    headerEnd = i + 4
                    break
                }
            }
        }
        let header = String(decoding: received[0..<headerEnd!], as: UTF8.self)
        let headerLines = header.split(separator: "\r\n")
        let statusWords = headerLines.first?.split(separator: " ") ?? []
        guard statusWords.count >= 2, let status = Int(statusWords[1]) else {
            throw LoadGenError("bad HTTP response: \(headerLines.first ?? "")")
        }
        var length = 0
        var close = false
        for line in headerLines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard parts.count == 2 else { continue }
            if parts[0] == "content-length" { length = Int(parts[1]) ?? 0 }
            if parts[0] == "connection", parts[1] == "close" { close = true }
        }
        while received.count - headerEnd! < length {
            let n = recv(fd, &response, response.count, 0)
            guard n > 0 else { throw LoadGenError("connection closed while reading the response body") }
            received.append(contentsOf: response[0..<n])
        }
        return (status, Array(received[headerEnd!...]), close)
    }

    func finish() throws { close(fd) }
}

StrataLoadGen.main()
