import Imaging

/// Brings a source photograph to a 224 × 224 RGB stimulus source the way model-vs-human's loader treats non-224
/// images: torchvision `Resize(256)` (shorter side to 256, the longer one truncated, Pillow BILINEAR with its
/// antialiasing support) then `CenterCrop(224)` (offsets rounded half to even, as Python's `round`).
/// A 224 × 224 image is used as it is. Grey, grey + alpha and RGBA inputs become RGB first (Pillow `convert('RGB')`).
enum SourcePreparation {
    static let side = 224
    static let resizeTo = 256

    static func prepare(_ image: Image8) -> Image8 {
        var rgb = image.convertedToRGB()
        if rgb.width == side && rgb.height == side { return rgb }
        let (w, h) = (rgb.width, rgb.height)
        let (newW, newH): (Int, Int) = w <= h
            ? (resizeTo, Int(Double(resizeTo) * Double(h) / Double(w)))
            : (Int(Double(resizeTo) * Double(w) / Double(h)), resizeTo)
        rgb = resizeBilinear(rgb, width: newW, height: newH)
        if rgb.width < side || rgb.height < side { return rgb }  // cannot happen: the shorter side is 256
        let top = Int((Double(rgb.height - side) / 2).rounded(.toNearestOrEven))
        let left = Int((Double(rgb.width - side) / 2).rounded(.toNearestOrEven))
        var out = [UInt8](repeating: 0, count: side * side * 3)
        for y in 0..<side {
            let src = ((top + y) * rgb.width + left) * 3
            for x in 0..<(side * 3) { out[y * side * 3 + x] = rgb.samples[src + x] }
        }
        return Image8(channels: 3, height: side, width: side, samples: out)
    }

    /// Pillow's `Image.resize(size, BILINEAR)` (Imaging's bit-exact port of Pillow's resampler).
    static func resizeBilinear(_ image: Image8, width: Int, height: Int) -> Image8 {
        image.resized(width: width, height: height, filter: .bilinear)
    }
}
