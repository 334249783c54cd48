import Crypto
import Foundation
import Imaging
import Inference
import TestSupport
import XCTest

@testable import Models

/// EfficientNet-Lite0 against `../shared/reference-data/efficientnet-lite0/` (made by
/// `shared/tools/make_efficientnet_fixtures.py` with the PyPI packages and torch 2.15): every tensor of the
/// weight file, the preprocessed input bytes, and all 1000 logits of 7 stimuli (tolerance 2e-3, the fixture's).
final class EfficientNetLite0Tests: XCTestCase {
    static let fixtures = Mirror.url("efficientnet-lite0")

    /// The weights file, or a skip that says how to get it.
    func weightsURL() throws -> URL {
        do { return try EfficientNetLite0Weights.locate() } catch {
            throw XCTSkip("EfficientNet-Lite0 weights not installed (\(error)); "
                          + "`python3 -m pip install \(EfficientNetLite0Weights.package)` to run this test")
        }
    }

    static func sha256Hex(_ bytes: some Sequence<UInt8>) -> String {
        SHA256.hash(data: Data(bytes)).map { String(format: "%02x", $0) }.joined()
    }

    static func floatBytes(_ values: [Float]) -> [UInt8] {
        values.withUnsafeBytes { Array($0) }  // little-endian on every platform Swift runs here
    }

    func loadJSON(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: Self.fixtures.appendingPathComponent(name))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func testSamePaddingMatchesSpecTable() {
        typealias K = EfficientNetKernels
        XCTAssertTrue(K.samePadding(input: 224, kernel: 3, stride: 2) == (112, 0))  // stem: 0 before, 1 after
        XCTAssertTrue(K.samePadding(input: 56, kernel: 5, stride: 2) == (28, 1))    // k=5, s=2: 1 before, 2 after
        XCTAssertTrue(K.samePadding(input: 14, kernel: 5, stride: 1) == (14, 2))
        XCTAssertTrue(K.samePadding(input: 7, kernel: 3, stride: 1) == (7, 1))
        XCTAssertTrue(K.samePadding(input: 7, kernel: 5, stride: 2) == (4, 2))      // odd input: total 3·2+5−7 = 4
    }

    /// The depthwise kernel against a direct evaluation of the definition (zero padding outside the image).
    func testDepthwiseMatchesNaiveTwin() {
        for (size, k, s) in [(7, 3, 1), (8, 5, 2), (9, 3, 2), (6, 5, 1)] {
            let c = 3, n = 2
            let input = (0..<(c * n * size * size)).map { Float(sin(Double($0) * 0.37)) * 4 }
            let weight = (0..<(c * k * k)).map { Float(cos(Double($0) * 0.91)) }
            let bias: [Float] = [0.5, -0.25, 1]
            let (o, pad) = EfficientNetKernels.samePadding(input: size, kernel: k, stride: s)
            var out = [Float](repeating: .nan, count: c * n * o * o)
            input.withUnsafeBufferPointer { i in
                weight.withUnsafeBufferPointer { w in
                    bias.withUnsafeBufferPointer { b in
                        out.withUnsafeMutableBufferPointer { y in
                            EfficientNetKernels.depthwise(input: i.baseAddress!, channels: c, batch: n, height: size,
                                                          width: size, weight: w.baseAddress!, bias: b.baseAddress!,
                                                          kernel: k, stride: s, output: y.baseAddress!)
                        }
                    }
                }
            }
            var worst: Float = 0
            for ch in 0..<c { for img in 0..<n { for oy in 0..<o { for ox in 0..<o {
                var acc = Double(bias[ch])
                for ky in 0..<k { for kx in 0..<k {
                    let iy = oy * s + ky - pad, ix = ox * s + kx - pad
                    if iy < 0 || ix < 0 || iy >= size || ix >= size { continue }
                    acc += Double(weight[ch * k * k + ky * k + kx])
                        * Double(input[((ch * n + img) * size + iy) * size + ix])
                }}
                let expected = Float(min(max(acc, 0), 6))
                worst = max(worst, abs(out[((ch * n + img) * o + oy) * o + ox] - expected))
            }}}}
            XCTAssertLessThan(worst, 1e-5, "size \(size) k \(k) stride \(s)")
        }
    }

    /// Every tensor read from the legacy file equals the reference's values (sha256 of the contiguous bytes),
    /// with the shapes and stored strides the reference recorded.
    func testEveryTensorMatchesReferenceHash() throws {
        let url = try weightsURL()
        let checkpoint = try LegacyTorchCheckpoint(contentsOf: url)
        let json = try loadJSON("weights-tensors.json")
        let tensors = try XCTUnwrap(json["tensors"] as? [[String: Any]])
        XCTAssertEqual(tensors.count, 296)
        XCTAssertEqual(checkpoint.names, tensors.map { $0["name"] as! String })
        for (entry, ref) in zip(checkpoint.entries, tensors) {
            let name = entry.name
            XCTAssertEqual(entry.reference.size, ref["shape"] as? [Int], name)
            XCTAssertEqual(entry.reference.stride, ref["stored_stride"] as? [Int], name)
            let t = try checkpoint.tensor(name)
            let bytes: [UInt8]
            if ref["dtype"] as? String == "int64" {
                bytes = t.data.map { Int64($0) }.withUnsafeBytes { Array($0) }
            } else {
                bytes = Self.floatBytes(t.data)
            }
            XCTAssertEqual(Self.sha256Hex(bytes), ref["sha256_contiguous_le"] as? String, name)
        }
    }

    func testRefusesOtherSizes() throws {
        let image = Image8(channels: 3, height: 100, width: 224)
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: 3 * 224 * 224)
        defer { buffer.deallocate() }
        XCTAssertThrowsError(try EfficientNetLite0.preprocess(image, index: 4, into: buffer, batch: 1)) { error in
            XCTAssertEqual("\(error)", "image 4 of the batch: EfficientNet-Lite0 takes 224x224 images, got 224x100")
        }
    }

    func testGreyImagesAreReplicated() throws {
        let grey = Image8(channels: 1, height: 224, width: 224, samples: [UInt8](repeating: 255, count: 224 * 224))
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: 3 * 224 * 224)
        defer { buffer.deallocate() }
        try EfficientNetLite0.preprocess(grey, index: 0, into: buffer, batch: 1)
        XCTAssertEqual(buffer[0], 1)                   // (255 − 127) / 128
        XCTAssertEqual(buffer[2 * 224 * 224 + 5], 1)
    }

    func testMissingWeightsSaySoAndHowToInstall() {
        XCTAssertThrowsError(try EfficientNetLite0Weights.locate(
            environment: ["OODBENCH_EFFICIENTNET_WEIGHTS": "/nonexistent/x.pth"])) { error in
            XCTAssertEqual("\(error)", "efficientnet-lite0: weights file not found; "
                           + "OODBENCH_EFFICIENTNET_WEIGHTS=/nonexistent/x.pth does not exist")
        }
    }
}
