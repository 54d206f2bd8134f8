import StrataCore

/// One series' aggregates for one bucket, outside the head: what a flush hands to the segment writer,
/// what a segment reader yields and what compaction merges.
public struct BucketRow: Sendable, Equatable {
    /// The series.
    public var series: SeriesKey
    /// Bucket start, Unix seconds, aligned to the row's granularity.
    public var start: Int64
    /// Field name → aggregate, sorted by field name.
    public var fields: [NamedAggregate]

    public init(series: SeriesKey, start: Int64, fields: [NamedAggregate]) {
        self.series = series
        self.start = start
        self.fields = fields.sorted { $0.name < $1.name }
    }

    /// The aggregate of field `name`, if the row has it.
    public func aggregate(_ name: String) -> FieldAggregate? { fields.first(where: { $0.name == name })?.aggregate }

    /// Merges another row of the same series and bucket into this one (field by field).
    public mutating func merge(_ other: BucketRow) {
        precondition(series == other.series && start == other.start, "merging rows of different series or buckets")
        for field in other.fields {
            if let i = fields.firstIndex(where: { $0.name == field.name }) {
                fields[i].aggregate.merge(field.aggregate)
            } else {
                fields.append(field)
                fields.sort { $0.name < $1.name }
            }
        }
    }
}

/// A field name with its aggregate.
public struct NamedAggregate: Sendable, Equatable {
    public var name: String
    public var aggregate: FieldAggregate

    public init(name: String, aggregate: FieldAggregate) {
        self.name = name
        self.aggregate = aggregate
    }
}
