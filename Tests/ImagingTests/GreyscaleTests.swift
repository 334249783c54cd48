import Foundation
import Imaging
import TestSupport
import XCTest

/// Rec. 709 float64 grey (specs/distortions.md §1.2), both 8-bit writers (§1.4) and Pillow's convert("L"),
/// against the distortion and eidolon goldens.
final class GreyscaleTests: XCTestCase {
    func testSHA256Vectors() {
        XCTAssertEqual(SHA256.hex([]), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    /// colour "bw" = rgb2gray: the float64 plane, its 2018 PNG (round half up) and its 2023 truncation.
    func testRec709PlaneAndBothWritersMatchGoldens() throws {
        let root = Mirror.url("distortion-goldens")
        guard FileManager.default.fileExists(atPath: root.path) else { throw XCTSkip("mirror has no distortion-goldens") }
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent("manifest.json"))) as? [String: Any]
        let goldens = try XCTUnwrap(manifest?["goldens"] as? [[String: Any]])
        let bw = goldens.filter { $0["distortion"] as? String == "colour" && $0["condition"] as? String == "bw" }
        XCTAssertEqual(bw.count, 3)
        for entry in bw {
            let input = try XCTUnwrap(entry["input"] as? String)
            let image = try Image8(contentsOf: root.appendingPathComponent("inputs/\(input).png"))
            let plane = image.rec709GreyPlane()
            XCTAssertEqual(plane.count, 224 * 224)
            let bytes = plane.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
            XCTAssertEqual(SHA256.hex(bytes), entry["sha256_float64_plane"] as? String, "\(input): float64 plane")

            let rounded = Image8(quantising: plane, channels: 1, height: 224, width: 224, rule: .roundHalfUp)
            XCTAssertEqual(SHA256.hex(rounded.samples), entry["png_samples_sha256"] as? String, "\(input): 2018 writer")
            let png = try Image8(contentsOf: root.appendingPathComponent(try XCTUnwrap(entry["png"] as? String)))
            XCTAssertEqual(png.samples, rounded.samples, input)
            let truncated = Image8(quantising: plane, channels: 1, height: 224, width: 224, rule: .truncate)
            XCTAssertEqual(SHA256.hex(truncated.samples), entry["trunc2023_samples_sha256"] as? String, "\(input): 2023 writer")
            let differing = zip(truncated.samples, rounded.samples).filter { $0 != $1 }.count
            XCTAssertEqual(differing, entry["trunc2023_differs_from_png"] as? Int, input)
        }
    }

    func testRec709HandComputed() {
        let image = Image8(channels: 3, height: 1, width: 3, samples: [255, 0, 0, 0, 255, 0, 10, 20, 30])
        let plane = image.rec709GreyPlane()
        XCTAssertEqual(plane[0], 0.2125)
        XCTAssertEqual(plane[1], 0.7154)
        let r = 10.0 / 255.0, g = 20.0 / 255.0, b = 30.0 / 255.0
        XCTAssertEqual(plane[2], (0.2125 * r + 0.7154 * g) + 0.0721 * b)
        let white = Image8(channels: 3, height: 1, width: 1, samples: [255, 255, 255]).rec709GreyPlane()[0]
        XCTAssertEqual(white, 1.0)
        XCTAssertEqual(Image8(channels: 1, height: 1, width: 2, samples: [0, 51]).rec709GreyPlane(), [0, 0.2])
    }

    func testPillowLHandComputedAndEidolonFiducial() throws {
        let image = Image8(channels: 4, height: 1, width: 4, samples: [255, 0, 0, 9, 0, 255, 0, 9, 0, 0, 255, 9, 255, 255, 255, 0])
        XCTAssertEqual(image.convertedToPillowL().samples, [76, 150, 29, 255])
        XCTAssertEqual(Image8(channels: 2, height: 1, width: 2, samples: [7, 1, 8, 2]).convertedToPillowL().samples, [7, 8])
        let root = Mirror.url("eidolon-goldens")
        guard FileManager.default.fileExists(atPath: root.path) else { throw XCTSkip("mirror has no eidolon-goldens") }
        for img in ["img1", "img2"] {
            let rgb = try Image8(contentsOf: root.appendingPathComponent("\(img)/resized_rgb256.png"))
            let fiducial = try Image8(contentsOf: root.appendingPathComponent("\(img)/fiducial256.png"))
            XCTAssertEqual(rgb.convertedToPillowL(), fiducial, img)
            // The whole picture set-up of eidolon.md §2: 224 RGB → LANCZOS 256 → convert("L").
            let input = try Image8(contentsOf: root.appendingPathComponent("inputs/\(img).png"))
            XCTAssertEqual(input.resized(width: 256, height: 256, filter: .lanczos).convertedToPillowL(), fiducial, img)
        }
    }
}
