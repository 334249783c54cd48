/// numpy's legacy `RandomState` (MT19937), reproduced bit for bit (specs/distortions.md §1.5).
///
/// Seeding with an integer, `random_sample`, `uniform` and the polar Box–Muller `standard_normal` with its cached
/// second value behave exactly as numpy's, so a seed gives the reference's numbers.
public struct MT19937: Sendable {
    private var state: [UInt32]
    private var position: Int
    private var cachedGaussian: Double?

    /// `np.random.RandomState(seed)` / `np.random.seed(seed)`.
    public init(seed: UInt32) {
        state = [UInt32](repeating: 0, count: 624)
        state[0] = seed
        for i in 1..<624 {
            let previous = state[i - 1]
            state[i] = 1_812_433_253 &* (previous ^ (previous >> 30)) &+ UInt32(i)
        }
        position = 624
        cachedGaussian = nil
    }

    private mutating func twist() {
        state.withUnsafeMutableBufferPointer { mt in
            for i in 0..<624 {
                let y = (mt[i] & 0x8000_0000) | (mt[(i + 1) % 624] & 0x7fff_ffff)
                var next = mt[(i + 397) % 624] ^ (y >> 1)
                if y & 1 != 0 { next ^= 0x9908_b0df }
                mt[i] = next
            }
        }
        position = 0
    }

    /// The next tempered 32-bit output.
    public mutating func nextUInt32() -> UInt32 {
        if position == 624 { twist() }
        var y = state[position]
        position += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9d2c_5680
        y ^= (y << 15) & 0xefc6_0000
        y ^= y >> 18
        return y
    }

    /// `random_sample()`: a double in [0, 1) from two 32-bit words (53 random bits).
    public mutating func randomSample() -> Double {
        let a = Double(nextUInt32() >> 5)
        let b = Double(nextUInt32() >> 6)
        return (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
    }

    /// `uniform(low, high, size=count)`, filled in order.
    public mutating func fillUniform(_ out: UnsafeMutableBufferPointer<Double>, low: Double, high: Double) {
        let range = high - low
        for i in out.indices { out[i] = low + range * randomSample() }
    }

    /// `standard_normal()`: legacy polar Box–Muller with one cached value.
    public mutating func standardNormal() -> Double {
        if let cached = cachedGaussian {
            cachedGaussian = nil
            return cached
        }
        var x1 = 0.0, x2 = 0.0, r2 = 0.0
        repeat {
            x1 = 2.0 * randomSample() - 1.0
            x2 = 2.0 * randomSample() - 1.0
            r2 = x1 * x1 + x2 * x2
        } while r2 >= 1.0 || r2 == 0.0
        let f = (-2.0 * log(r2) / r2).squareRoot()
        cachedGaussian = f * x1
        return f * x2
    }

    /// `normal(loc, scale)`.
    public mutating func normal(mean: Double, standardDeviation: Double) -> Double {
        mean + standardDeviation * standardNormal()
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
