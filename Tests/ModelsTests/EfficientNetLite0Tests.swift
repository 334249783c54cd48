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

    /// Runs `body` with the AVX2+FMA kernels (where the CPU has them) and with the portable ones.
    static let paths: [(useAVX2: Bool, name: String)] = [(true, "avx2"), (false, "portable")]

    /// The depthwise kernel against a direct evaluation of the definition (zero padding outside the image), on
    /// both kernel paths; channel counts exercise the 64-, 32-, 16- and 8-channel chunks.
    func testDepthwiseMatchesNaiveTwin() {
        for (size, k, s, c) in [(7, 3, 1, 16), (8, 5, 2, 144), (9, 3, 2, 96), (6, 5, 1, 72), (5, 3, 1, 32)] {
            let input = (0..<(size * size * c)).map { Float(sin(Double($0) * 0.37)) * 4 }
            let weight = (0..<(k * k * c)).map { Float(cos(Double($0) * 0.91)) }
            let bias = (0..<c).map { Float($0 % 5) * 0.25 - 0.5 }
            let (o, pad) = EfficientNetKernels.samePadding(input: size, kernel: k, stride: s)
            var expected = [Float](repeating: 0, count: o * o * c)
            for oy in 0..<o { for ox in 0..<o { for ch in 0..<c {
                var acc = Double(bias[ch])
                for ky in 0..<k { for kx in 0..<k {
                    let iy = oy * s + ky - pad, ix = ox * s + kx - pad
                    if iy < 0 || ix < 0 || iy >= size || ix >= size { continue }
                    acc += Double(weight[(ky * k + kx) * c + ch]) * Double(input[(iy * size + ix) * c + ch])
                }}
                expected[(oy * o + ox) * c + ch] = Float(min(max(acc, 0), 6))
            }}}
            for path in Self.paths {
                var out = [Float](repeating: .nan, count: o * o * c + 8)  // 8 sentinels after the end
                input.withUnsafeBufferPointer { i in
                    weight.withUnsafeBufferPointer { w in
                        bias.withUnsafeBufferPointer { b in
                            out.withUnsafeMutableBufferPointer { y in
                                EfficientNetKernels.depthwise(input: i.baseAddress!, height: size, width: size,
                                                              channels: c, weight: w.baseAddress!,
                                                              bias: b.baseAddress!, kernel: k, stride: s,
                                                              output: y.baseAddress!, useAVX2: path.useAVX2)
                            }
                        }
                    }
                }
                let worst = zip(out, expected).map { abs($0 - $1) }.max()!
                XCTAssertLessThan(worst, 1e-5, "\(path.name): size \(size) k \(k) stride \(s) channels \(c)")
                XCTAssertTrue(out[(o * o * c)...].allSatisfy(\.isNaN), "\(path.name): wrote past the end")
            }
        }
    }

    /// The 1×1 convolution (packed weight, bias, residual, ReLU6) against the definition, on both kernel paths;
    /// position counts that are not multiples of the 6-row tile and channel counts with an 8-wide last block.
    func testPointwiseMatchesNaiveTwin() {
        for (positions, cin, cout, residual, relu6) in [(49, 40, 24, true, false), (13, 1152, 320, false, true),
                                                        (100, 16, 96, false, true), (1, 1280, 1000, false, false),
                                                        (7, 24, 40, true, true)] {
            let input = (0..<(positions * cin)).map { Float(sin(Double($0) * 0.13)) }
            let weight = (0..<(cout * cin)).map { Float(cos(Double($0) * 0.71)) * 0.2 }
            let bias = (0..<cout).map { Float($0 % 7) * 0.3 - 1 }
            let res = (0..<(positions * cout)).map { Float(cos(Double($0) * 0.29)) }
            var expected = [Float](repeating: 0, count: positions * cout)
            for p in 0..<positions { for co in 0..<cout {
                var acc = Double(bias[co])
                for ci in 0..<cin { acc += Double(input[p * cin + ci]) * Double(weight[co * cin + ci]) }
                if residual { acc += Double(res[p * cout + co]) }
                expected[p * cout + co] = Float(relu6 ? min(max(acc, 0), 6) : acc)
            }}
            let conv = EfficientNetLite0.Pointwise(cin: cin, cout: cout, weight: weight, bias: bias)
            for path in Self.paths {
                // In place over the residual, as the model runs residual blocks.
                var out = residual ? res : [Float](repeating: .nan, count: positions * cout)
                out += [Float](repeating: .nan, count: 8)
                input.withUnsafeBufferPointer { i in
                    out.withUnsafeMutableBufferPointer { y in
                        EfficientNetKernels.pointwise(conv, input: i.baseAddress!, positions: positions,
                                                      residual: residual ? UnsafePointer(y.baseAddress!) : nil,
                                                      relu6: relu6, output: y.baseAddress!, useAVX2: path.useAVX2)
                    }
                }
                let worst = zip(out, expected).map { abs($0 - $1) }.max()!
                XCTAssertLessThan(worst, 2e-5 * Float(cin).squareRoot(),
                                  "\(path.name): \(positions)x\(cin)→\(cout) residual \(residual) relu6 \(relu6)")
                XCTAssertTrue(out[(positions * cout)...].allSatisfy(\.isNaN), "\(path.name): wrote past the end")
            }
        }
    }

    /// The fused MBConv block equals the three unfused kernels run one after the other (same arithmetic in the
    /// same order), on both paths, for band buffers that force one and several output rows per band.
    func testFusedBlockMatchesUnfusedKernels() {
        typealias K = EfficientNetKernels
        for (size, cin, e, cout, k, s, expand) in [(9, 8, 48, 8, 5, 1, true), (10, 16, 64, 24, 3, 2, true),
                                                   (7, 32, 32, 16, 3, 1, false)] {
            func values(_ n: Int, _ f: Double) -> [Float] { (0..<n).map { Float(sin(Double($0) * f)) * 0.5 } }
            let block = EfficientNetLite0.Block(
                expand: expand ? EfficientNetLite0.Pointwise(cin: cin, cout: e, weight: values(cin * e, 0.7),
                                                             bias: values(e, 0.3)) : nil,
                depthwiseWeight: values(k * k * e, 0.9), depthwiseBias: values(e, 1.1), channels: e, kernel: k,
                stride: s, project: EfficientNetLite0.Pointwise(cin: e, cout: cout, weight: values(e * cout, 0.4),
                                                                bias: values(cout, 0.6)),
                residual: s == 1 && cin == cout)
            let (o, _) = K.samePadding(input: size, kernel: k, stride: s)
            let x = values(size * size * cin, 0.37).map { $0 * 8 }
            for path in Self.paths {
                // Unfused: expand → depthwise → project (+ x).
                var expanded = expand ? [Float](repeating: 0, count: size * size * e) : x
                var dwOut = [Float](repeating: 0, count: o * o * e)
                var expected = block.residual ? x : [Float](repeating: 0, count: o * o * cout)
                if let conv = block.expand {
                    K.pointwise(conv, input: x, positions: size * size, residual: nil, relu6: true,
                                output: &expanded, useAVX2: path.useAVX2)
                }
                K.depthwise(input: expanded, height: size, width: size, channels: e, weight: block.depthwiseWeight,
                            bias: block.depthwiseBias, kernel: k, stride: s, output: &dwOut, useAVX2: path.useAVX2)
                expected.withUnsafeMutableBufferPointer { y in
                    K.pointwise(block.project, input: dwOut, positions: o * o,
                                residual: block.residual ? UnsafePointer(y.baseAddress!) : nil, relu6: false,
                                output: y.baseAddress!, useAVX2: path.useAVX2)
                }
                for bandFloats in [k * size * e, 4 * k * size * e] {
                    var band = [Float](repeating: .nan, count: bandFloats)
                    var dband = [Float](repeating: .nan, count: bandFloats)
                    var out = block.residual ? x : [Float](repeating: .nan, count: o * o * cout)
                    out.withUnsafeMutableBufferPointer { y in
                        x.withUnsafeBufferPointer { xp in
                            // A residual block runs in place, as the model runs it.
                            K.mbconv(block, input: block.residual ? UnsafePointer(y.baseAddress!) : xp.baseAddress!,
                                     size: size, output: y.baseAddress!, band: &band, dband: &dband,
                                     bandFloats: bandFloats, useAVX2: path.useAVX2)
                        }
                    }
                    let worst = zip(out, expected).map { abs($0 - $1) }.max()!
                    XCTAssertLessThanOrEqual(worst, 1e-6, "\(path.name): size \(size) k \(k) s \(s) band \(bandFloats)")
                }
            }
        }
    }

    /// The stem convolution (3×3, stride 2, SAME: 0 before, 1 after on even sizes) against the definition.
    func testStemConvolutionMatchesNaiveTwin() {
        for (size, cin, cout) in [(10, 3, 32), (9, 2, 64)] {
            let (o, pad) = EfficientNetKernels.samePadding(input: size, kernel: 3, stride: 2)
            let input = (0..<(size * size * cin)).map { Float(sin(Double($0) * 0.53)) }
            let weight = (0..<(9 * cin * cout)).map { Float(cos(Double($0) * 0.17)) }
            let bias = (0..<cout).map { Float($0 % 3) - 1 }
            var expected = [Float](repeating: 0, count: o * o * cout)
            for oy in 0..<o { for ox in 0..<o { for co in 0..<cout {
                var acc = Double(bias[co])
                for ky in 0..<3 { for kx in 0..<3 { for ci in 0..<cin {
                    let iy = oy * 2 + ky - pad, ix = ox * 2 + kx - pad
                    if iy < 0 || ix < 0 || iy >= size || ix >= size { continue }
                    acc += Double(weight[((ky * 3 + kx) * cin + ci) * cout + co]) * Double(input[(iy * size + ix) * cin + ci])
                }}}
                expected[(oy * o + ox) * cout + co] = Float(min(max(acc, 0), 6))
            }}}
            for path in Self.paths {
                var out = [Float](repeating: .nan, count: o * o * cout)
                out.withUnsafeMutableBufferPointer { y in
                    EfficientNetKernels.conv(input: input, height: size, width: size, inChannels: cin, kernel: 3,
                                             stride: 2, weight: weight, bias: bias, outChannels: cout,
                                             output: y.baseAddress!, useAVX2: path.useAVX2)
                }
                let worst = zip(out, expected).map { abs($0 - $1) }.max()!
                XCTAssertLessThan(worst, 1e-5, "\(path.name): size \(size) cin \(cin) cout \(cout)")
            }
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

    /// A non-224 image gets model-vs-human's Resize(256) + CenterCrop(224): the network's input, mapped back to
    /// 8-bit (v = 128·x + 127, exact), equals Pillow's result recorded in Tests/Fixtures/datasets/resize-crop.json.
    func testOtherSizesAreResizedAndCentreCroppedAsPillow() throws {
        let json = try XCTUnwrap(JSONSerialization.jsonObject(
            with: Data(contentsOf: Mirror.fixture("datasets/resize-crop.json"))) as? [String: Any])
        let expected = try XCTUnwrap((json["source-300x200.png"] as? [String: Any])?["sha256"] as? String)
        let image = try Image8(contentsOf: Mirror.fixture("datasets/source-300x200.png"))
        XCTAssertEqual([image.width, image.height], [300, 200])
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: 3 * 224 * 224)
        defer { buffer.deallocate() }
        try EfficientNetLite0.preprocess(image, index: 0, into: buffer)
        let bytes = (0..<(3 * 224 * 224)).map { UInt8(buffer[$0] * 128 + 127) }
        XCTAssertEqual(Self.sha256Hex(bytes), expected)
        // A 224 × 224 image is not resampled: its first pixel goes through unchanged.
        let small = Image8(channels: 3, height: 224, width: 224, samples: (0..<(3 * 224 * 224)).map { UInt8($0 % 256) })
        try EfficientNetLite0.preprocess(small, index: 0, into: buffer)
        XCTAssertEqual([buffer[0], buffer[1], buffer[2]], [-127 / 128, -126 / 128, -125 / 128])
    }

    func testRefusesFiveChannels() throws {
        let image = Image8(channels: 5, height: 4, width: 4)
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: 3 * 224 * 224)
        defer { buffer.deallocate() }
        XCTAssertThrowsError(try EfficientNetLite0.preprocess(image, index: 4, into: buffer)) { error in
            XCTAssertEqual("\(error)", "image 4 of the batch: 5 channels")
        }
    }

    func testGreyImagesAreReplicated() throws {
        let grey = Image8(channels: 1, height: 224, width: 224, samples: [UInt8](repeating: 255, count: 224 * 224))
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: 3 * 224 * 224)
        defer { buffer.deallocate() }
        try EfficientNetLite0.preprocess(grey, index: 0, into: buffer)
        XCTAssertEqual(buffer[0], 1)                   // (255 − 127) / 128
        XCTAssertEqual(buffer[3 * 5 + 2], 1)
    }

    func testMissingWeightsSaySoAndHowToInstall() {
        XCTAssertThrowsError(try EfficientNetLite0Weights.locate(
            environment: ["OODBENCH_EFFICIENTNET_WEIGHTS": "/nonexistent/x.pth"])) { error in
            XCTAssertEqual("\(error)", "efficientnet-lite0: weights file not found; "
                           + "OODBENCH_EFFICIENTNET_WEIGHTS=/nonexistent/x.pth does not exist")
        }
    }
}
