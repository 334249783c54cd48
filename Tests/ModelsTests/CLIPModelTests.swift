import Foundation
import XCTest
import TestSupport
import Inference
import Imaging
@testable import Models

final class CLIPModelTests: XCTestCase {
    static let dir = Mirror.url("clip-fixtures")

    struct ModelExpect: Decodable {
        let image_features: [[Float]]
        let text_features: [[Float]]
        let zero_shot_classifier_KxE: [[Float]]
        let zero_shot_logits: [[Float]]
        let eot_index_per_prompt: [Int]
    }
    struct Tolerances: Decodable { let features_max_abs: Float; let zero_shot_logits_max_abs: Float }
    struct ZeroShot: Decodable { let classes: [String]; let templates: [String] }
    struct Expected: Decodable {
        let models: [String: ModelExpect]
        let tolerances: Tolerances
        let zero_shot: ZeroShot
        let text_prompts: [String]
    }

    func expected() throws -> Expected {
        let url = Self.dir.appendingPathComponent("expected.json")
        guard FileManager.default.fileExists(atPath: url.path) else { throw XCTSkip("clip-fixtures not in the mirror at \(Self.dir.path)") }
        return try JSONDecoder().decode(Expected.self, from: Data(contentsOf: url))
    }

    func inputs() throws -> SafetensorsFile { try SafetensorsFile(url: Self.dir.appendingPathComponent("inputs.safetensors")) }

    func tokens(_ f: SafetensorsFile, _ name: String = "tokens") throws -> [[Int32]] {
        let (shape, values) = try f.int32s(name)
        return (0..<shape[0]).map { Array(values[($0 * 77)..<(($0 + 1) * 77)]) }
    }

    func assertClose(_ got: [Float], _ want: [[Float]], tol: Float, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let flat = want.flatMap { $0 }
        XCTAssertEqual(got.count, flat.count, what, file: file, line: line)
        var worst: Float = 0, worstIndex = 0
        for i in 0..<min(got.count, flat.count) where abs(got[i] - flat[i]) > worst { worst = abs(got[i] - flat[i]); worstIndex = i }
        XCTAssertLessThanOrEqual(worst, tol, "\(what): max-abs \(worst) at \(worstIndex)", file: file, line: line)
    }

    func check(_ model: CLIPModel, _ name: String, pixelsKey: String? = nil, tol: Float? = nil) throws {
        let exp = try expected(), inp = try inputs()
        let m = exp.models[name]!
        let pix = try inp.tensor(pixelsKey ?? "pixels_\(name)")
        let tolerance = tol ?? exp.tolerances.features_max_abs
        assertClose(model.encodeImages(pix.data, count: pix.shape[0]), m.image_features, tol: tolerance, "\(name) image features")
        let toks = try tokens(inp)
        XCTAssertEqual(toks.map(CLIPTextTransformer.eotIndex), m.eot_index_per_prompt)
        assertClose(try model.encodeTexts(toks), m.text_features, tol: tolerance, "\(name) text features")
    }

    func testSafetensorsModelsMatchOpenCLIP() throws {
        _ = try expected()
        for name in ["vit_quickgelu", "vit_gelu", "rn_quickgelu"] {
            let models = Self.dir.appendingPathComponent("models")
            let loaded = try CLIPLoader.load(models.appendingPathComponent("\(name).safetensors"),
                                             arch: models.appendingPathComponent("\(name).json").path)
            try check(loaded.model, name)
        }
    }

    func testF16TorchSaveTorchScriptAndHFLoad() throws {
        _ = try expected()
        let models = Self.dir.appendingPathComponent("models")
        // TorchScript: dimensions inferred, heads from the /64 rule do not hold for the tiny model → pass the JSON.
        let ts = try CLIPLoader.load(models.appendingPathComponent("vit_quickgelu_torchscript.pt"),
                                     arch: models.appendingPathComponent("vit_quickgelu.json").path)
        XCTAssertEqual(ts.format, "openai-torchscript")
        try check(ts.model, "vit_quickgelu")
        let hf = try CLIPLoader.load(models.appendingPathComponent("hf_vit_quickgelu"))
        XCTAssertEqual(hf.model.config.activation, .quickGELU)
        try check(hf.model, "vit_quickgelu")
        let f16 = try CLIPLoader.load(models.appendingPathComponent("vit_quickgelu_f16_state_dict.pt"),
                                      arch: models.appendingPathComponent("vit_quickgelu.json").path)
        XCTAssertEqual(f16.model.config.vision, .vit(width: 64, layers: 2, heads: 2, patch: 8))
    }

