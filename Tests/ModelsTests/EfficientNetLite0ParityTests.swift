import Crypto
import Foundation
import Imaging
import Inference
import TestSupport
import XCTest

@testable import Models

/// EfficientNet-Lite0 end to end against `../shared/reference-data/efficientnet-lite0/expected.json` (PyTorch
/// 2.15 with the two PyPI packages, `shared/tools/make_efficientnet_fixtures.py`): the preprocessed input bytes
/// and all 1000 logits of the 7 stimuli (tolerance 2e-3, the fixture's), top-1 and the 16-class decision.
extension EfficientNetLite0Tests {
    func fixtureImage(_ relative: String) throws -> Image8 {
        // relative: "reference-data/…" as in expected.json (paths relative to shared/)
        let url = Mirror.root.deletingLastPathComponent().appendingPathComponent(relative)
        return try Image8(contentsOf: url)
    }

    /// The input tensor of each tf_127_128 fixture is bit-identical to the reference's.
    func testPreprocessingIsBitExact() throws {
        let json = try loadJSON("expected.json")
        let fixtures = try XCTUnwrap(json["fixtures"] as? [[String: Any]])
        var checked = 0
        for f in fixtures where f["preprocessing"] as? String == "tf_127_128" {
            let image = try fixtureImage(f["image"] as! String)
            let buffer = UnsafeMutablePointer<Float>.allocate(capacity: 3 * 224 * 224)
            defer { buffer.deallocate() }
            try EfficientNetLite0.preprocess(image, index: 0, into: buffer)
            // The reference hashes the NCHW tensor; ours is channels-last.
            let plane = 224 * 224
            let nchw = (0..<(3 * plane)).map { buffer[($0 % plane) * 3 + $0 / plane] }
            let bytes = Self.floatBytes(nchw)
            XCTAssertEqual(Self.sha256Hex(bytes), f["input_sha256"] as? String, f["image"] as! String)
            checked += 1
        }
        XCTAssertEqual(checked, 7)
    }

    /// All 1000 logits within 2e-3 of PyTorch's, top-1 and the 16-class decision identical, for the 7 stimuli
    /// run as one batch, with the AVX2+FMA kernels and with the portable ones.
    func testLogitsMatchReference() throws {
        let model = try EfficientNetLite0(weightsFile: weightsURL())
        let json = try loadJSON("expected.json")
        let fixtures = try XCTUnwrap(json["fixtures"] as? [[String: Any]]).filter {
            $0["preprocessing"] as? String == "tf_127_128"
        }
        XCTAssertEqual(fixtures.count, 7)
        let images = try fixtures.map { try fixtureImage($0["image"] as! String) }
        let indices = try XCTUnwrap(json["category_indices"] as? [String: [Int]])
        for path in Self.paths {
            let logits = try model.logits(images, useAVX2: path.useAVX2)
            for (f, got) in zip(fixtures, logits) {
                let name = path.name + ": " + (f["image"] as! String)
                let expected = try XCTUnwrap(f["logits"] as? [Double])
                XCTAssertEqual(got.count, 1000)
                var worst = 0.0, worstIndex = 0
                for i in 0..<1000 where abs(Double(got[i]) - expected[i]) > worst {
                    worst = abs(Double(got[i]) - expected[i]); worstIndex = i
                }
                XCTAssertLessThanOrEqual(worst, 2e-3, "\(name): max |Δlogit| \(worst) at \(worstIndex)")
                let top1 = got.indices.max { got[$0] < got[$1] }!
                XCTAssertEqual(top1, (f["top5"] as! [Int])[0], name)
                // 16-class decision: mean softmax probability over each category's indices, argmax.
                let p = EfficientNetLite0.softmax(got)
                XCTAssertEqual(Double(p.reduce(0, +)), 1, accuracy: 1e-5)
                let decision = indices.max { a, b in
                    a.value.map { Double(p[$0]) }.reduce(0, +) / Double(a.value.count)
                        < b.value.map { Double(p[$0]) }.reduce(0, +) / Double(b.value.count)
                }!.key
                XCTAssertEqual(decision, f["decision16"] as? String, name)
            }
        }
    }

}
