import Foundation
import Imaging

/// The OpenAI / open_clip evaluation transform (specs/clip.md §3.1), byte-exact with torchvision + Pillow:
/// resize the shortest side to R with Pillow's BICUBIC (NEAREST for palette and bilevel sources; RGBA/LA
/// premultiplied — both inside `Image8.resized`), long side `Int(R·long/short)`; centre crop R×R at
/// `round((size − R)/2)` with Python's round-half-to-even; convert to RGB (grey replicated, alpha dropped);
/// x = (byte/255 − mean)/std per channel in float32 with the OpenAI constants.
public enum CLIPPreprocessing {
    public static let mean: [Float] = [0.48145466, 0.4578275, 0.40821073]
    public static let std: [Float] = [0.26862954, 0.26130258, 0.27577711]

    /// The resize target of step 1 for a `width × height` source at resolution `r`.
    public static func resizedSize(width w: Int, height h: Int, resolution r: Int) -> (width: Int, height: Int) {
        if w == h { return (r, r) }
        if w < h { return (r, Int(Double(r) * Double(h) / Double(w))) }
        return (Int(Double(r) * Double(w) / Double(h)), r)
    }

    /// The crop offset of step 2 (Python `round`, half to even).
    public static func cropOffset(size: Int, resolution r: Int) -> Int {
        Int((Double(size - r) / 2).rounded(.toNearestOrEven))
    }

    /// Steps 1–3: the 8-bit RGB `r × r` crop. `nearest` is true for palette ("P") and bilevel ("1") sources
    /// (see `ImageSourceInfo`).
    public static func crop(_ image: Image8, resolution r: Int, nearest: Bool = false) -> Image8 {
        let (nw, nh) = resizedSize(width: image.width, height: image.height, resolution: r)
        let resized = (nw == image.width && nh == image.height) ? image
            : image.resized(width: nw, height: nh, filter: nearest ? .nearest : .bicubic)
        return resized.cropped(x: cropOffset(size: nw, resolution: r), y: cropOffset(size: nh, resolution: r),
                               width: r, height: r).convertedToRGB()
    }

    /// The crop `oodbench evaluate` uses: model-vs-human loads every stimulus with torchvision's `pil_loader`
    /// (`Image.open(path).convert("RGB")`) before any model transform, so palette sources are expanded and RGBA/LA
    /// sources lose their alpha BEFORE the bicubic resize — unlike `crop` on a raw file (open_clip's transform on an
    /// unconverted image: NEAREST for palette, premultiplied resize for RGBA), which `oodbench embed` uses.
    public static func evaluationCrop(_ image: Image8, resolution r: Int) -> Image8 {
        crop(image.convertedToRGB(), resolution: r)
    }

    /// Whether Pillow would resize this source with NEAREST whatever the filter (palette "P" or bilevel "1").
    public static func needsNearest(_ source: ImageSourceInfo) -> Bool {
        source.isPalette || (source.format == .png && source.bitDepth == 1 && !source.isPalette)
    }

    /// Steps 4–5 on an RGB crop: planar `[3, r, r]` floats.
    public static func normalise(_ rgb: Image8) -> [Float] {
        precondition(rgb.channels == 3)
        let plane = rgb.width * rgb.height
        var out = [Float](repeating: 0, count: 3 * plane)
        for c in 0..<3 {
            let m = mean[c], s = std[c]
            for i in 0..<plane { out[c * plane + i] = (Float(rgb.samples[i * 3 + c]) / 255 - m) / s }
        }
        return out
    }
}
