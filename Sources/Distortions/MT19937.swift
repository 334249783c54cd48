import CKernels

/// numpy's legacy `RandomState` (MT19937), reproduced bit for bit (specs/distortions.md §1.5).
///
/// Seeding with an integer, `random_sample`, `uniform` and the polar Box–Muller `standard_normal` with its cached
/// second value behave exactly as numpy's, so a seed gives the reference's numbers. A value type: copy it to fork
/// the stream; one generator per thread.
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

    /// The refill, in place, in increasing index order (split so that no index needs a modulo).
    @inline(__always)
    private static func twist(_ mt: UnsafeMutablePointer<UInt32>) {
        @inline(__always) func mix(_ i: Int, _ j: Int, _ k: Int) {
            let y = (mt[i] & 0x8000_0000) | (mt[j] & 0x7fff_ffff)
            mt[i] = mt[k] ^ (y >> 1) ^ ((0 &- (y & 1)) & 0x9908_b0df)
        }
        for i in 0..<227 { mix(i, i + 1, i + 397) }
        for i in 227..<623 { mix(i, i + 1, i - 227) }
        mix(623, 0, 396)
    }

    @inline(__always)
    private static func temper(_ word: UInt32) -> UInt32 {
        var y = word
        y ^= y >> 11
        y ^= (y << 7) & 0x9d2c_5680
        y ^= (y << 15) & 0xefc6_0000
        y ^= y >> 18
        return y
    }

    /// The next tempered 32-bit output.
    public mutating func nextUInt32() -> UInt32 {
        if position == 624 {
            state.withUnsafeMutableBufferPointer { Self.twist($0.baseAddress!) }
            position = 0
        }
        let y = state[position]
        position += 1
        return Self.temper(y)
    }

    /// `random_sample()`: a double in [0, 1) from two 32-bit words (53 random bits).
    public mutating func randomSample() -> Double {
        let a = Double(nextUInt32() >> 5)
        let b = Double(nextUInt32() >> 6)
        return (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
    }

    /// `random_sample(size=out.count)`: fills `out` in order, exactly as repeated `randomSample()` calls.
    ///
    /// The C kernel works a refill block at a time (the refill and the tempering eight words per AVX2 vector,
    /// the doubles four at a time), with a single straddling double when a pair crosses a refill.
    public mutating func fillRandomSamples(_ out: UnsafeMutableBufferPointer<Double>) {
        guard let base = out.baseAddress, out.count > 0 else { return }
        drawRaw { ck_mt19937_fill_random($0, $1, base, out.count) }
    }

    /// Lets a C kernel draw from the generator: `body` gets the 624 state words and the read position (624: refill
    /// first) and returns the new position. The cached Gaussian is untouched (the kernels draw doubles only).
    internal mutating func drawRaw(_ body: (UnsafeMutablePointer<UInt32>, Int32) -> Int32) {
        let pos = Int32(position)
        position = Int(state.withUnsafeMutableBufferPointer { body($0.baseAddress!, pos) })
    }

    /// `uniform(low, high, size=count)`, filled in order: low + (high − low) · random_sample().
    public mutating func fillUniform(_ out: UnsafeMutableBufferPointer<Double>, low: Double, high: Double) {
        let range = high - low
        fillRandomSamples(out)
        for i in out.indices { out[i] = low + range * out[i] }
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

    /// Fills `out` with what repeated `standardNormal()` calls return, in order, bit for bit (the glibc `log` of
    /// numpy's legacy generator included): the bulk path for hot loops, with no per-value overhead.
    internal mutating func fillStandardNormals(_ out: UnsafeMutableBufferPointer<Double>) {
        var start = 0
        if !out.isEmpty, let cached = cachedGaussian {
            out[0] = cached
            cachedGaussian = nil
            start = 1
        }
        var carry: Double?
        let count = out.count
        var pos = position
        state.withUnsafeMutableBufferPointer { mt in
            let base = mt.baseAddress!
            var i = start
            while i < count {
                var x1 = 0.0, x2 = 0.0, r2 = 0.0
                repeat {
                    x1 = 2.0 * MT19937.sample(base, &pos) - 1.0
                    x2 = 2.0 * MT19937.sample(base, &pos) - 1.0
                    r2 = x1 * x1 + x2 * x2
                } while r2 >= 1.0 || r2 == 0.0
                let f = (-2.0 * log(r2) / r2).squareRoot()
                out[i] = f * x2
                if i + 1 < count { out[i + 1] = f * x1 } else { carry = f * x1 }
                i += 2
            }
        }
        position = pos
        if let carry { cachedGaussian = carry }
    }

    /// `fillStandardNormals` for the eidolon noise planes: the stream is consumed exactly as numpy consumes it
    /// (same accept/reject decisions, same final state), but the logarithm is CKernels' vectorised fdlibm-style log,
    /// so a value may differ from numpy's in the last bit (relative ≤ 4.5e-16; specs/eidolon.md §8 shows such
    /// differences move no output pixel). Identical on the portable and the AVX2 path.
    /// `portable: true` forces the portable C path (tests: both paths must agree bit for bit).
    /// Returns max |value| of the values drawn (computed while drawing).
    @discardableResult
    internal mutating func fillStandardNormalsFast(_ out: UnsafeMutableBufferPointer<Double>,
                                                   portable: Bool = false) -> Double {
        guard cachedGaussian == nil, out.count % 2 == 0, let base = out.baseAddress else {
            fillStandardNormals(out)
            return out.reduce(0.0) { Swift.max($0, abs($1)) }
        }
        var pos = Int32(position)
        let largest = state.withUnsafeMutableBufferPointer { mt in
            portable ? ck_mt_normals_portable(mt.baseAddress!, &pos, base, out.count)
                     : ck_mt_normals(mt.baseAddress!, &pos, base, out.count)
        }
        position = Int(pos)
        return largest
    }

    /// Advances the generator exactly as `fillStandardNormals` of `count` values would, without computing them
    /// (the polar method's accept test decides how many words each value consumes; the logarithms are skipped).
    internal mutating func skipStandardNormals(count: Int) {
        if cachedGaussian == nil, count % 2 == 0 {
            var pos = Int32(position)
            _ = state.withUnsafeMutableBufferPointer { ck_mt_normals($0.baseAddress!, &pos, nil, count) }  // no values: no max
            position = Int(pos)
            return
        }
        var remaining = count
        if remaining > 0, cachedGaussian != nil {
            cachedGaussian = nil
            remaining -= 1
        }
        var pos = position
        state.withUnsafeMutableBufferPointer { mt in
            let base = mt.baseAddress!
            while remaining >= 2 {
                var x1 = 0.0, x2 = 0.0, r2 = 0.0
                repeat {
                    x1 = 2.0 * MT19937.sample(base, &pos) - 1.0
                    x2 = 2.0 * MT19937.sample(base, &pos) - 1.0
                    r2 = x1 * x1 + x2 * x2
                } while r2 >= 1.0 || r2 == 0.0
                remaining -= 2
            }
        }
        position = pos
        if remaining == 1 { _ = standardNormal() }  // an odd count leaves the pair's second value cached
    }

    /// One `random_sample()` from the raw state (`pos` is the read position; twists when it reaches 624).
    @inline(__always)
    private static func sample(_ mt: UnsafeMutablePointer<UInt32>, _ pos: inout Int) -> Double {
        let a = Double(word(mt, &pos) >> 5)
        let b = Double(word(mt, &pos) >> 6)
        return (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
    }

    @inline(__always)
    private static func word(_ mt: UnsafeMutablePointer<UInt32>, _ pos: inout Int) -> UInt32 {
        if pos == 624 {
            twist(mt)
            pos = 0
        }
        let y = mt[pos]
        pos += 1
        return temper(y)
    }

    /// `normal(loc, scale)`.
    public mutating func normal(mean: Double, standardDeviation: Double) -> Double {
        mean + standardDeviation * standardNormal()
    }
}

import CKernels

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
