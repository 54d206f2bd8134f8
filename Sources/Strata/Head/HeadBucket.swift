import StrataCore

/// The open state of one series for one UTC minute in the head: one ``FieldAggregate`` per numeric field.
struct HeadBucket: Sendable {
    /// Head-local series id (index into the head's series table).
    var series: UInt32
    /// Bucket start, Unix seconds (a multiple of 60).
    var minute: Int64
    /// Per-field state, in the order fields were first seen; `fieldIDs[i]` names `aggregates[i]`.
    var fieldIDs: [UInt32]
    var aggregates: [FieldAggregate]
    /// The oldest WAL file that contributed a point to this bucket; WAL files are deletable only below
    /// the smallest such value among buckets still in the head.
    var firstWALFile: UInt64

    init(series: UInt32, minute: Int64, firstWALFile: UInt64) {
        self.series = series
        self.minute = minute
        self.fieldIDs = []
        self.aggregates = []
        self.firstWALFile = firstWALFile
    }

    /// Adds `value` to field `field`.
    @inline(__always)
    mutating func add(field: UInt32, value: Double) {
        for i in fieldIDs.indices where fieldIDs[i] == field {
            aggregates[i].add(value)
            return
        }
        fieldIDs.append(field)
        var aggregate = FieldAggregate()
        aggregate.add(value)
        aggregates.append(aggregate)
    }
}

/// Key of the head's (series, minute) → bucket map.
struct BucketKey: Hashable, Sendable {
    var series: UInt32
    var minute: Int64
}
