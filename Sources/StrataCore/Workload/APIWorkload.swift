/// Deterministic API-request traffic as line protocol: the realistic workload of Strata's tests and
/// benchmarks (and of `strata-loadgen`).
///
/// Each request is one `http_request` line with tags `endpoint`, `method`, `key`, `status` and fields
/// `duration_ms` (lognormal around 40 ms with a 1 % heavy tail), `req_bytes`, `resp_bytes`:
///
/// `http_request,endpoint=/api/v1/r17,method=GET,key=key-42,status=200 duration_ms=41.7,req_bytes=512i,resp_bytes=2048i 1763800000000000000`
///
/// Endpoints and keys follow Zipf popularity; statuses are mostly 2xx with some 4xx (including 429) and
/// 5xx. The same options and seed always give the same lines.
public struct APIWorkload: Sendable {
    /// Shape of the generated traffic.
    public struct Options: Sendable, Equatable {
        public var endpoints = 200
        public var keys = 100
        public var seed: UInt64 = 42
        /// Timestamp of the first request, ns.
        public var startNanoseconds: Int64 = 1_763_800_000_000_000_000
        /// Nanoseconds between consecutive requests (on average, with `diurnalAmplitude` > 0).
        public var spacingNanoseconds: Int64 = 1_000_000
        /// Day/night volume curve: request volume at UTC time of day `t` is proportional to
        /// `1 − a·cos(2π·t / 24 h)` (lowest at 00:00 UTC, highest at 12:00 UTC), with `a` in 0 ... 1.
        /// 0 (the default) spaces requests evenly. The curve has mean 1 over a day, so whole days still
        /// hold `day / spacingNanoseconds` requests.
        public var diurnalAmplitude: Double = 0
        public init() {}
    }

    /// One generated request.
    public struct Request: Sendable, Equatable {
        public var endpoint: Int
        public var method: String
        public var key: Int
        public var status: Int
        public var durationTenthsMs: Int
        public var requestBytes: Int
        public var responseBytes: Int
        public var timestamp: Int64

        /// The duration in milliseconds, as written in the line (one decimal).
        public var durationMs: Double { Double(durationTenthsMs) / 10 }
    }

    public static let methods = ["GET", "POST", "PUT", "DELETE"]
    /// Status codes and their weights (per mille).
    public static let statuses: [(code: Int, weight: Int)] = [
        (200, 780), (201, 50), (204, 30), (400, 30), (401, 20), (404, 35), (429, 25), (500, 20), (503, 10),
    ]

    public let options: Options
    private var random: SeededRandom
    private let endpointPopularity: ZipfSampler
    private let keyPopularity: ZipfSampler
    private var sequence: Int64 = 0
    private let endpointNames: [[UInt8]]
    private let keyNames: [[UInt8]]
    /// `http_request,endpoint=<name>,method=` per endpoint, `<key>,status=` per key, `<method>,key=`
    /// per method and `<code> duration_ms=` per status: the line is a few copies and four numbers.
    /// All pieces in one array (`pieceSpans` holds start and length of each: endpoints, then keys,
    /// then methods, then statuses), so formatting a line touches two arrays.
    private let pieces: [UInt8]
    private let pieceSpans: [Int]
    private var diurnal: DiurnalClock?

    public init(_ options: Options = Options()) {
        self.options = options
        random = SeededRandom(seed: options.seed)
        endpointPopularity = ZipfSampler(count: options.endpoints, exponent: 1.1)
        keyPopularity = ZipfSampler(count: options.keys, exponent: 1.1)
        endpointNames = (0..<options.endpoints).map { Array("/api/v1/r\($0)".utf8) }
        keyNames = (0..<options.keys).map { Array("key-\($0)".utf8) }
        var allPieces: [UInt8] = [], spans: [Int] = []
        func add(_ piece: [UInt8]) { spans += [allPieces.count, piece.count]; allPieces += piece }
        for name in endpointNames { add(Array("http_request,endpoint=".utf8) + name + Array(",method=".utf8)) }
        for name in keyNames { add(name + Array(",status=".utf8)) }
        for method in Self.methods { add(Array("\(method),key=".utf8)) }
        for status in Self.statuses { add(Array("\(status.code) duration_ms=".utf8)) }
        pieces = allPieces
        pieceSpans = spans
        diurnal = options.diurnalAmplitude > 0
            ? DiurnalClock(amplitude: options.diurnalAmplitude, start: options.startNanoseconds) : nil
    }

    /// The integral of the diurnal volume curve (mean 1 over a day) from `start` to `end`, in ns: with
    /// `spacingNanoseconds = diurnalWeight(...) / n`, n requests fill exactly `start ..< end`.
    public static func diurnalWeight(from start: Int64, to end: Int64, amplitude: Double) -> Double {
        let clock = DiurnalClock(amplitude: amplitude, start: start)
        return clock.weight(upTo: end)
    }

