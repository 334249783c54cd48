/// Knuth's MMIX linear congruential generator: deterministic test data, independent of the code under test.
public struct LCG64: Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }

    /// The next state (the value tests map to their data: its high bits are the random ones).
    public mutating func next() -> UInt64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state
    }

    /// `count` values, each `map` of the next state.
    public static func sequence<T>(_ count: Int, seed: UInt64, _ map: (UInt64) -> T) -> [T] {
        var generator = LCG64(seed: seed)
        return (0..<count).map { _ in map(generator.next()) }
    }

    /// `count` doubles in [0, 1) with 53 random bits.
    public static func unitDoubles(_ count: Int, seed: UInt64) -> [Double] {
        sequence(count, seed: seed) { Double($0 >> 11) * 0x1p-53 }
    }
}
