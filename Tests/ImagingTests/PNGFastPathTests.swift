import CImagingShims
import Foundation
import Imaging
import TestSupport
import XCTest

/// The libdeflate PNG paths (Sources/CImagingShims/PNGFast.c) against libpng: the same samples for every file
/// the fast decoder takes, the libpng path for everything else, and encoded files that libpng reads back exactly.
final class PNGFastPathTests: XCTestCase {
    private struct Decoded: Equatable {
        var width: UInt32, height: UInt32, channels: Int32, depth: Int32, fileDepth: Int32, fileColour: Int32
        var samples: [UInt8]
    }

    /// Decodes with the fast path (nil when it declines) or with libpng only.
    private func decode(_ data: Data, fast: Bool) -> Decoded? {
        var info = oodb_image_info()
        var out: UnsafeMutableRawPointer? = nil
        var message = [CChar](repeating: 0, count: 256)
        let status: Int32 = data.withUnsafeBytes { raw in
            let p = raw.bindMemory(to: UInt8.self).baseAddress!
            if fast { return oodb_png_decode_fast(p, data.count, 0, 1 << 30, &info, &out) == 1 ? 0 : -1 }
            return message.withUnsafeMutableBufferPointer { m in
                oodb_png_decode_libpng(p, data.count, 0, 1 << 30, &info, &out, m.baseAddress, m.count)
            }
        }
        guard status == 0, let out else { return nil }
        defer { oodb_free(out) }
        let count = Int(info.width) * Int(info.height) * Int(info.channels) * Int(info.depth / 8)
        return Decoded(width: info.width, height: info.height, channels: info.channels, depth: info.depth,
                       fileDepth: info.file_depth, fileColour: info.file_color,
                       samples: [UInt8](UnsafeRawBufferPointer(start: out, count: count)))
    }

    /// Every codec fixture and every golden PNG: where the fast path decodes, libpng gives the same; 8-bit
    /// non-interlaced non-palette files are taken by the fast path.
    func testFastDecoderEqualsLibpng() throws {
        var files = try FileManager.default.contentsOfDirectory(at: Mirror.fixture("codec/in"),
                                                                includingPropertiesForKeys: nil)
        let goldens = Mirror.url("distortion-goldens")
        if let walker = FileManager.default.enumerator(at: goldens, includingPropertiesForKeys: nil) {
            for case let url as URL in walker where url.pathExtension == "png" { files.append(url) }
        }
        var taken = 0
        for url in files where url.pathExtension == "png" {
            let data = try Data(contentsOf: url)
            guard let reference = decode(data, fast: false) else { continue }
            guard let fast = decode(data, fast: true) else {
                let simple = reference.fileDepth == 8 && reference.fileColour != 3
                    && !url.lastPathComponent.contains("adam7")
                XCTAssertFalse(simple, "\(url.lastPathComponent): the fast path declined a plain 8-bit file")
                continue
            }
            XCTAssertEqual(fast, reference, url.lastPathComponent)
            taken += 1
        }
        XCTAssertGreaterThan(taken, 100, "fast-path files")
    }

    /// Files written by libpng with its adaptive filters (None, Sub, Up, Average, Paeth mixed) for 1–4 channels
    /// and odd sizes: the fast decoder reverses every filter as libpng does.
    func testEveryFilterTypeAndChannelCount() throws {
        for channels in 1...4 {
            for (h, w) in [(1, 1), (3, 7), (37, 53), (64, 2)] {
                var random = LCG64(seed: UInt64(channels * 1000 + h * 10 + w))
                var samples = [UInt8](repeating: 0, count: h * w * channels)
                for i in samples.indices {  // smooth ramps plus noise: every filter wins somewhere
                    samples[i] = UInt8(truncatingIfNeeded: (i / channels) % w * 3 + (i / (w * channels)) * 5
                                       + Int(random.next() >> 61))
                }
                let image = Image8(channels: channels, height: h, width: w, samples: samples)
                for compression in PNGCompression.allCases {
                    let data = try image.pngData(compression: compression)
                    let tag = "\(channels) ch \(h)×\(w) \(compression)"
                    XCTAssertEqual(decode(data, fast: false)?.samples, samples, "\(tag): libpng")
                    XCTAssertEqual(decode(data, fast: true)?.samples, samples, "\(tag): fast")
                    XCTAssertEqual(try Image8(data: data), image, tag)
                }
            }
        }
    }

    /// A damaged IDAT CRC, a cut file and an extra critical chunk make the fast path decline (libpng then reports).
    func testAnomaliesGoToLibpng() throws {
        let image = Image8(channels: 3, height: 5, width: 6, samples: (0..<90).map { UInt8($0 * 2) })
        let good = try image.pngData(compression: .fast)
        XCTAssertNotNil(decode(good, fast: true))
        var badCRC = good
        badCRC[badCRC.count - 13] ^= 1  // the IDAT CRC's last byte (IEND is the last 12 bytes)
        XCTAssertNil(decode(badCRC, fast: true))
        XCTAssertThrowsError(try Image8(data: badCRC, name: "bad.png"))
        XCTAssertNil(decode(good.prefix(good.count - 12), fast: true))  // no IEND
        // A PLTE chunk before IDAT (allowed in RGB files as a suggestion): declined, libpng decodes it.
        var plte = Data([0, 0, 0, 3]) + Data("PLTE".utf8) + Data([1, 2, 3])
        let crc = plte.dropFirst(4).withUnsafeBytes { crc32Of($0) }
        plte += Data([UInt8(crc >> 24), UInt8((crc >> 16) & 255), UInt8((crc >> 8) & 255), UInt8(crc & 255)])
        let withPLTE = good.prefix(33) + plte + good.dropFirst(33)
        XCTAssertNil(decode(withPLTE, fast: true))
        XCTAssertEqual(try Image8(data: withPLTE), image)
    }

    private func crc32Of(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