    /// The next request.
    public mutating func nextRequest() -> Request {
        nextRequest(timestamp: nextTimestamp())
    }

    /// The next request, stamped `timestamp` instead of the scheduled time (the sequence still advances).
    public mutating func nextRequest(timestamp: Int64) -> Request {
        let raw = nextRaw()
        return Request(endpoint: raw.endpoint, method: Self.methods[raw.method], key: raw.key,
                       status: Self.statuses[raw.status].code, durationTenthsMs: raw.tenths,
                       requestBytes: raw.requestBytes, responseBytes: raw.responseBytes, timestamp: timestamp)
    }

    /// One request's random draws (indices into `methods` and `statuses`), in the fixed draw order.
    private struct Raw {
        var endpoint: Int, method: Int, key: Int, status: Int, tenths: Int, requestBytes: Int, responseBytes: Int
    }

    @inline(__always)
    private mutating func nextRaw() -> Raw {
        let endpoint = endpointPopularity.sample(&random)
        let key = keyPopularity.sample(&random)
        let m = random.nextUnit()
        let method = m < 0.6 ? 0 : m < 0.85 ? 1 : m < 0.95 ? 2 : 3
        var pick = Int(random.next() % 1000)
        var status = 0
        for (index, entry) in Self.statuses.enumerated() {
            if pick < entry.weight { status = index; break }
            pick -= entry.weight
        }
        var duration = _exp(3.7 + 0.6 * random.nextNormal())  // median ≈ 40 ms
        if random.nextUnit() < 0.01 { duration *= 10 }          // heavy tail
        let tenths = max(1, Int((duration * 10).rounded()))
        let requestBytes = 64 + Int(random.next() % 1_024)
        let responseBytes = 128 + Int(_exp(7 + random.nextNormal()))
        return Raw(endpoint: endpoint, method: method, key: key, status: status, tenths: tenths,
                   requestBytes: requestBytes, responseBytes: responseBytes)
    }

    @inline(__always)
    private mutating func nextTimestamp() -> Int64 {
        let timestamp: Int64
        if diurnal != nil {
            timestamp = diurnal!.timestamp(offset: Double(sequence) * Double(options.spacingNanoseconds))
        } else {
            timestamp = options.startNanoseconds + sequence * options.spacingNanoseconds
        }
        sequence += 1
        return timestamp
    }

    /// Appends the next request as one line (with its newline) to `output`.
    public mutating func appendLine(to output: inout [UInt8]) {
        let timestamp = nextTimestamp()
        Self.appendRaw(nextRaw(), timestamp: timestamp, pieces: pieces, pieceSpans: pieceSpans,
                       endpoints: options.endpoints, keys: options.keys, to: &output)
    }

    /// Appends the next request stamped `timestamp` (e.g. the wall clock) as one line to `output`.
    public mutating func appendLine(to output: inout [UInt8], timestamp: Int64) {
        sequence += 1
        Self.appendRaw(nextRaw(), timestamp: timestamp, pieces: pieces, pieceSpans: pieceSpans,
                       endpoints: options.endpoints, keys: options.keys, to: &output)
    }

