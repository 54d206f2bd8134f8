/// What data exists in a time range, for filter drop-downs: measurements, their fields, tag keys and
/// tag values with the number of series carrying each (derived tags such as `status_class` included;
/// projection series left out).
public struct Catalogue: Sendable, Equatable, Codable {
    /// One measurement.
    public struct Measurement: Sendable, Equatable, Codable {
        /// The measurement name.
        public var name: String
        /// Numeric fields, sorted.
        public var fields: [String]
        /// Distinct series with data in the range.
        public var series: Int
        /// Tag keys, sorted, each with its values.
        public var tags: [TagKey]
    }

    /// One tag key and its values.
    public struct TagKey: Sendable, Equatable, Codable {
        /// The tag key.
        public var key: String
        /// Values, sorted, with the number of series carrying each.
        public var values: [TagValue]
    }

    /// One tag value.
    public struct TagValue: Sendable, Equatable, Codable {
        /// The value.
        public var value: String
        /// Distinct series carrying it.
        public var series: Int
    }

    /// Measurements, sorted by name.
    public var measurements: [Measurement]
}
