import CImagingShims
import Foundation

/// PNG and JPEG decoding and encoding through libpng and libjpeg (via the `CImagingShims` C target, which
/// turns the libraries' longjmp errors into status codes). The decoding rules are documented at
/// `Image8.init(contentsOf:maxPixels:)`.
enum ImageCodec {
    enum Format: String { case png = "PNG", jpeg = "JPEG" }

    /// A decoded raster in a C allocation; `free()` releases it.
    struct Raster {
        var width: Int
        var height: Int
        var channels: Int
        var depth: Int
        var pointer: UnsafeMutableRawPointer
        var source: ImageSourceInfo
        func free() { oodb_free(pointer) }
        var count: Int { width * height * channels }
    }

    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    static func sniff(_ bytes: UnsafeRawBufferPointer, name: String) throws -> Format {
        let n = bytes.count
        if n >= 8 && zip(bytes.prefix(8), pngSignature).allSatisfy({ $0 == $1 }) { return .png }
        if n >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF { return .jpeg }
        // A non-empty prefix of a signature is a file cut short, not a foreign file.
        if n > 0 && n < 8 && zip(bytes, pngSignature).allSatisfy({ $0 == $1 }) {
            throw ImagingError.truncated(file: name, format: "PNG")
        }
        if n > 0 && n < 3 && bytes[0] == 0xFF && (n == 1 || bytes[1] == 0xD8) {
            throw ImagingError.truncated(file: name, format: "JPEG")
        }
        throw ImagingError.notAnImage(file: name)
    }

    static func decode(_ data: Data, name: String, want16: Bool, maxPixels: Int) throws -> Raster {
        try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) throws -> Raster in
            let format = try sniff(bytes, name: name)
            var info = oodb_image_info()
            var out: UnsafeMutableRawPointer? = nil
            var message = [CChar](repeating: 0, count: 256)
            let base = bytes.bindMemory(to: UInt8.self).baseAddress!
            let limit = UInt64(max(0, maxPixels))
            let status: Int32 = message.withUnsafeMutableBufferPointer { m in
                switch format {
                case .png:
                    return oodb_png_decode(base, bytes.count, want16 ? 1 : 0, limit, &info, &out, m.baseAddress, m.count)
                case .jpeg:
                    return oodb_jpeg_decode(base, bytes.count, limit, &info, &out, m.baseAddress, m.count)
                }
            }
            let text = String(decoding: message.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            switch Int(status) {
            case Int(OODB_OK):
                guard let out else { throw ImagingError.corrupt(file: name, format: format.rawValue, reason: "no data") }
                let source = ImageSourceInfo(format: format == .png ? .png : .jpeg,
                                             isPalette: format == .png && info.file_color == 3,
                                             bitDepth: Int(info.file_depth))
                return Raster(width: Int(info.width), height: Int(info.height), channels: Int(info.channels),
                              depth: Int(info.depth), pointer: out, source: source)
            case Int(OODB_ERR_TRUNCATED):
                throw ImagingError.truncated(file: name, format: format.rawValue)
            case Int(OODB_ERR_ZERO_SIZE):
                throw ImagingError.zeroSized(file: name)
            case Int(OODB_ERR_TOO_LARGE):
                throw ImagingError.tooLarge(file: name, width: Int(info.width), height: Int(info.height), limit: maxPixels)
            case Int(OODB_ERR_UNSUPPORTED):
                throw ImagingError.unsupported(file: name, reason: "\(format.rawValue): \(text)")
            case Int(OODB_ERR_NO_MEMORY):
                throw ImagingError.corrupt(file: name, format: format.rawValue, reason: "out of memory")
            default:
                // libpng reports a zero width or height in IHDR as an error of its own.
                if text.contains("width is zero") || text.contains("height is zero") || text.contains("Empty JPEG image") {
                    throw ImagingError.zeroSized(file: name)
                }
                throw ImagingError.corrupt(file: name, format: format.rawValue, reason: text)
            }
        }
    }

    static func readFile(_ url: URL) throws -> Data {
        do {
            return try Data(contentsOf: url)
        } catch {
            let reason: String
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) {
                reason = "no such file"
            } else if isDirectory.boolValue {
                reason = "is a directory"
            } else {
                reason = "permission denied or I/O error"
            }
            throw ImagingError.unreadable(file: url.path, reason: reason)
        }
    }

    /// Writes `data` atomically (temporary file in the same folder, then rename): no partial file on failure.
    static func write(_ data: Data, to url: URL) throws {
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            let folder = url.deletingLastPathComponent().path
            var isDirectory: ObjCBool = false
            let reason: String
            if !FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) || !isDirectory.boolValue {
                reason = "folder \(folder) does not exist"
            } else {
                reason = ImagingError.reason(for: error)
            }
            throw ImagingError.unwritable(file: url.path, reason: reason)
        }
    }

    static func encodePNG(_ image: Image8, compression: PNGCompression, name: String) throws -> Data {
        if compression == .fast {
            var out: UnsafeMutableRawPointer? = nil
            var size = 0
            let made = image.samples.withUnsafeBufferPointer { s in
                oodb_png_encode_deflate(s.baseAddress, UInt32(image.width), UInt32(image.height),
                                        Int32(image.channels), 1, &out, &size)
            }
            if made == 1, let out {
                // The C allocation becomes the Data's storage (no copy); `.free` matches its malloc.
                return Data(bytesNoCopy: out, count: size, deallocator: .free)
            }
        }
        let (level, strategy, filters): (Int32, Int32, Int32)
        switch compression {
        case .none: (level, strategy, filters) = (0, -1, 0x08)   // stored, PNG_FILTER_NONE
        case .fast: (level, strategy, filters) = (1, 3, 0x10)    // Z_RLE, PNG_FILTER_SUB
        case .small: (level, strategy, filters) = (6, -1, 0)     // Pillow's default: level 6, adaptive filters
        }
        var out: UnsafeMutableRawPointer? = nil
        var size = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = image.samples.withUnsafeBufferPointer { s in
            message.withUnsafeMutableBufferPointer { m in
                oodb_png_encode(s.baseAddress, UInt32(image.width), UInt32(image.height), Int32(image.channels),
                                level, strategy, filters, &out, &size, m.baseAddress, m.count)
            }
        }
        guard status == OODB_OK, let out else {
            let text = String(decoding: message.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw ImagingError.unwritable(file: name, reason: "PNG encoder: \(text)")
        }
        defer { oodb_free(out) }
        return Data(bytes: out, count: size)
    }

    static func encodeJPEG(_ image: Image8, quality: Int, name: String) throws -> Data {
        guard image.channels == 1 || image.channels == 3 else {
            throw ImagingError.unsupported(file: name, reason: "JPEG holds grey or RGB, not \(image.channels) channels")
        }
        var out: UnsafeMutableRawPointer? = nil
        var size = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = image.samples.withUnsafeBufferPointer { s in
            message.withUnsafeMutableBufferPointer { m in
                oodb_jpeg_encode(s.baseAddress, UInt32(image.width), UInt32(image.height), Int32(image.channels),
                                 Int32(quality), &out, &size, m.baseAddress, m.count)
            }
        }
        guard status == OODB_OK, let out else {
            let text = String(decoding: message.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw ImagingError.unsupported(file: name, reason: "JPEG encoder: \(text)")
        }
        defer { oodb_free(out) }
        return Data(bytes: out, count: size)
    }

}
