import Foundation

extension Image {
    /// Decodes a PNG or JPEG file to planar Float32 in [0, 1]: 8-bit samples as k / 255, 16-bit PNG samples
    /// as v / 65535 (all 16 bits kept). Channels as `Image8(contentsOf:)`: grey 1, grey+alpha 2, RGB 3,
    /// RGBA 4, palette → RGB.
    /// - Throws: `ImagingError` naming the file (see `Image8(contentsOf:maxPixels:)`).
    public init(contentsOf url: URL, maxPixels: Int = Image8.defaultMaxPixels) throws {
        let data = try ImageCodec.readFile(url)
        try self.init(data: data, name: url.path, maxPixels: maxPixels)
    }

    /// Decodes PNG or JPEG bytes; `name` is what errors call the data.
    public init(data: Data, name: String = "<data>", maxPixels: Int = Image8.defaultMaxPixels) throws {
        let raster = try ImageCodec.decode(data, name: name, want16: true, maxPixels: maxPixels)
        defer { raster.free() }
        let c = raster.channels, plane = raster.width * raster.height
        var pixels = [Float](repeating: 0, count: raster.count)
        pixels.withUnsafeMutableBufferPointer { out in
            if raster.depth == 16 {
                let src = raster.pointer.assumingMemoryBound(to: UInt16.self)
                for i in 0..<plane {
                    for k in 0..<c { out[k * plane + i] = Float(src[i * c + k]) / 65535 }
                }
            } else {
                let src = raster.pointer.assumingMemoryBound(to: UInt8.self)
                for i in 0..<plane {
                    for k in 0..<c { out[k * plane + i] = Float(src[i * c + k]) / 255 }
                }
            }
        }
        self.init(channels: c, height: raster.height, width: raster.width, pixels: pixels)
    }
}
