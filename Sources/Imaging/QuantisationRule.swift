/// How a float64 value in [0, 1] becomes an 8-bit sample (specs/distortions.md §1.4).
public enum QuantisationRule: String, Sendable, CaseIterable {
    /// The 2018 writer (`scipy.misc.toimage(x, cmin=0, cmax=1)` → `bytescale`): t = v · 255.0, clipped to
    /// [0, 255], then truncate(t + 0.5) — round half up. This wrote the study's stimuli; the default.
    case roundHalfUp
    /// The 2023 writer: `uint8(v · 255.0)` — truncation toward zero (values are clipped to [0, 255] first,
    /// where numpy's cast would be undefined).
    case truncate

    /// The 8-bit sample for `value` under this rule. NaN gives 0.
    @inlinable
    public func quantise(_ value: Double) -> UInt8 {
        var t = value * 255.0
        if !(t > 0) { t = 0 }          // also NaN
        if t > 255 { t = 255 }
        switch self {
        case .roundHalfUp: return UInt8(t + 0.5)   // t + 0.5 ≤ 255.5, truncation toward zero
        case .truncate: return UInt8(t)
        }
    }
}
