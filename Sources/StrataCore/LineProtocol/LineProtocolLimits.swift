/// Size limits the line-protocol parser enforces on every line.
///
/// The limits bound the memory and CPU one line can cost and keep absurd series keys out of the
/// index. A line that breaks a limit is rejected whole (one ``LineProtocolError``) and parsing goes on
/// with the next line. All lengths are in bytes; key and value lengths are measured after unescaping.
public struct LineProtocolLimits: Sendable, Equatable {
    /// The longest accepted line, in bytes, not counting its `\n` or `\r\n` terminator.
    ///
    /// Default 65 536 (64 KiB): far above any real point (Telegraf's widest metrics stay under a few
    /// KiB) yet small enough that a runaway line cannot balloon a batch. A line longer than this is
    /// rejected without being parsed.
    public var maxLineLength: Int
    /// The most tags one point may carry.
    ///
    /// Default 256: InfluxDB sets no per-point tag limit and real schemas use a handful, but generated
    /// schemas can be wide (the conformance corpus has a valid 255-tag line); 256 admits those while
    /// bounding the per-point series-key and duplicate-key work.
    public var maxTags: Int
    /// The most fields one point may carry.
    ///
    /// Default 512: wide Telegraf inputs (MySQL, SNMP tables) emit a few hundred fields per point.
    public var maxFields: Int
    /// The longest measurement name, tag key or field key, in bytes.
    ///
    /// Default 256: names are identifiers repeated in every series key and query; 256 bytes is
    /// generous for any naming scheme.
    public var maxKeyLength: Int
    /// The longest tag value, in bytes.
    ///
    /// Default 4 096: tag values become part of series keys held in memory by the index; 4 KiB admits
    /// long URLs and paths without letting a client store documents in tags.
    public var maxTagValueLength: Int
    /// The longest string field value, in bytes.
    ///
    /// Default 65 536, which is never the binding limit with the default ``maxLineLength``; lower it to
    /// cap string payloads separately.
    public var maxStringFieldLength: Int

    /// Creates limits; every parameter defaults to the value documented on its property.
    public init(
        maxLineLength: Int = 65_536,
        maxTags: Int = 256,
        maxFields: Int = 512,
        maxKeyLength: Int = 256,
        maxTagValueLength: Int = 4_096,
        maxStringFieldLength: Int = 65_536
    ) {
        self.maxLineLength = maxLineLength
        self.maxTags = maxTags
        self.maxFields = maxFields
        self.maxKeyLength = maxKeyLength
        self.maxTagValueLength = maxTagValueLength
        self.maxStringFieldLength = maxStringFieldLength
    }

    /// The documented defaults: 64 KiB lines, 256 tags, 512 fields, 256-byte keys, 4 KiB tag values and
    /// 64 KiB string fields.
    public static let `default` = LineProtocolLimits()
}
