/// Allocation-free parsers for the numeric tokens of line protocol.
enum DecimalParsing {
    /// The outcome of parsing a numeric token.
    enum Outcome<Value> {
        /// The token is well-formed and in range.
        case value(Value)
        /// The token is not well-formed.
        case invalid
        /// The token is well-formed but does not fit the type.
        case outOfRange
    }

    /// Parses `[0-9]+` in `start..<end` as a `UInt64`.
    @inline(__always)
    static func unsigned(_ bytes: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Outcome<UInt64> {
        guard start < end else { return .invalid }
        if end - start <= 19 {
            // Nineteen digits cannot overflow a UInt64.
            var value: UInt64 = 0
            var index = start
            while index < end {
                let digit = bytes[index] &- UInt8(ascii: "0")
                guard digit < 10 else { return .invalid }
                value = value &* 10 &+ UInt64(digit)
                index &+= 1
            }
            return .value(value)
        }
        var value: UInt64 = 0
        var overflow = false
        var index = start
        while index < end {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return .invalid }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(digit))
            overflow = overflow || o1 || o2
            value = sum
            index += 1
        }
        return overflow ? .outOfRange : .value(value)
    }

    /// Parses `-?[0-9]+` in `start..<end` as an `Int64`.
    @inline(__always)
    static func signed(_ bytes: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Outcome<Int64> {
        guard start < end else { return .invalid }
        let negative = bytes[start] == UInt8(ascii: "-")
        switch unsigned(bytes, negative ? start + 1 : start, end) {
        case .invalid: return .invalid
        case .outOfRange: return .outOfRange
        case .value(let magnitude):
            if negative {
                if magnitude > UInt64(Int64.max) + 1 { return .outOfRange }
                return .value(Int64(bitPattern: 0 &- magnitude))
            }
            if magnitude > UInt64(Int64.max) { return .outOfRange }
            return .value(Int64(magnitude))
        }
    }

    /// The exact power of ten 10^`exponent` for `exponent` in 0...22 (each representable in a `Double`).
    @inline(__always)
    static func exactPowerOfTen(_ exponent: Int) -> Double {
        switch exponent {
        case 0: 1e0
        case 1: 1e1
        case 2: 1e2
        case 3: 1e3
        case 4: 1e4
        case 5: 1e5
        case 6: 1e6
        case 7: 1e7
        case 8: 1e8
        case 9: 1e9
        case 10: 1e10
        case 11: 1e11
        case 12: 1e12
        case 13: 1e13
        case 14: 1e14
        case 15: 1e15
        case 16: 1e16
        case 17: 1e17
        case 18: 1e18
        case 19: 1e19
        case 20: 1e20
        case 21: 1e21
        default: 1e22
        }
    }

    /// Parses a line-protocol float, `-?[0-9]*(\.[0-9]*)?([eE][+-]?[0-9]+)?` with at least one mantissa
    /// digit, in `start..<end`.
    ///
    /// The result is bit-identical to Swift's `Double(String)` (correct rounding): short mantissas with
    /// small exponents are computed exactly with one IEEE operation (Clinger's fast path); everything else
    /// falls back to the standard library. Results that overflow to infinity are out of range.
    static func float(_ bytes: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Outcome<Double> {
        var index = start
        let negative = index < end && bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        var mantissa: UInt64 = 0
        var significantDigits = 0
        var decimalExponent = 0
        var sawDigit = false
        var truncated = false
        while index < end {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { break }
            sawDigit = true
            if significantDigits < 19 {
                mantissa = mantissa &* 10 &+ UInt64(digit)
                if mantissa != 0 { significantDigits += 1 }
            } else {
                decimalExponent += 1
                truncated = truncated || digit != 0
            }
            index += 1
        }
        if index < end && bytes[index] == UInt8(ascii: ".") {
            index += 1
            while index < end {
                let digit = bytes[index] &- UInt8(ascii: "0")
                guard digit < 10 else { break }
                sawDigit = true
                if significantDigits < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(digit)
                    if mantissa != 0 { significantDigits += 1 }
                    decimalExponent -= 1
                } else {
                    truncated = truncated || digit != 0
                }
                index += 1
            }
        }
        guard sawDigit else { return .invalid }
        if index < end && (bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E")) {
            index += 1
            var exponentNegative = false
            if index < end && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) {
                exponentNegative = bytes[index] == UInt8(ascii: "-")
                index += 1
            }
            var exponent = 0
            var sawExponentDigit = false
            while index < end {
                let digit = bytes[index] &- UInt8(ascii: "0")
                guard digit < 10 else { break }
                sawExponentDigit = true
                if exponent < 100_000 { exponent = exponent * 10 + Int(digit) }
                index += 1
            }
            guard sawExponentDigit else { return .invalid }
            decimalExponent += exponentNegative ? -exponent : exponent
        }
        guard index == end else { return .invalid }

        if mantissa == 0 && !truncated {
            return .value(negative ? -0.0 : 0.0)
        }
        if !truncated && mantissa <= 1 << 53 && decimalExponent >= -22 && decimalExponent <= 22 {
            var value = Double(mantissa)
            if decimalExponent >= 0 {
                value *= exactPowerOfTen(decimalExponent)
            } else {
                value /= exactPowerOfTen(-decimalExponent)
            }
            return .value(negative ? -value : value)
        }
        let text = String(decoding: UnsafeBufferPointer(start: bytes + start, count: end - start), as: UTF8.self)
        guard let value = Double(text), value.isFinite else { return .outOfRange }
        return .value(value)
    }
}
