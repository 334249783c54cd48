/// SplitMix64 (Steele, Lea, Flood 2014): a tiny deterministic generator for test data and replayable schedules.
public struct SplitMix64: Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A float in [-1, 1) with 24 random bits.
    public mutating func nextFloat() -> Float { Float(next() >> 40) / Float(1 << 23) - 1 }

    /// Uniform in [0, upper).
    public mutating func uniform(_ upper: Double) -> Double { Double(next() >> 11) / Double(1 << 53) * upper }
}
