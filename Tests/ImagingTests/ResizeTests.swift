import Foundation
import Imaging
import TestSupport
import XCTest

/// Pillow `Image.resize` parity: the committed fixtures (Tests/Fixtures/pillow-resize/make_fixtures.py),
/// the shared CLIP crops (BICUBIC), eidolon goldens (LANCZOS 224 ↔ 256) and CLIP-Mamba's preprocessing
/// (BILINEAR), all identical bytes; plus hand-computed cases.
final class ResizeTests: XCTestCase {
    struct Case: Decodable {
        let input: String
        let filter: String
        let width: Int
        let height: Int
        let box: [Double]?
        let output: String
    }

    struct Cases: Decodable { let cases: [Case] }

    func testPillowFixturesIdenticalBytes() throws {
        let data = try Data(contentsOf: Mirror.fixture("pillow-resize/cases.json"))
        let cases = try JSONDecoder().decode(Cases.self, from: data).cases
        XCTAssertEqual(cases.count, 224)
        var inputs: [String: Image8] = [:]
        var seenFilters = Set<String>()
        for c in cases {
            let input = try inputs[c.input] ?? Image8(contentsOf: Mirror.fixture("pillow-resize/\(c.input)"))
            inputs[c.input] = input
            let expected = try Image8(contentsOf: Mirror.fixture("pillow-resize/\(c.output)"))
            let filter = try XCTUnwrap(ResampleFilter(rawValue: c.filter))
            seenFilters.insert(c.filter)
            let box = c.box.map { ResizeBox(left: $0[0], top: $0[1], right: $0[2], bottom: $0[3]) }
            let got = input.resized(width: c.width, height: c.height, filter: filter, box: box)
            XCTAssertEqual(got.width, expected.width, c.output)
            XCTAssertEqual(got.height, expected.height, c.output)
            XCTAssertEqual(got.channels, expected.channels, c.output)
            let diff = Self.differences(got.samples, expected.samples)
            XCTAssertEqual(diff.count, 0, "\(c.output): \(diff.count) samples differ, first at \(diff.first ?? -1)")
        }
        XCTAssertEqual(seenFilters.count, 6)
    }

    func testHandComputedCases() {
        // Bilinear 2×1 → 1×1: weights ½, ½ → 2²¹ each; (2²¹ + 10·2²¹ + 21·2²¹) >> 22 = 16.
        let two = Image8(channels: 1, height: 1, width: 2, samples: [10, 21])
        XCTAssertEqual(two.resized(width: 1, height: 1, filter: .bilinear).samples, [16])
        // Box 4×1 → 2×1 averages pairs; 0 + 255 → 127.5 → 128 (the 2²¹ bias rounds half up).
        let four = Image8(channels: 1, height: 1, width: 4, samples: [0, 255, 100, 100])
        XCTAssertEqual(four.resized(width: 2, height: 1, filter: .box).samples, [128, 100])
        // A constant image stays constant under every filter and size.
        let flat = Image8(channels: 3, height: 7, width: 9, samples: [UInt8](repeating: 77, count: 189))
        for filter in ResampleFilter.allCases {
            for (w, h) in [(3, 2), (20, 15), (9, 4)] {
                XCTAssertTrue(flat.resized(width: w, height: h, filter: filter).samples.allSatisfy { $0 == 77 }, "\(filter)")
            }
        }
        // Same size and full box: unchanged.
        XCTAssertEqual(four.resized(width: 4, height: 1, filter: .lanczos), four)
    }