    func testTorchScriptInferredConfigAndBadInput() throws {
        _ = try expected()
        let models = Self.dir.appendingPathComponent("models")
        // OpenAI's rule heads = width / 64 gives 0 heads for the tiny text tower (width 8): a clear refusal.
        XCTAssertThrowsError(try CLIPLoader.load(models.appendingPathComponent("vit_quickgelu_torchscript.pt"))) {
            XCTAssertEqual("\($0)", "vit_quickgelu_torchscript.pt: transformer: width 8 is not divisible by 0 heads")
        }
        // a state dict without an architecture
        XCTAssertThrowsError(try CLIPLoader.load(models.appendingPathComponent("vit_quickgelu.safetensors"))) {
            XCTAssertTrue("\($0)".contains("needs its architecture"), "\($0)")
        }
        // unknown architecture name
        XCTAssertThrowsError(try CLIPLoader.load(models.appendingPathComponent("vit_quickgelu.safetensors"), arch: "ViT-Q-99")) {
            XCTAssertTrue("\($0)".contains("unknown CLIP architecture 'ViT-Q-99'"), "\($0)")
        }
        // wrong architecture: the fixture is not a ViT-B-32
        XCTAssertThrowsError(try CLIPLoader.load(models.appendingPathComponent("vit_quickgelu.safetensors"), arch: "ViT-B-32")) {
            XCTAssertEqual("\($0)", "vit_quickgelu.safetensors: visual.conv1.weight has shape [64, 3, 8, 8], expected [768, 3, 32, 32]")
        }
        // a missing and a misshapen tensor
        var t = try SafetensorsFile(url: models.appendingPathComponent("vit_quickgelu.safetensors")).floatTensors()
        let cfg = try CLIPConfig.fromJSON(models.appendingPathComponent("vit_quickgelu.json"))
        let saved = t.removeValue(forKey: "visual.ln_post.bias")!
        XCTAssertThrowsError(try CLIPModel(config: cfg, tensors: t, file: "x.safetensors")) {
            XCTAssertEqual("\($0)", "x.safetensors: tensor visual.ln_post.bias is missing")
        }
        t["visual.ln_post.bias"] = Tensor(shape: [2, 32], data: saved.data)
        XCTAssertThrowsError(try CLIPModel(config: cfg, tensors: t, file: "x.safetensors")) {
            XCTAssertEqual("\($0)", "x.safetensors: visual.ln_post.bias has shape [2, 32], expected [64]")
        }
        t["visual.ln_post.bias"] = saved
        t["visual.extra"] = saved
        XCTAssertThrowsError(try CLIPModel(config: cfg, tensors: t, file: "x.safetensors")) {
            XCTAssertEqual("\($0)", "x.safetensors: unexpected tensor visual.extra")
        }
    }

    func testIntermediatesViT() throws {
        let exp = try expected(); _ = exp
        let models = Self.dir.appendingPathComponent("models")
        let m = try CLIPLoader.load(models.appendingPathComponent("rn_quickgelu.safetensors"), arch: models.appendingPathComponent("rn_quickgelu.json").path).model
        let inter = try SafetensorsFile(url: Self.dir.appendingPathComponent("intermediates.safetensors"))
        let pix = try inputs().tensor("pixels_rn_quickgelu")
        let trace = m.traceImage(Array(pix.data[0..<(3 * 64 * 64)]))
        for key in ["stem.out", "layer1.out", "layer4.out"] {
            let want = try inter.tensor("rn_quickgelu.visual.\(key)")
            assertClose(trace[key]!, [want.data], tol: 1e-4, key)
        }
        let text = m.traceText(try tokens(try inputs())[0])
        let want = try inter.tensor("rn_quickgelu.text.block1.out")
        assertClose(text["block1.out"]!, [want.data], tol: 1e-4, "text block1")
    }

