import StrataCore

extension Engine {
    /// Answers a ratio of two counts (see ``RatioQuery``), per group and step. Each side is planned on
    /// its own (each may read a different projection); both are exact counts.
    public func ratio(_ ratio: RatioQuery, limits: QueryLimits = QueryLimits()) throws -> QueryResult {
        var denominator = ratio.base
        denominator.aggregation = .count
        denominator.fill = .null
        denominator.order = nil
        denominator.limit = nil
        var numerator = denominator
        numerator.filters += ratio.numeratorFilters
        let below = try query(denominator, limits: limits)
        let above = try query(numerator, limits: limits)
        var numerators: [[String: String]: ResultSeries] = [:]
        for series in above.series { numerators[series.tags] = series }
        var result = below
        result.projection = nil
        result.series = below.series.map { series in
            let top = numerators[series.tags]
            var points: [ResultPoint] = []
            for (k, point) in series.points.enumerated() {
                let value = point.value.flatMap { $0 > 0 ? (top?.points[k].value ?? 0) / $0 : nil }
                switch (value, ratio.base.fill) {
                case (nil, .none): continue
                case (nil, .zero): points.append(ResultPoint(time: point.time, value: 0))
                default: points.append(ResultPoint(time: point.time, value: value))
                }
            }
            let total = series.total.flatMap { $0 > 0 ? (top?.total ?? 0) / $0 : nil }
            return ResultSeries(tags: series.tags, points: points, total: total)
        }
        if let order = ratio.base.order {
            result.series.sort { a, b in
                guard let x = a.total else { return false }
                guard let y = b.total else { return true }
                return order == .ascending ? x < y : x > y
            }
        }
        if let limit = ratio.base.limit, result.series.count > limit { result.series.removeLast(result.series.count - limit) }
        result.statistics.seriesTouched += above.statistics.seriesTouched
        result.statistics.rowsRead += above.statistics.rowsRead
        result.statistics.segmentsRead += above.statistics.segmentsRead
        result.statistics.rowGroupsRead += above.statistics.rowGroupsRead
        result.statistics.granularities = Array(Set(below.statistics.granularities + above.statistics.granularities)).sorted()
        result.statistics.elapsedMilliseconds += above.statistics.elapsedMilliseconds
        return result
    }

    /// The count of `base`'s field per value of `tag` (a stored or derived tag such as `status_class`),
    /// per group of `base.groupBy` and step: one result series per (group, value).
    public func distribution(of tag: String, _ base: Query, limits: QueryLimits = QueryLimits()) throws -> QueryResult {
        var query = base
        query.aggregation = .count
        if !query.groupBy.contains(tag) { query.groupBy.append(tag) }
        return try self.query(query, limits: limits)
    }

    /// Measurements, fields, tag keys and tag values (with series counts) of the data whose buckets
    /// start in `[start, end)` (Unix seconds), optionally of one measurement only.
    public func catalogue(start: Int64, end: Int64, measurement: String? = nil) throws -> Catalogue {
        guard end > start else { throw QueryError.endBeforeStart(start: start, end: end) }
        let snapshot = querySnapshot(measurement: measurement)
        var series: [String: Set<SeriesKey>] = [:]
        var fields: [String: Set<String>] = [:]
        for row in snapshot.headRows where row.start >= start && row.start < end && row.series.value(of: Projection.tagKey) == nil {
            series[row.series.measurement, default: []].insert(row.series)
            fields[row.series.measurement, default: []].formUnion(row.fields.filter { $0.aggregate.count > 0 }.map(\.name))
        }
        for segment in snapshot.segments.values.joined() where segment.maxStart >= start && segment.minStart < end {
            let index = try PostingIndex(segment)
            let excluded = try index.union(index.values(of: Projection.tagKey).map(\.index))
            let names = try segment.fieldNames()
            let measurements = index.values(of: "").filter { measurement == nil || $0.value == measurement }
            var measurementOf: [UInt32: String] = [:]
            for (name, entry) in measurements {
                for id in SortedIDs.subtracting(try index.ids(entry), excluded) {
                    let info = try segment.seriesEntry(Int(id))
                    guard info.rowCount > 0, info.maxStart >= start, info.minStart < end else { continue }
                    series[name, default: []].insert(try segment.seriesKey(Int(id)))
                    measurementOf[id] = name
                }
            }
            guard !measurementOf.isEmpty else { continue }
            if measurements.count == 1 && index.values(of: "").count == 1 {
                fields[measurements[0].value, default: []].formUnion(names)
            } else {
                for g in 0..<segment.rowGroupCount {
                    let group = try segment.decodeRowGroup(g, digests: false)
                    for i in 0..<group.rowCount {
                        if let name = measurementOf[group.series[i]], group.starts[i] >= start, group.starts[i] < end {
                            fields[name, default: []].insert(names[Int(group.fields[i])])
                        }
                    }
                }
            }
        }
        var result = Catalogue(measurements: [])
        for (name, keys) in series.sorted(by: { $0.key < $1.key }) {
            let derived = Projector.derivedTags(configuration.projections, measurement: name)
            var counts: [String: [String: Int]] = [:]
            for key in keys {
                for tag in key.tags { counts[tag.key, default: [:]][tag.value, default: 0] += 1 }
                for (tagName, tag) in derived where key.value(of: tagName) == nil {
                    if let value = tag.value(from: key.value(of: tag.source)) { counts[tagName, default: [:]][value, default: 0] += 1 }
                }
            }
            let tags = counts.sorted { $0.key < $1.key }.map { key, values in
                Catalogue.TagKey(key: key, values: values.sorted { $0.key < $1.key }.map { Catalogue.TagValue(value: $0.key, series: $0.value) })
            }
            result.measurements.append(Catalogue.Measurement(name: name, fields: (fields[name] ?? []).sorted(), series: keys.count, tags: tags))
        }
        return result
    }
}