    /// specs/clip.md §3.1 steps 1–3 with Pillow semantics, against `clip-fixtures/crops/*_224.png`.
    func testCLIPBicubicCrops() throws {
        let folder = Mirror.url("clip-fixtures/images")
        guard FileManager.default.fileExists(atPath: folder.path) else { throw XCTSkip("mirror has no clip-fixtures") }
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".png") }.sorted()
        XCTAssertEqual(names.count, 9)
        let r = 224
        for name in names {
            let (image, source) = try Image8.decode(contentsOf: folder.appendingPathComponent(name))
            let (w, h) = (image.width, image.height)
            let size: (Int, Int) = w <= h ? (r, Int(Double(r) * Double(h) / Double(w))) : (Int(Double(r) * Double(w) / Double(h)), r)
            let filter: ResampleFilter = source.isPalette ? .nearest : .bicubic
            let resized = image.resized(width: size.0, height: size.1, filter: filter)
            let top = Int((Double(resized.height - r) / 2).rounded(.toNearestOrEven))
            let left = Int((Double(resized.width - r) / 2).rounded(.toNearestOrEven))
            let crop = resized.cropped(x: left, y: top, width: r, height: r).convertedToRGB()
            let stem = String(name.dropLast(4))
            let expected = try Image8(contentsOf: Mirror.url("clip-fixtures/crops/\(stem)_224.png"))
            XCTAssertEqual(crop.channels, 3)
            let diff = Self.differences(crop.samples, expected.samples)
            XCTAssertEqual(diff.count, 0, "\(name): \(diff.count) samples differ")
        }
    }

    /// eidolon.md §2.1: LANCZOS 224 → 256 (RGB) and 256 → 224 (L), against eidolon-goldens.
    func testEidolonLanczosGoldens() throws {
        let root = Mirror.url("eidolon-goldens")
        guard FileManager.default.fileExists(atPath: root.path) else { throw XCTSkip("mirror has no eidolon-goldens") }
        for img in ["img1", "img2"] {
            let input = try Image8(contentsOf: root.appendingPathComponent("inputs/\(img).png"))
            let up = input.resized(width: 256, height: 256, filter: .lanczos)
            let expected = try Image8(contentsOf: root.appendingPathComponent("\(img)/resized_rgb256.png"))
            XCTAssertEqual(Self.differences(up.samples, expected.samples).count, 0, "\(img) 224→256")
            let files = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(img).path)
                .filter { $0.hasSuffix("_seed42_256.png") }
            XCTAssertGreaterThan(files.count, 0)
            for file in files {
                let big = try Image8(contentsOf: root.appendingPathComponent("\(img)/\(file)"))
                let small = big.resized(width: 224, height: 224, filter: .lanczos)
                let want = try Image8(contentsOf: root.appendingPathComponent("\(img)/\(file.replacingOccurrences(of: "_256.png", with: "_224.png"))"))
                XCTAssertEqual(Self.differences(small.samples, want.samples).count, 0, "\(img)/\(file) 256→224")
            }
        }
    }

    /// clip-mamba.md §6.5.4: shorter side → 224 with Pillow BILINEAR on the 8-bit RGB image, centre crop,
    /// /255 and ImageNet mean/std in float32, against `preprocess/expected.safetensors` (exact).
    func testCLIPMambaBilinearPreprocessing() throws {
        let folder = Mirror.url("clip-mamba-fixtures/preprocess")
        guard FileManager.default.fileExists(atPath: folder.path) else { throw XCTSkip("mirror has no clip-mamba-fixtures") }
        let image = try Image8(contentsOf: folder.appendingPathComponent("input_200x150.png"))
        let resized = image.resized(width: 224 * 200 / 150, height: 224, filter: .bilinear)
        XCTAssertEqual(resized.width, 298)
        let left = Int((Double(resized.width - 224) / 2).rounded(.toNearestOrEven))
        let crop = Image(resized.cropped(x: left, y: 0, width: 224, height: 224))
        let mean: [Float] = [0.485, 0.456, 0.406], std: [Float] = [0.229, 0.224, 0.225]
        let expected = try Self.safetensorsFloat32(folder.appendingPathComponent("expected.safetensors"), name: "pixel_values")
        XCTAssertEqual(expected.count, 3 * 224 * 224)
        var differing = 0
        for c in 0..<3 {
            for i in 0..<(224 * 224) where (crop.pixels[c * 224 * 224 + i] - mean[c]) / std[c] != expected[c * 224 * 224 + i] {
                differing += 1
            }
        }
        XCTAssertEqual(differing, 0)
    }

    // MARK: Helpers

    static func differences(_ a: [UInt8], _ b: [UInt8]) -> [Int] {
        guard a.count == b.count else { return [-1] }
        return a.indices.filter { a[$0] != b[$0] }
    }

    /// One float32 tensor from a safetensors file (8-byte header length, JSON header, data).
    static func safetensorsFloat32(_ url: URL, name: String) throws -> [Float] {
        let data = try Data(contentsOf: url)
        let n = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + n))) as? [String: Any]
        let entry = try XCTUnwrap(header?[name] as? [String: Any])
        XCTAssertEqual(entry["dtype"] as? String, "F32")
        let offsets = try XCTUnwrap(entry["data_offsets"] as? [Int])
        let bytes = data.subdata(in: (8 + n + offsets[0])..<(8 + n + offsets[1]))
        return bytes.withUnsafeBytes { raw in
            (0..<(bytes.count / 4)).map { Float(bitPattern: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self).littleEndian) }
        }
    }
}
