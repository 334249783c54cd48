import CImagingShims
import Foundation
import Imaging
import XCTest
import TestSupport

/// The pixel-match deflate writer of RGB PNGs (Sources/CImagingShims/PNGDeflate.c, used by `.fast`): its files
/// decode to the same samples through libpng (zlib's inflate) and through the libdeflate fast path, on pictures that
/// exercise literals, short and maximal matches, matches across rows and the 32 KiB window.
final class PNGDeflateTests: XCTestCase {
    private func lcg(_ count: Int, seed: UInt64, _ map: (UInt64) -> UInt8) -> [UInt8] {
        LCG64.sequence(count, seed: seed) { map($0 >> 33) }
    }

    private func libpngSamples(_ data: Data) -> [UInt8]? {
        var info = oodb_image_info()
        var out: UnsafeMutableRawPointer? = nil
        var message = [CChar](repeating: 0, count: 256)
        let status = data.withUnsafeBytes { raw in
            message.withUnsafeMutableBufferPointer { m in
                oodb_png_decode_libpng(raw.bindMemory(to: UInt8.self).baseAddress!, data.count, 0, 1 << 30, &info,
                                       &out, m.baseAddress, m.count)
            }
        }
        guard status == 0, let out else { return nil }
        defer { oodb_free(out) }
        return [UInt8](UnsafeRawBufferPointer(start: out, count: Int(info.width * info.height) * Int(info.channels)))
    }

    func testRGBFilesDecodeToTheSamples() throws {
        var cases: [(String, Int, Int, [UInt8])] = []
        // Stacked grey noise (the uniform-noise output): short matches to the last pixel of the same value.
        let grey = lcg(224 * 224, seed: 1) { UInt8(truncatingIfNeeded: $0) }
        cases.append(("stacked grey noise", 224, 224, grey.flatMap { [$0, $0, $0] }))
        // Random RGB: almost only literals.
        cases.append(("rgb noise", 97, 61, lcg(97 * 61 * 3, seed: 2) { UInt8(truncatingIfNeeded: $0) }))
        // Flat and striped pictures: matches of the maximal length 258 and across rows.
        cases.append(("flat", 300, 300, [UInt8](repeating: 77, count: 300 * 300 * 3)))
        cases.append(("stripes", 129, 257, (0..<(129 * 257 * 3)).map { UInt8(truncatingIfNeeded: ($0 / 3 / 257) * 7) }))
        // Few distinct pixels far apart: candidates near and beyond the 32 KiB window.
        cases.append(("sparse repeats", 800, 200, lcg(800 * 200 * 3, seed: 3) { $0 % 97 == 0 ? 200 : UInt8(truncatingIfNeeded: $0) }))
        // Geometric byte values (P(k) = 2^−(k+1), k = trailing zeros of a random word): the optimal Huffman code is
        // deeper than deflate's 15 bits, so the length limit must fold it (an unlimited code is an invalid stream).
        for (seed, side) in [(UInt64(5), 300), (6, 512)] {
            cases.append(("geometric \(side)", side, side, lcg(side * side * 3, seed: seed) { word in
                var x = word, k: UInt8 = 0
                while x & 1 == 1 && k < 40 { x >>= 1; k += 1 }
                return k
            }))
        }
        cases.append(("tiny", 1, 1, [1, 2, 3]))
        cases.append(("one column", 1, 50, lcg(150, seed: 4) { UInt8($0 % 3) }))
        for (name, w, h, samples) in cases {
            let image = Image8(channels: 3, height: h, width: w, samples: samples)
            let data = try image.pngData(compression: .fast)
            XCTAssertEqual(libpngSamples(data), samples, "\(name): libpng")
            XCTAssertEqual(try Image8(data: data), image, "\(name): fast decoder")
            if name == "stacked grey noise" {  // libdeflate 1.14 level 1 needs about 129 KB here
                XCTAssertLessThan(data.count, 100_000, "stacked grey noise: the pixel matches are used")
            }
        }
    }

    /// Too little room and a layout that is not 3-byte pixels make the writer decline (libdeflate then encodes).
    func testDeclines() {
        let raw: [UInt8] = [1, 10, 10, 10, 0, 0, 0, 1, 10, 10, 10, 0, 0, 0]  // two rows of 2 pixels
        var out = [UInt8](repeating: 0, count: 256)
        XCTAssertGreaterThan(oodb_deflate_pixels3(raw, raw.count, 6, &out, out.count), 0)
        XCTAssertEqual(oodb_deflate_pixels3(raw, raw.count, 6, &out, 20), 0, "no room")
        XCTAssertEqual(oodb_deflate_pixels3(raw, raw.count, 4, &out, out.count), 0, "rowbytes not a multiple of 3")
        XCTAssertEqual(oodb_deflate_pixels3(raw, raw.count - 1, 6, &out, out.count), 0, "partial row")
    }
}
