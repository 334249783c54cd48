import Foundation

extension Image8 {
    /// The default pixel limit of the decoders: Pillow's decompression-bomb error threshold
    /// (2 × `Image.MAX_IMAGE_PIXELS` = 178,956,970 pixels).
    public static let defaultMaxPixels = 178_956_970

    /// Decodes a PNG or JPEG file (format from its first bytes, not its name) to 8-bit samples, as Pillow's
    /// `Image.open(path)` (then `convert("RGB")` for palette and CMYK files) where it matters:
    /// - PNG grey 1/2/4/8 bit → 1 channel (low depths scaled to 0…255), grey+alpha → 2, RGB → 3, RGBA → 4;
    ///   palette → RGB by table look-up with `tRNS` ignored (as `convert("RGB")`; indices past the palette are
    ///   black); `tRNS` of grey/RGB ignored; Adam7 interlacing handled; no gamma or ICC correction (as Pillow).
    /// - 16-bit PNG samples keep the **high byte** (`v >> 8`): Pillow's rule for RGB, RGBA and grey+alpha
    ///   (raw modes `RGB;16B`, `RGBA;16B`, `LA;16B`). Pillow opens 16-bit grey as mode `I;16`, whose
    ///   `convert("L")` clamps (`min(v, 255)`, white for almost every pixel); that rule is not copied.
    ///   `Image(contentsOf:)` keeps all 16 bits (v / 65535).
    /// - JPEG: libjpeg defaults (ISLOW IDCT, fancy upsampling), as Pillow: grey → 1 channel, YCbCr → RGB,
    ///   CMYK/YCCK → RGB with Pillow's polarity (Adobe, inverted) and `cmyk2rgb`. A premature end of data is an
    ///   error (libjpeg itself would pad with grey; Pillow raises "image file is truncated").
    /// - Parameter maxPixels: width × height above this is refused from the header, before allocating.
    /// - Throws: `ImagingError` naming the file: `.unreadable`, `.notAnImage`, `.truncated`, `.corrupt`,
    ///   `.zeroSized`, `.tooLarge`, `.unsupported`.
    public init(contentsOf url: URL, maxPixels: Int = Image8.defaultMaxPixels) throws {
        let data = try ImageCodec.readFile(url)
        try self.init(data: data, name: url.path, maxPixels: maxPixels)
    }

    /// Decodes PNG or JPEG bytes; `name` is what errors call the data (a path or a URL, say).
    public init(data: Data, name: String = "<data>", maxPixels: Int = Image8.defaultMaxPixels) throws {
        let raster = try ImageCodec.decode(data, name: name, want16: false, maxPixels: maxPixels)
        defer { raster.free() }
        let samples = [UInt8](UnsafeBufferPointer(start: raster.pointer.assumingMemoryBound(to: UInt8.self),
                                                  count: raster.count))
        self.init(channels: raster.channels, height: raster.height, width: raster.width, samples: samples)
    }

    /// Decodes like `init(contentsOf:maxPixels:)` and also says what the file held: Pillow resizes palette
    /// images with NEAREST whatever filter is asked for (CLIP preprocessing, specs/clip.md §3.1), so a caller
    /// reproducing Pillow needs to know.
    public static func decode(contentsOf url: URL, maxPixels: Int = Image8.defaultMaxPixels) throws -> (image: Image8, source: ImageSourceInfo) {
        let data = try ImageCodec.readFile(url)
        let raster = try ImageCodec.decode(data, name: url.path, want16: false, maxPixels: maxPixels)
        defer { raster.free() }
        let samples = [UInt8](UnsafeBufferPointer(start: raster.pointer.assumingMemoryBound(to: UInt8.self),
                                                  count: raster.count))
        return (Image8(channels: raster.channels, height: raster.height, width: raster.width, samples: samples), raster.source)
    }

    /// PNG bytes of this image: 8-bit grey, grey+alpha, RGB or RGBA after `channels` (1…4).
    public func pngData(compression: PNGCompression = .fast) throws -> Data {
        try ImageCodec.encodePNG(self, compression: compression, name: "<png>")
    }

    /// Writes this image as an 8-bit PNG, atomically (temporary file + rename: never a partial file).
    /// - Throws: `ImagingError.unwritable` naming the file.
    public func writePNG(to url: URL, compression: PNGCompression = .fast) throws {
        let data = try ImageCodec.encodePNG(self, compression: compression, name: url.path)
        try ImageCodec.write(data, to: url)
    }

    /// Baseline JPEG bytes (grey or RGB only; RGB with 4:2:0 chroma subsampling, Pillow's defaults).
    /// - Parameter quality: 1…100, default 75 as Pillow.
    public func jpegData(quality: Int = 75) throws -> Data {
        try ImageCodec.encodeJPEG(self, quality: quality, name: "<jpeg>")
    }

    /// Writes this image as a JPEG, atomically. Grey or RGB only (`.unsupported` otherwise).
    public func writeJPEG(to url: URL, quality: Int = 75) throws {
        let data = try ImageCodec.encodeJPEG(self, quality: quality, name: url.path)
        try ImageCodec.write(data, to: url)
    }
}
