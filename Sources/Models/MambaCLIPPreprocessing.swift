import Foundation
import Imaging

/// CLIP-Mamba's evaluation transform (mamba-clip `eval_zeroshot.py`/`main.py`, specs/clip-mamba.md §6.5.4):
/// RGB; resize the shorter side to 224 with Pillow's antialiased BILINEAR filter on the 8-bit image (the longer
/// side ⌊224·long/short⌋); centre crop 224×224 (offsets rounded half to even, as Python's `round`); /255; ImageNet
/// mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225).
public enum MambaCLIPPreprocessing {
    public static let size = 224
    public static let mean: [Float] = [0.485, 0.456, 0.406]
    public static let std: [Float] = [0.229, 0.224, 0.225]
    /// One line for `run.json`.
    public static let description = "RGB; resize shorter side 224 Pillow bilinear (antialiased), centre crop 224; "
        + "x = (v/255 - mean) / std with ImageNet mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225)"

    /// The 8-bit RGB 224×224 crop the network sees (before scaling); throws for an empty image.
    public static func crop8(_ image: Image8, index: Int = 0) throws -> Image8 {
        guard image.width > 0, image.height > 0 else {
            throw ModelsError.unsupportedImage(index: index, reason: "image has no pixels")
        }
        let rgb = image.channels == 3 ? image : image.convertedToRGB()
        let short = min(rgb.width, rgb.height), long = max(rgb.width, rgb.height)
        let longSide = size * long / short
        let (w, h) = rgb.width <= rgb.height ? (size, longSide) : (longSide, size)
        let resized = (w == rgb.width && h == rgb.height) ? rgb : rgb.resized(width: w, height: h, filter: .bilinear)
        let left = Int((Double(w - size) / 2).rounded(.toNearestOrEven))
        let top = Int((Double(h - size) / 2).rounded(.toNearestOrEven))
        return resized.cropped(x: left, y: top, width: size, height: size)
    }

    /// Normalised planar pixels `[3, 224, 224]` of one image.
    public static func pixels(_ image: Image8, index: Int = 0) throws -> [Float] {
        let f = Image(try crop8(image, index: index))
        var out = f.pixels
        let plane = size * size
        for c in 0..<3 { for i in 0..<plane { out[c * plane + i] = (out[c * plane + i] - mean[c]) / std[c] } }
        return out
    }
}
