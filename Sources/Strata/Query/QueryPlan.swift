import StrataCore

/// Which granularity answers which part of a query's range.
///
/// Rules (see README "Queries (library API)"):
/// - The range is cut into steps `[start + k·step, start + (k+1)·step)` (the last one clipped to `end`).
/// - Each step is covered by the **coarsest** stored granularity whose buckets lie wholly inside it and
///   whose data is complete there: `g` answers `[droppedBefore[g], rolledUpBefore[g.finer])` (1m answers
///   from `droppedBefore[1m]` on, with the head). What a coarse granularity cannot cover (unaligned
///   edges, not yet rolled up) is covered, recursively, by finer ones; where finer data was dropped the
///   coarser one answers. A part no granularity can answer exactly is counted in
///   ``QueryStatistics/unansweredSeconds``.
/// - Every bucket is read from exactly one granularity, and head rows (never in any segment) are added
///   to whichever step they fall in: no point is missed or counted twice.
struct QueryPlan: Sendable, Equatable {
    let start: Int64
    let end: Int64
    let cellWidth: Int64
    let cellCount: Int
    /// Per granularity, sorted disjoint bucket-start ranges to read.
    private(set) var pieces: [Granularity: [Range<Int64>]] = [:]
    private(set) var unansweredSeconds: Int64 = 0

    /// Where each granularity holds complete data.
    struct Availability: Sendable, Equatable {
        var rolledUpBefore: [Int64]
        var droppedBefore: [Int64]

        init(_ manifest: Manifest) {
            rolledUpBefore = manifest.rolledUpBefore
            droppedBefore = manifest.droppedBefore
        }

        func range(_ g: Granularity) -> (Int64, Int64) {
            let low = droppedBefore[Int(g.rawValue) - 1]
            guard let finer = g.finer else { return (low, Int64.max) }
            return (low, rolledUpBefore[Int(finer.rawValue) - 1])
        }
    }

    init(start: Int64, end: Int64, step: Int64?, availability: Availability) {
        self.start = start
        self.end = end
        cellWidth = step ?? (end - start)
        cellCount = Int((end - start + cellWidth - 1) / cellWidth)
        let all: [Granularity] = [.day, .hour, .fiveMinutes, .minute]
        for k in 0..<cellCount {
            let a = start + Int64(k) * cellWidth
            cover(a, Swift.min(a + cellWidth, end), all[...], availability)
        }
    }

    private mutating func cover(_ a: Int64, _ b: Int64, _ granularities: ArraySlice<Granularity>, _ availability: Availability) {
        guard a < b else { return }
        for (offset, g) in zip(granularities.indices, granularities) {
            let (low, high) = availability.range(g)
            guard high > a, low < b else { continue }
            let lo = ceil(Swift.max(a, low), g.seconds)
            let hi = g.bucketStart(ofSeconds: Swift.min(b, high))
            guard lo < hi else { continue }
            add(g, lo..<hi)
            let finer = granularities[(offset + 1)...]
            cover(a, lo, finer, availability)
            cover(hi, b, finer, availability)
            return
        }
        unansweredSeconds += b - a
    }

    private mutating func add(_ g: Granularity, _ range: Range<Int64>) {
        if let last = pieces[g]?.last, last.upperBound == range.lowerBound {
            pieces[g]![pieces[g]!.count - 1] = last.lowerBound..<range.upperBound
        } else {
            pieces[g, default: []].append(range)
        }
    }

    private func ceil(_ value: Int64, _ width: Int64) -> Int64 {
        let floor = floorTo(value, width)
        return floor == value ? value : floor + width
    }

    private func floorTo(_ value: Int64, _ width: Int64) -> Int64 {
        let q = value / width
        return (value % width < 0 ? q - 1 : q) * width
    }

    /// The sorted disjoint bucket-start ranges read at `g` (empty: none).
    func ranges(_ g: Granularity) -> [Range<Int64>] { pieces[g] ?? [] }

    /// Whether a `g` bucket starting at `bucket` is to be read.
    func includes(_ g: Granularity, _ bucket: Int64) -> Bool { Self.includes(ranges(g), bucket) }

    /// Whether `bucket` lies in one of `ranges` (sorted, disjoint).
    static func includes(_ ranges: [Range<Int64>], _ bucket: Int64) -> Bool {
        let low = firstEnding(after: bucket, ranges)
        return low < ranges.count && ranges[low].contains(bucket)
    }

    /// Whether every `g` bucket starting in `buckets` is to be read (one piece holds them all).
    func includesAll(_ g: Granularity, _ buckets: ClosedRange<Int64>) -> Bool { Self.includesAll(ranges(g), buckets) }

    /// Whether one of `ranges` (sorted, disjoint) holds all of `buckets`.
    static func includesAll(_ ranges: [Range<Int64>], _ buckets: ClosedRange<Int64>) -> Bool {
        let low = firstEnding(after: buckets.lowerBound, ranges)
        return low < ranges.count && ranges[low].contains(buckets.lowerBound) && ranges[low].contains(buckets.upperBound)
    }

    /// The index of the first of `ranges` whose upper bound exceeds `value` (binary search).
    private static func firstEnding(after value: Int64, _ ranges: [Range<Int64>]) -> Int {
        var low = 0, high = ranges.count
        while low < high {
            let mid = (low + high) / 2
            if ranges[mid].upperBound <= value { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// The span of everything read at `g`.
    func span(_ g: Granularity) -> Range<Int64>? {
        guard let ranges = pieces[g], let first = ranges.first, let last = ranges.last else { return nil }
        return first.lowerBound..<last.upperBound
    }

    /// The step holding `time` (which lies in the range).
    func cell(of time: Int64) -> Int { Int((time - start) / cellWidth) }

    /// Start and width of step `k`.
    func cellBounds(_ k: Int) -> (start: Int64, width: Int64) {
        let a = start + Int64(k) * cellWidth
        return (a, Swift.min(a + cellWidth, end) - a)
    }
}