    func testZeroShotMatchesFixture() throws {
        let exp = try expected()
        let vocab = Mirror.url("openai-clip/bpe_simple_vocab_16e6.txt.gz")
        let tok = try CLIPTokenizer(vocabulary: vocab, variant: .openClip)
        let models = Self.dir.appendingPathComponent("models")
        for name in ["vit_gelu", "rn_quickgelu"] {
            let m = try CLIPLoader.load(models.appendingPathComponent("\(name).safetensors"),
                                        arch: models.appendingPathComponent("\(name).json").path).model
            let head = try ZeroShotHead.build(model: m, tokenizer: tok, classNames: exp.zero_shot.classes,
                                              templates: exp.zero_shot.templates, batch: 2)
            let want = exp.models[name]!
            assertClose(head.classifier, want.zero_shot_classifier_KxE, tol: exp.tolerances.features_max_abs, "\(name) classifier")
            let pix = try inputs().tensor("pixels_\(name)")
            let feats = m.encodeImages(pix.data, count: pix.shape[0])
            let logits = head.logits(imageFeatures: feats, count: pix.shape[0])
            assertClose(logits, want.zero_shot_logits, tol: exp.tolerances.zero_shot_logits_max_abs, "\(name) logits")
            // decisions identical
            for i in 0..<pix.shape[0] {
                let row = Array(logits[(i * 3)..<(i * 3 + 3)]), wrow = want.zero_shot_logits[i]
                XCTAssertEqual(row.firstIndex(of: row.max()!), wrow.firstIndex(of: wrow.max()!), "\(name) image \(i)")
            }
            let probs = head.probabilities(imageFeatures: feats, count: pix.shape[0])
            XCTAssertEqual(probs[0] + probs[1] + probs[2], 1, accuracy: 1e-5)
            let round = ZeroShotHead(serialized: head.serialized(), expectedClasses: 3, embedDim: 24)
            XCTAssertEqual(round, head)
            XCTAssertNil(ZeroShotHead(serialized: head.serialized().dropLast(), expectedClasses: 3, embedDim: 24))
        }
    }
}

final class CLIPPreprocessingTests: XCTestCase {
    struct Res: Decodable { let resized_size_wh: [Int]; let crop_top_left: [Int]; let rgb_u8_hwc_sha256: String; let tensor_chw_f32le_sha256: String }
    struct Img: Decodable { let name: String; let file: String; let mode: String; let by_resolution: [String: Res] }
    struct File: Decodable { let images: [Img] }

    func hex(_ d: Data) -> String { CLIPHash.sha256(d) }

    func testCropsAndTensorsExact() throws {
        let dir = Mirror.url("clip-fixtures")
        let url = dir.appendingPathComponent("preprocess.json")
        guard FileManager.default.fileExists(atPath: url.path) else { throw XCTSkip("clip-fixtures not in the mirror") }
        let f = try JSONDecoder().decode(File.self, from: Data(contentsOf: url))
        var checked = 0
        for img in f.images {
            let (image, source) = try Image8.decode(contentsOf: dir.appendingPathComponent(img.file))
            XCTAssertEqual(source.isPalette, img.mode == "P", img.name)
            // R = 224 and 32 keep the debug-build test fast; the other resolutions exercise the same code.
            for (rs, want) in img.by_resolution where rs == "224" || rs == "32" {
                let r = Int(rs)!
                let size = CLIPPreprocessing.resizedSize(width: image.width, height: image.height, resolution: r)
                XCTAssertEqual([size.width, size.height], want.resized_size_wh, "\(img.name) R \(r)")
                XCTAssertEqual([CLIPPreprocessing.cropOffset(size: size.height, resolution: r),
                                CLIPPreprocessing.cropOffset(size: size.width, resolution: r)], want.crop_top_left, "\(img.name) R \(r)")
                let crop = CLIPPreprocessing.crop(image, resolution: r, nearest: CLIPPreprocessing.needsNearest(source))
                XCTAssertEqual(hex(Data(crop.samples)), want.rgb_u8_hwc_sha256, "\(img.name) R \(r) 8-bit crop")
                let t = CLIPPreprocessing.normalise(crop)
                XCTAssertEqual(hex(t.withUnsafeBufferPointer { Data(buffer: $0) }), want.tensor_chw_f32le_sha256, "\(img.name) R \(r) tensor")
                checked += 1
            }
        }
        XCTAssertEqual(checked, 18)
    }
}
