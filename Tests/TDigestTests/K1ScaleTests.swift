import Foundation
import Testing
@testable import StrataCore

/// `K1Scale.qLimit(after:)` (angle addition, one square root) agrees with its definition
/// q' = (sin(asin(2q − 1) + 1/normalizer) + 1) / 2, clamped to 1 past the top of the scale.
@Suite struct K1ScaleTests {
    static func definition(_ scale: K1Scale, _ q: Double) -> Double {
        let k1 = scale.k(q) + 1
        if k1 >= scale.normalizer * Double.pi / 2 { return 1 }
        return (sin(k1 / scale.normalizer) + 1) / 2
    }

    @Test(arguments: [10.0, 100, 250, 1_000])
    func qLimitMatchesTheDefinition(compression: Double) {
        let scale = K1Scale(compression: compression)
        var worst = 0.0
        for i in 0...10_000 {
            let q = Double(i) / 10_000
            worst = max(worst, abs(scale.qLimit(after: q) - Self.definition(scale, q)))
        }
        #expect(worst <= 1e-12, "largest difference \(worst)")
        #expect(scale.qLimit(after: 1) == 1)
    }
}
