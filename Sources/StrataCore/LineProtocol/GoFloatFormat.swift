/// Formats doubles the way Go's `strconv.FormatFloat(x, 'g', -1, 64)` does, as the reference
/// line-protocol encoder writes them.
enum GoFloatFormat {
    /// The shortest decimal text that parses back to `value`, laid out as Go does: exponent notation
    /// (`6.632243e+06`, `1e-05`) when the decimal exponent is below -4 or at least 6, plain digits
    /// otherwise (`1`, `12.123`, `0.0001`). Negative zero is `-0`.
    static func shortest(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Inf" : "+Inf" }
        let negative = value.sign == .minus
        // Swift's description yields the shortest digits that round-trip (like Go's shortest mode).
        let text = value.magnitude.description
        var mantissa = Substring(text)
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = text[..<e]
            exponent = Int(text[text.index(after: e)...])!
        }
        var digits: [UInt8] = []
        var decimalPoint = 0
        var seenPoint = false
        for byte in mantissa.utf8 {
            if byte == UInt8(ascii: ".") {
                seenPoint = true
                continue
            }
            digits.append(byte)
            if !seenPoint { decimalPoint += 1 }
        }
        decimalPoint += exponent
        while let first = digits.first, first == ASCII.zero {
            digits.removeFirst()
            decimalPoint -= 1
        }
        while let last = digits.last, last == ASCII.zero { digits.removeLast() }
        if digits.isEmpty { return negative ? "-0" : "0" }
        return format(digits: digits, decimalPoint: decimalPoint, negative: negative)
    }

    /// Lays out significant `digits` whose decimal point sits after `decimalPoint` of them. Go's shortest
    /// `'g'` rule is `exp < -4 || exp >= eprec` with `eprec` forced to 6 in shortest mode.
    private static func format(digits: [UInt8], decimalPoint: Int, negative: Bool) -> String {
        var out: [UInt8] = negative ? [ASCII.minus] : []
        let exponent = decimalPoint - 1
        if exponent < -4 || exponent >= 6 {
            out.append(digits[0])
            if digits.count > 1 {
                out.append(UInt8(ascii: "."))
                out.append(contentsOf: digits[1...])
            }
            out.append(UInt8(ascii: "e"))
            out.append(exponent < 0 ? ASCII.minus : UInt8(ascii: "+"))
            let magnitude = exponent.magnitude
            if magnitude < 10 { out.append(ASCII.zero) }
            out.append(contentsOf: String(magnitude).utf8)
        } else if decimalPoint <= 0 {
            out.append(ASCII.zero)
            out.append(UInt8(ascii: "."))
            out.append(contentsOf: repeatElement(ASCII.zero, count: -decimalPoint))
            out.append(contentsOf: digits)
        } else if decimalPoint >= digits.count {
            out.append(contentsOf: digits)
            out.append(contentsOf: repeatElement(ASCII.zero, count: decimalPoint - digits.count))
        } else {
            out.append(contentsOf: digits[..<decimalPoint])
            out.append(UInt8(ascii: "."))
            out.append(contentsOf: digits[decimalPoint...])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
