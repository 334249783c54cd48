import Foundation

/// The 1-D kernel of `scipy.ndimage.gaussian_filter(…, truncate=4.0)` (specs/distortions.md §3.0.1), stored as its
/// half w(0), w(1), …, w(r) (the kernel is exactly symmetric).
struct GaussianKernel: Sendable {
    let sigma: Double
    let radius: Int
    let half: [Double]

    /// The kernel scipy builds for `sigma` (> 1e-15): the stored taps for the study's σ values, otherwise
    /// e(x) = exp((−0.5 / (σ·σ)) · x²), normalised by numpy's pairwise sum.
    init(sigma: Double) {
        self.sigma = sigma
        let radius = Int(4.0 * sigma + 0.5)
        self.radius = radius
        if let stored = Self.reference[sigma], stored.count == radius + 1 {
            half = stored
        } else {
            half = Self.computed(sigma: sigma, radius: radius)
        }
    }

    static func computed(sigma: Double, radius: Int) -> [Double] {
        let c = -0.5 / (sigma * sigma)
        var e = [Double](repeating: 0, count: 2 * radius + 1)
        for i in 0..<e.count {
            let x = i - radius
            e[i] = exp(c * Double(x * x))
        }
        let total = e.withUnsafeBufferPointer { pairwiseSum($0.baseAddress!, $0.count) }
        return (0...radius).map { e[radius + $0] / total }
    }
}
