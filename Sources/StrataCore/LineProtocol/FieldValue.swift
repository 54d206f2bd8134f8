/// A typed line-protocol field value.
public enum FieldValue: Sendable, Equatable {
    /// A 64-bit float, written without a suffix (`1.5`, `-2`, `1e3`).
    case float(Double)
    /// A signed 64-bit integer, written with an `i` suffix (`42i`).
    case integer(Int64)
    /// An unsigned 64-bit integer, written with a `u` suffix (`42u`).
    case unsigned(UInt64)
    /// A boolean (`t`, `T`, `true`, `True`, `TRUE`, `f`, `F`, `false`, `False`, `FALSE`).
    case boolean(Bool)
    /// A string, written in double quotes with `\"` and `\\` escapes.
    case string(String)

    /// The kind of this value.
    public var kind: FieldKind {
        switch self {
        case .float: .float
        case .integer: .integer
        case .unsigned: .unsigned
        case .boolean: .boolean
        case .string: .string
        }
    }
}
