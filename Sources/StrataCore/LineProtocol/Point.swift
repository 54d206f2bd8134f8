/// An owned line-protocol point, for clients, tools and tests (the ingest path uses ``ParsedBatch``).
public struct Point: Sendable, Equatable {
    /// The measurement name (unescaped).
    public var measurement: String
    /// The tags, in the order given.
    public var tags: [Tag]
    /// The fields, in the order given; a valid point has at least one.
    public var fields: [Field]
    /// The timestamp in nanoseconds since the Unix epoch, or `nil` to let the receiver assign one.
    public var timestamp: Int64?

    /// Creates a point.
    public init(measurement: String, tags: [Tag] = [], fields: [Field], timestamp: Int64? = nil) {
        self.measurement = measurement
        self.tags = tags
        self.fields = fields
        self.timestamp = timestamp
    }
}
