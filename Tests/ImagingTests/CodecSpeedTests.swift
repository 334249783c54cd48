import Foundation
import Imaging
import TestSupport
import XCTest

/// Decode + encode of a 224×224 RGB PNG (the distortion pipeline's I/O). Only a guard against pathological
/// slowness (per-pixel allocation, wrong zlib settings: tens of ms even in release): debug builds on a
/// shared 2-core machine vary too much for a tight bound; the release figure is measured separately.
final class CodecSpeedTests: XCTestCase {
    func testDecodeEncode224IsFast() throws {
        let url = Mirror.url("distortion-goldens/inputs/test_image.png")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("mirror file \(url.path) is missing")
        }
        let data = try Data(contentsOf: url)
        let start = Date()
        let rounds = 50
        var bytes = 0
        for _ in 0..<rounds {
            let image = try Image8(data: data)
            XCTAssertEqual(image.width, 224)
            bytes += try image.pngData().count
        }
        let perImage = Date().timeIntervalSince(start) / Double(rounds)
        print(String(format: "decode+encode 224x224 PNG: %.3f ms (%d bytes out)", perImage * 1000, bytes / rounds))
        XCTAssertLessThan(perImage, 0.1)
    }
}
