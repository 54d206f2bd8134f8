/// How the values of a field are reduced per group and step.
///
/// Encoded (JSON) as a string: `count`, `sum`, `avg`, `min`, `max`, `rate`, `p50`, `p90`, `p95`, `p99`,
/// `p99.9` or `quantile(q)` with `0 ≤ q ≤ 1`.
public enum Aggregation: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    /// Number of values.
    case count
    /// Sum of values.
    case sum
    /// Mean of values.
    case avg
    /// Smallest value.
    case min
    /// Largest value.
    case max
    /// Number of values per second of the step (requests per second for a request measurement).
    case rate
    /// The `q` quantile (0…1), merged from t-digests.
    case quantile(Double)

    /// Parses the string form (see the type's documentation); unknown names throw
    /// ``QueryError/unknownAggregation(_:)``.
    public init(parsing text: String) throws(QueryError) {
        switch text {
        case "count": self = .count
        case "sum": self = .sum
        case "avg", "mean": self = .avg
        case "min": self = .min
        case "max": self = .max
        case "rate": self = .rate
        case "p50": self = .quantile(0.5)
        case "p90": self = .quantile(0.9)
        case "p95": self = .quantile(0.95)
        case "p99": self = .quantile(0.99)
        case "p99.9", "p999": self = .quantile(0.999)
        default:
            if text.hasPrefix("quantile("), text.hasSuffix(")"),
               let q = Double(text.dropFirst("quantile(".count).dropLast()), q >= 0, q <= 1 {
                self = .quantile(q)
            } else {
                throw .unknownAggregation(text)
            }
        }
    }

    /// Whether answering needs t-digests (only quantiles do).
    public var needsDigests: Bool {
        if case .quantile = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .count: "count"
        case .sum: "sum"
        case .avg: "avg"
        case .min: "min"
        case .max: "max"
        case .rate: "rate"
        case let .quantile(q):
            switch q {
            case 0.5: "p50"
            case 0.9: "p90"
            case 0.95: "p95"
            case 0.99: "p99"
            case 0.999: "p99.9"
            default: "quantile(\(q))"
            }
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self = try Aggregation(parsing: text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
