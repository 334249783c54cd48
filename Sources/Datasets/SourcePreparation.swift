import Imaging

/// Brings a source photograph to a 224 × 224 RGB stimulus source the way model-vs-human's loader treats non-224
/// images: torchvision `Resize(256)` (shorter side to 256, the longer one truncated, Pillow BILINEAR with its
/// antialiasing support) then `CenterCrop(224)` (offsets rounded half to even, as Python's `round`).
/// A 224 × 224 image is used as it is. Grey, grey + alpha and RGBA inputs become RGB first (Pillow `convert('RGB')`).
enum SourcePreparation {
    static let side = 224
    static let resizeTo = 256

    static func prepare(_ image: Image8) -> Image8 {
        let rgb = image.convertedToRGB()
        if rgb.width == side && rgb.height == side { return rgb }
        return rgb.resizedShorterSide(to: resizeTo).centreCropped(size: side)
    }

    /// Pillow's `Image.resize(size, BILINEAR)` (Imaging's bit-exact port of Pillow's resampler).
    static func resizeBilinear(_ image: Image8, width: Int, height: Int) -> Image8 {
        image.resized(width: width, height: height, filter: .bilinear)
    }
}
