import Foundation

/// Pillow's resampling filters (`PIL.Image.Resampling`), evaluated in double exactly as
/// `src/libImaging/Resample.c` does (specs/distortions.md §6.1).
public enum ResampleFilter: String, Sendable, CaseIterable {
    /// Nearest neighbour (Pillow's affine-scale path, not the convolution resampler).
    case nearest
    /// Box: 1 on (−0.5, 0.5], support 0.5.
    case box
    /// Triangle: 1 − |x| on |x| < 1, support 1. torchvision `Resize`'s default on PIL images.
    case bilinear
    /// Hamming-windowed sinc, support 1 (0.54f and 0.46f are float32 literals, as Pillow).
    case hamming
    /// Keys cubic with a = −0.5, support 2. CLIP's preprocessing filter.
    case bicubic
    /// Lanczos-3: sinc(x)·sinc(x/3) on [−3, 3), support 3. Eidolon's 224 ↔ 256 filter.
    case lanczos

    /// Support in input pixels at scale 1.
    var support: Double {
        switch self {
        case .nearest: return 0
        case .box: return 0.5
        case .bilinear, .hamming: return 1
        case .bicubic: return 2
        case .lanczos: return 3
        }
    }

    @inline(__always)
    func weight(_ x: Double) -> Double {
        switch self {
        case .nearest:
            return 0
        case .box:
            return (x > -0.5 && x <= 0.5) ? 1 : 0
        case .bilinear:
            let a = x < 0 ? -x : x
            return a < 1 ? 1 - a : 0
        case .hamming:
            var a = x < 0 ? -x : x
            if a == 0 { return 1 }
            if a >= 1 { return 0 }
            a *= Double.pi
            return sin(a) / a * (Double(Float(0.54)) + Double(Float(0.46)) * cos(a))
        case .bicubic:
            let p = -0.5
            let a = x < 0 ? -x : x
            if a < 1 { return ((p + 2) * a - (p + 3)) * a * a + 1 }
            if a < 2 { return (((a - 5) * a + 8) * a - 4) * p }
            return 0
        case .lanczos:
            if -3 <= x && x < 3 { return Self.sinc(x) * Self.sinc(x / 3) }
            return 0
        }
    }

    @inline(__always)
    static func sinc(_ x: Double) -> Double {
        if x == 0 { return 1 }
        let y = x * Double.pi
        return sin(y) / y
    }
}
