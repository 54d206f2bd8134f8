import StrataCore

/// A smaller grouping of a measurement that Strata maintains alongside the base series, so dashboard
/// queries read a few series instead of every (endpoint, method, key, status) combination.
///
/// Stored as ordinary series of the same measurement with the reserved tag
/// `__projection=<name>` plus the kept and derived tags; no format change. A flush writes the
/// projection rows of the minutes it drains next to the base rows (and into late-data deltas), so
/// rollups, merges and retention carry them like any series; unflushed head rows are projected at
/// query time. Base series never carry `__projection` (writes using it are refused).
public struct Projection: Sendable, Equatable, Hashable, Codable {
    /// The reserved tag key marking projection series.
    public static let tagKey = "__projection"

    /// The projection's name (the value of `__projection`).
    public var name: String
    /// The measurement projected.
    public var measurement: String
    /// The stored tags kept (a series lacking one simply lacks it in the projection too).
    public var tags: [String]
    /// Tags computed from stored ones.
    public var derived: [DerivedTag]

    /// A projection.
    public init(name: String, measurement: String, tags: [String], derived: [DerivedTag] = []) {
        self.name = name
        self.measurement = measurement
        self.tags = tags
        self.derived = derived
    }

    /// Every tag key a projection series can carry (besides `__projection`).
    public var tagNames: Set<String> { Set(tags).union(derived.map(\.name)) }

    /// The projection series of base series `base`, or nil when `base` is of another measurement or is
    /// itself a projection series.
    public func key(for base: SeriesKey) -> SeriesKey? {
        guard base.measurement == measurement, base.value(of: Self.tagKey) == nil else { return nil }
        var kept: [Tag] = [Tag(key: Self.tagKey, value: name)]
        for tag in tags { if let value = base.value(of: tag) { kept.append(Tag(key: tag, value: value)) } }
        for tag in derived { if let value = tag.value(from: base.value(of: tag.source)) { kept.append(Tag(key: tag.name, value: value)) } }
        return SeriesKey(measurement: measurement, tags: kept)
    }

    /// The defaults for the `http_request` measurement of API traffic: `total` (no tags),
    /// `endpoint_method`, `key`, `endpoint_status_class` and `key_status_class`.
    public static let httpRequestDefaults: [Projection] = [
        Projection(name: "total", measurement: "http_request", tags: []),
        Projection(name: "endpoint_method", measurement: "http_request", tags: ["endpoint", "method"]),
        Projection(name: "key", measurement: "http_request", tags: ["key"]),
        Projection(name: "endpoint_status_class", measurement: "http_request", tags: ["endpoint"], derived: [.statusClass]),
        Projection(name: "key_status_class", measurement: "http_request", tags: ["key"], derived: [.statusClass]),
    ]
}
