extension Image8 {
    /// torchvision `Resize(size)` on a PIL image: the shorter side becomes `size`, the longer one
    /// `Int(size · longer / shorter)` (truncated, as torchvision's `_compute_resized_output_size`), resampled with
    /// Pillow's `Image.resize` (`filter`, default BILINEAR with its antialiasing support; bit-exact, see
    /// `resized(width:height:filter:box:)`). An image whose shorter side already is `size` is returned as it is.
    /// - Precondition: `size ≥ 1`.
    public func resizedShorterSide(to size: Int, filter: ResampleFilter = .bilinear) -> Image8 {
        precondition(size >= 1, "size must be positive")
        let (newWidth, newHeight): (Int, Int) = width <= height
            ? (size, Int(Double(size) * Double(height) / Double(width)))
            : (Int(Double(size) * Double(width) / Double(height)), size)
        return resized(width: newWidth, height: newHeight, filter: filter)
    }

    /// torchvision `CenterCrop(size)`: the `size × size` window at offsets `round((height − size) / 2)` and
    /// `round((width − size) / 2)`, rounded half to even as Python's `round`.
    /// - Precondition: `1 ≤ size ≤ min(width, height)` (torchvision would pad a smaller image; callers resize first).
    public func centreCropped(size: Int) -> Image8 {
        precondition(size >= 1 && size <= width && size <= height, "crop size must fit the image")
        let top = Int((Double(height - size) / 2).rounded(.toNearestOrEven))
        let left = Int((Double(width - size) / 2).rounded(.toNearestOrEven))
        return cropped(x: left, y: top, width: size, height: size)
    }
}