    /// Formats one line on the stack with raw pointer writes, then appends it with one copy (the
    /// generator's hot path: no `String`, no per-byte `Array.append`).
    @inline(__always)
    private static func appendRaw(
        _ r: Raw, timestamp: Int64, pieces: [UInt8], pieceSpans: [Int], endpoints: Int, keys: Int, to output: inout [UInt8]
    ) {
        pieces.withUnsafeBufferPointer { piecesBuffer in
        pieceSpans.withUnsafeBufferPointer { spans in
        let source = piecesBuffer.baseAddress!
        let e = 2 * r.endpoint, k = 2 * (endpoints + r.key)
        let m = 2 * (endpoints + keys + r.method), st = 2 * (endpoints + keys + Self.methods.count + r.status)
        let capacity = spans[e + 1] + spans[k + 1] + spans[m + 1] + spans[st + 1] + 128
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer in
            let base = buffer.baseAddress!
            var p = base
            @inline(__always) func copy(_ span: Int) {
                let count = spans[span + 1]
                p.update(from: source + spans[span], count: count)
                p += count
            }
            @inline(__always) func literal(_ text: StaticString) {
                p.update(from: text.utf8Start, count: text.utf8CodeUnitCount)
                p += text.utf8CodeUnitCount
            }
            @inline(__always) func decimal(_ value: Int) {
                var v = UInt64(value)
                var digits = 1
                var bound: UInt64 = 10
                while v >= bound, digits < 19 { digits += 1; bound &*= 10 }
                if v >= bound { digits += 1 }  // 20 digits
                var q = p + digits
                p = q
                repeat {
                    q -= 1
                    q.pointee = UInt8(truncatingIfNeeded: v % 10) &+ 48
                    v /= 10
                } while v > 0
            }
            copy(e)
            copy(m)
            copy(k)
            copy(st)
            decimal(r.tenths / 10)
            p.pointee = UInt8(ascii: "."); p += 1
            decimal(r.tenths % 10)
            literal(",req_bytes=")
            decimal(r.requestBytes)
            literal("i,resp_bytes=")
            decimal(r.responseBytes)
            literal("i ")
            decimal(Int(timestamp))
            p.pointee = UInt8(ascii: "\n"); p += 1
            output.append(contentsOf: UnsafeBufferPointer(start: base, count: p - base))
        }
        }
        }
    }

    /// Appends `count` lines to `output`.
    public mutating func appendLines(_ count: Int, to output: inout [UInt8]) {
        for _ in 0..<count { appendLine(to: &output) }
    }

    /// The line of `request`.
    public func line(for request: Request) -> String {
        var bytes: [UInt8] = []
        Self.append(request, endpointName: endpointNames[request.endpoint], keyName: keyNames[request.key], to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func append(_ r: Request, endpointName: [UInt8], keyName: [UInt8], to out: inout [UInt8]) {
        out.append(contentsOf: "http_request,endpoint=".utf8)
        out.append(contentsOf: endpointName)
        out.append(contentsOf: ",method=".utf8)
        out.append(contentsOf: r.method.utf8)
        out.append(contentsOf: ",key=".utf8)
        out.append(contentsOf: keyName)
        out.append(contentsOf: ",status=".utf8)
        appendDecimal(r.status, to: &out)
        out.append(contentsOf: " duration_ms=".utf8)
        appendDecimal(r.durationTenthsMs / 10, to: &out)
        out.append(UInt8(ascii: "."))
        appendDecimal(r.durationTenthsMs % 10, to: &out)
        out.append(contentsOf: ",req_bytes=".utf8)
        appendDecimal(r.requestBytes, to: &out)
        out.append(contentsOf: "i,resp_bytes=".utf8)
        appendDecimal(r.responseBytes, to: &out)
        out.append(contentsOf: "i ".utf8)
        appendDecimal(Int(r.timestamp), to: &out)
        out.append(UInt8(ascii: "\n"))
    }

    private static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        if value == 0 { out.append(UInt8(ascii: "0")); return }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var v = value
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            while v > 0 {
                buffer[count] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
                count += 1
            }
            for i in stride(from: count - 1, through: 0, by: -1) { out.append(buffer[i]) }
        }
    }
}

/// Maps "flat" time (requests evenly spaced) to wall time whose volume follows `1 − a·cos(2π·t/day)`
/// over the UTC day: a table of the curve's integral at every minute, inverted by interpolation.
struct DiurnalClock: Sendable {
    static let day: Int64 = 86_400_000_000_000
    static let bin: Int64 = 60_000_000_000
    /// Integral of the curve from 00:00 UTC to each minute boundary (1,441 entries; the last is `day`).
    let table: [Double]
    let startDay: Int64
    let startWeight: Double
    /// The minute found last: consecutive requests are usually in the same one.
    var hint = 0

    init(amplitude: Double, start: Int64) {
        let a = min(max(amplitude, 0), 1)
        let day = Double(Self.day)
        table = (0...1440).map { minute in
            let t = Double(Int64(minute) * Self.bin)
            return t - a * day / (2 * Double.pi) * _sin(2 * Double.pi * t / day)
        }
        let (d, r) = Self.split(start)
        startDay = d
        startWeight = Self.interpolate(table, Double(r))
    }

    static func split(_ t: Int64) -> (Int64, Int64) {
        var d = t / day, r = t % day
        if r < 0 { d -= 1; r += day }
        return (d, r)
    }

    /// The curve's integral from 00:00 UTC to `tod` ns.
    static func interpolate(_ table: [Double], _ tod: Double) -> Double {
        let i = min(Int(tod / Double(bin)), 1439)
        let fraction = (tod - Double(i) * Double(bin)) / Double(bin)
        return table[i] + (table[i + 1] - table[i]) * fraction
    }

    func weight(upTo end: Int64) -> Double {
        let (d, r) = Self.split(end)
        return Double(d - startDay) * Double(Self.day) + Self.interpolate(table, Double(r)) - startWeight
    }

    /// The wall time at which the curve's integral since the start reaches `offset` ns.
    mutating func timestamp(offset: Double) -> Int64 {
        let total = startWeight + offset
        let days = (total / Double(Self.day)).rounded(.down)
        var r = total - days * Double(Self.day)
        r = min(max(r, 0), Double(Self.day))
        var low = 0, high = 1440
        if table[hint] <= r, r < table[hint + 1] {
            low = hint
        } else {
            while high - low > 1 {
                let mid = (low + high) / 2
                if table[mid] <= r { low = mid } else { high = mid }
            }
            hint = low
        }
        let width = table[low + 1] - table[low]
        let fraction = width > 0 ? (r - table[low]) / width : 0
        let tod = Int64(Double(low) * Double(Self.bin) + fraction * Double(Self.bin))
        return (startDay + Int64(days)) * Self.day + tod
    }
}
