import CPNG
import Foundation
import Imaging
import TestSupport
import XCTest

/// Readers for the eidolon goldens (`.npy` little-endian f4/f8 arrays and 8-bit PNGs through libpng's simplified
/// API), local to these tests until shared test readers land.
enum EidolonGoldens {
    static func url(_ relative: String) -> URL { Mirror.url("eidolon-goldens/" + relative) }

    static func skipUnlessPresent(file: StaticString = #filePath, line: UInt = #line) throws {
        guard FileManager.default.fileExists(atPath: url("manifest.json").path) else {
            throw XCTSkip("eidolon goldens not found at \(url("").path) (set OODBENCH_MIRROR)")
        }
    }

    /// A `.npy` array as doubles, with its shape.
    static func npy(_ relative: String) throws -> (shape: [Int], values: [Double]) {
        let data = try Data(contentsOf: url(relative))
        let bytes = [UInt8](data)
        guard bytes.count > 10, bytes[0] == 0x93, Array(bytes[1...5]) == Array("NUMPY".utf8) else {
            throw NSError(domain: "npy", code: 1, userInfo: [NSLocalizedDescriptionKey: "\(relative): not a .npy file"])
        }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        if major == 1 {
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        } else {
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        }
        let header = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
        guard header.contains("'fortran_order': False") else {
            throw NSError(domain: "npy", code: 2, userInfo: [NSLocalizedDescriptionKey: "\(relative): fortran order"])
        }
        let shapeText = header.components(separatedBy: "'shape': (")[1].components(separatedBy: ")")[0]
        let shape = shapeText.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let count = shape.reduce(1, *)
        let body = headerStart + headerLength
        var values = [Double](repeating: 0, count: count)
        if header.contains("'<f8'") {
            guard bytes.count >= body + 8 * count else { throw NSError(domain: "npy", code: 3) }
            for i in 0..<count {
                var bits: UInt64 = 0
                for b in 0..<8 { bits |= UInt64(bytes[body + 8 * i + b]) << (8 * b) }
                values[i] = Double(bitPattern: bits)
            }
        } else if header.contains("'<f4'") {
            guard bytes.count >= body + 4 * count else { throw NSError(domain: "npy", code: 3) }
            for i in 0..<count {
                var bits: UInt32 = 0
                for b in 0..<4 { bits |= UInt32(bytes[body + 4 * i + b]) << (8 * b) }
                values[i] = Double(Float(bitPattern: bits))
            }
        } else {
            throw NSError(domain: "npy", code: 4, userInfo: [NSLocalizedDescriptionKey: "\(relative): dtype in \(header)"])
        }
        return (shape, values)
    }

    /// An 8-bit PNG as interleaved samples: grey (1 channel) or RGB (3 channels).
    static func png(_ relative: String, channels: Int) throws -> Image8 {
        let path = url(relative).path
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        guard png_image_begin_read_from_file(&image, path) != 0 else {
            throw NSError(domain: "png", code: 1, userInfo: [NSLocalizedDescriptionKey: "\(path): cannot read"])
        }
        image.format = channels == 1 ? UInt32(PNG_FORMAT_GRAY) : UInt32(PNG_FORMAT_RGB)
        let width = Int(image.width), height = Int(image.height)
        var samples = [UInt8](repeating: 0, count: width * height * channels)
        let ok = samples.withUnsafeMutableBytes { buffer in
            png_image_finish_read(&image, nil, buffer.baseAddress, Int32(width * channels), nil)
        }
        guard ok != 0 else {
            png_image_free(&image)
            throw NSError(domain: "png", code: 2, userInfo: [NSLocalizedDescriptionKey: "\(path): cannot decode"])
        }
        return Image8(channels: channels, height: height, width: width, samples: samples)
    }

    static let conditions: [(dataset: String, condition: String)] = {
        var list: [(String, String)] = []
        for (dataset, code) in [("eidolonI", "10"), ("eidolonII", "3"), ("eidolonIII", "0")] {
            for reach in [2, 8, 32, 128] { list.append((dataset, "\(reach)-\(code)-10")) }
        }
        return list
    }()
}

/// Number of differing samples and the largest absolute difference.
func eidolonDifference(_ a: [UInt8], _ b: [UInt8]) -> (count: Int, maxAbs: Int) {
    precondition(a.count == b.count)
    var count = 0, worst = 0
    for i in a.indices where a[i] != b[i] {
        count += 1
        worst = max(worst, abs(Int(a[i]) - Int(b[i])))
    }
    return (count, worst)
}
