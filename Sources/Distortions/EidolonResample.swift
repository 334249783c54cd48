#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Pillow's 8-bit LANCZOS `resize` and `convert('L')`, as the eidolon set-up uses them (specs/eidolon.md §2.1 and
/// step 5): two-pass (horizontal first, each pass only if that size changes), 22-bit fixed-point weights, an 8-bit
/// intermediate, each channel on its own.
enum EidolonResample {
    private static let precisionBits = 22

    /// Interleaved 8-bit samples `height × width × channels` resized to `outWidth × outHeight`.
    static func lanczos(_ samples: [UInt8], width: Int, height: Int, channels: Int,
                        outWidth: Int, outHeight: Int) -> [UInt8] {
        var current = samples
        var currentWidth = width
        if outWidth != width {
            current = pass(current, lines: height, inLength: width, outLength: outWidth, channels: channels,
                           horizontal: true)
            currentWidth = outWidth
        }
        if outHeight != height {
            current = pass(current, lines: currentWidth, inLength: height, outLength: outHeight, channels: channels,
                           horizontal: false)
        }
        return current
    }

    /// Pillow `convert('L')` of interleaved RGB(A): (19595 R + 38470 G + 7471 B + 32768) >> 16.
    static func grey(_ samples: [UInt8], pixels: Int, channels: Int) -> [UInt8] {
        precondition(channels >= 3)
        var out = [UInt8](repeating: 0, count: pixels)
        for p in 0..<pixels {
            let r = Int(samples[p * channels]), g = Int(samples[p * channels + 1]), b = Int(samples[p * channels + 2])
            out[p] = UInt8((19595 * r + 38470 * g + 7471 * b + 32768) >> 16)
        }
        return out
    }

    private static func lanczosKernel(_ x: Double) -> Double {
        @inline(__always) func sinc(_ value: Double) -> Double {
            if value == 0.0 { return 1.0 }
            let t = value * Double.pi
            return sin(t) / t
        }
        return (-3.0 <= x && x < 3.0) ? sinc(x) * sinc(x / 3.0) : 0.0
    }

    /// Per output index: first input index and the fixed-point weights (Pillow `precompute_coeffs` +
    /// `normalize_coeffs_8bpc`).
    static func coefficients(inLength: Int, outLength: Int) -> [(start: Int, weights: [Int32])] {
        let scale = Double(inLength) / Double(outLength)
        let filterScale = max(scale, 1.0)
        let support = 3.0 * filterScale
        let inverse = 1.0 / filterScale
        var result: [(start: Int, weights: [Int32])] = []
        result.reserveCapacity(outLength)
        for x in 0..<outLength {
            let center = (Double(x) + 0.5) * scale
            let xmin = max(Int(center - support + 0.5), 0)
            let xmax = min(Int(center + support + 0.5), inLength) - xmin
            var w = [Double](repeating: 0, count: max(xmax, 0))
            var total = 0.0
            for t in 0..<max(xmax, 0) {
                let value = lanczosKernel((Double(t + xmin) - center + 0.5) * inverse)
                w[t] = value
                total += value
            }
            let one = Double(1 << precisionBits)
            let fixed: [Int32] = w.map { value in
                let v = total != 0.0 ? value / total : value
                return v < 0 ? Int32(-0.5 + v * one) : Int32(0.5 + v * one)
            }
            result.append((xmin, fixed))
        }
        return result
    }

    private static func pass(_ input: [UInt8], lines: Int, inLength: Int, outLength: Int, channels: Int,
                             horizontal: Bool) -> [UInt8] {
        let coeffs = coefficients(inLength: inLength, outLength: outLength)
        var out = [UInt8](repeating: 0, count: lines * outLength * channels)
        let half = Int32(1 << (precisionBits - 1))
        input.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for line in 0..<lines {
                    for (x, c) in coeffs.enumerated() {
                        for ch in 0..<channels {
                            var acc = half
                            for (t, weight) in c.weights.enumerated() {
                                let i = c.start + t
                                let index = horizontal ? (line * inLength + i) * channels + ch
                                                       : (i * lines + line) * channels + ch
                                acc &+= Int32(src[index]) &* weight
                            }
                            let value = acc >> Int32(precisionBits)
                            let outIndex = horizontal ? (line * outLength + x) * channels + ch
                                                      : (x * lines + line) * channels + ch
                            dst[outIndex] = UInt8(clamping: value)
                        }
                    }
                }
            }
        }
        return out
    }
}
