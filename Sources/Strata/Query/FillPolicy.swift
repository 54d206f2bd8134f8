/// What a result series holds for a step without any value.
public enum FillPolicy: String, Sendable, Equatable, Codable {
    /// The step is present with a `nil` value.
    case null
    /// The step is present with the value 0.
    case zero
    /// The step is left out.
    case none
}

/// Sort order of result series by their value aggregated over the whole range (for top-N).
public enum QueryOrder: String, Sendable, Equatable, Codable {
    /// Smallest first.
    case ascending = "asc"
    /// Largest first.
    case descending = "desc"
}
