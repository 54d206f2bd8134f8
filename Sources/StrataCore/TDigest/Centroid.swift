/// One cluster of a ``TDigest``: `weight` values summarised by their arithmetic `mean`.
///
/// Contract: inside a digest every centroid has a finite `mean` and a `weight` of at least 1,
/// and centroids are kept sorted by strictly increasing `mean` once compressed.
public struct Centroid: Sendable, Equatable, Hashable {
    /// The arithmetic mean of the values in this cluster. Always finite inside a digest.
    public var mean: Double
    /// How many values (with multiplicity) this cluster holds. At least 1 inside a digest.
    public var weight: UInt64

    /// A centroid of `weight` values whose mean is `mean`.
    @inlinable
    public init(mean: Double, weight: UInt64) {
        self.mean = mean
        self.weight = weight
    }
}
