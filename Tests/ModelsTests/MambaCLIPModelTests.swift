import Foundation
import XCTest
import TestSupport
import Inference
@testable import Models
import Imaging

final class MambaCLIPModelTests: XCTestCase {
    private func tinyModel(_ half: MambaCLIPModel.Half) throws -> MambaCLIPModel {
        let exp = try MambaFixtures.expected()
        let ct = exp["clip_tiny"] as! [String: Any]
        let json = try JSONSerialization.data(withJSONObject: ["kind": "vmamba", "config": ct["config"]!])
        let (arch, heads) = try MambaCLIPModel.Architecture.fromJSON(json, file: "clip_tiny.json")
        XCTAssertEqual(heads, 2)
        return try MambaCLIPModel(architecture: arch, url: try MambaFixtures.require("clip_tiny/weights.safetensors"),
                                  half: half, textHeads: heads)
    }

    private func normalised(_ x: [Float], rows: Int) -> [Float] {
        let w = x.count / rows
        var out = x
        for r in 0..<rows {
            let n = (0..<w).reduce(Float(0)) { $0 + x[r * w + $1] * x[r * w + $1] }.squareRoot()
            for j in 0..<w { out[r * w + j] /= n }
        }
        return out
    }

    /// The tiny complete CLIP-Mamba: image and text embeddings and the zero-shot logits of both halves (EMA is
    /// what eval_zeroshot.py uses; the halves hold different values, so loading the wrong one fails).
    func testTinyCLIPBothHalves() throws {
        let out = try SafetensorsFile(url: try MambaFixtures.require("clip_tiny/outputs.safetensors"))
        let images = try out.tensor("images")
        let (tshape, tids) = try out.int32s("tokens")
        let tokens = (0..<tshape[0]).map { Array(tids[($0 * 77)..<(($0 + 1) * 77)]) }
        for half in MambaCLIPModel.Half.allCases {
            let m = try tinyModel(half)
            let img = try m.encodeImages(images.data, count: 2, height: 64, width: 64)
            let (ie, ii) = MambaFixtures.worst(img, try out.tensor("image_embed_\(half.rawValue)").data[...])
            XCTAssertLessThanOrEqual(ie, 1e-4, "\(half) image embeddings, worst at \(ii)")
            let txt = try m.encodeTexts(tokens)
            let (te, ti) = MambaFixtures.worst(txt, try out.tensor("text_embed_\(half.rawValue)").data[...])
            XCTAssertLessThanOrEqual(te, 1e-4, "\(half) text embeddings, worst at \(ti)")
            // class embedding: normalise, mean over the 7 templates, normalise; logits = cosine similarities
            let e = m.embedDim!
            let tn = normalised(txt, rows: 21)
            var cls = [Float](repeating: 0, count: 3 * e)
            for c in 0..<3 { for t in 0..<7 { for j in 0..<e { cls[c * e + j] += tn[(c * 7 + t) * e + j] / 7 } } }
            cls = normalised(cls, rows: 3)
            let inorm = normalised(img, rows: 2)
            var logits = [Float](repeating: 0, count: 6)
            for i in 0..<2 { for c in 0..<3 { for j in 0..<e { logits[i * 3 + c] += inorm[i * e + j] * cls[c * e + j] } } }
            let (le, _) = MambaFixtures.worst(logits, try out.tensor("logits_\(half.rawValue)").data[...])
            XCTAssertLessThanOrEqual(le, 1e-4, "\(half) logits")
        }
    }

    /// The zero-shot head built from class names with the paper's 7 templates and mamba-clip's tokenizer gives the
    /// fixture's EMA logits (cosine similarities; the head scales them by 100).
    func testZeroShotHeadMatchesFixtureLogits() throws {
        let vocab = Mirror.url("openai-clip/bpe_simple_vocab_16e6.txt.gz")
        guard FileManager.default.fileExists(atPath: vocab.path) else { throw XCTSkip("mirror file \(vocab.path) is absent") }
        let zs = try JSONSerialization.jsonObject(with: Data(contentsOf: try MambaFixtures.require("ref/imagenet_zeroshot.json"))) as! [String: Any]
        let templates = zs["templates"] as! [String]
        XCTAssertEqual(templates.count, 7)
        let model = try tinyModel(.ema)
        let tok = MambaCLIPTokenizer(base: try CLIPTokenizer(vocabulary: vocab, variant: .openai))
        let head = try MambaCLIPClassifier.buildHead(model: model, tokenizer: tok, classNames: ["tench", "goldfish", "great white shark"],
                                                     templates: templates)
        let out = try SafetensorsFile(url: try MambaFixtures.require("clip_tiny/outputs.safetensors"))
        let img = try model.encodeImages(try out.tensor("images").data, count: 2, height: 64, width: 64)
        let logits = head.logits(imageFeatures: img, count: 2).map { $0 / ZeroShotHead.logitScale }
        XCTAssertLessThanOrEqual(MambaFixtures.worst(logits, try out.tensor("logits_ema").data[...]).err, 1e-4)
    }

    /// mamba-clip's tokenizer: the ImageNet prompts' ids, and an over-long text cut to 77 ids without EOT.
    func testTokenizerCases() throws {
        let vocab = Mirror.url("openai-clip/bpe_simple_vocab_16e6.txt.gz")
        guard FileManager.default.fileExists(atPath: vocab.path) else { throw XCTSkip("mirror file \(vocab.path) is absent") }
        let tok = MambaCLIPTokenizer(base: try CLIPTokenizer(vocabulary: vocab, variant: .openai))
        let cases = (try MambaFixtures.expected()["tokenizer"] as! [String: Any])["cases"] as! [[String: Any]]
        XCTAssertGreaterThan(cases.count, 20)
        for c in cases {
            let text = c["text"] as! String
            let ids = tok.tokenize(text)
            XCTAssertEqual(ids.count, 77)
            if let full = c["ids_full_77"] as? [Int] {
                XCTAssertEqual(ids.map(Int.init), full, text)
                XCTAssertFalse(ids.contains(CLIPTokenizer.endOfText), "over-long text keeps no EOT")
            } else {
                let prefix = c["ids_nonzero_prefix"] as! [Int]
                XCTAssertEqual(ids.prefix(prefix.count).map(Int.init), prefix, text)
                XCTAssertTrue(ids.dropFirst(prefix.count).allSatisfy { $0 == 0 }, text)
            }
        }
    }

    /// Backbone-only safetensors (keys as under `visual_e.`) give features and refuse embeddings.
    func testBackboneOnlyFile() throws {
        let exp = try MambaFixtures.expected()
        let m = (exp["models"] as! [String: Any])["vmamba_tiny_v3noz"] as! [String: Any]
        let json = try JSONSerialization.data(withJSONObject: ["kind": "vmamba", "config": m["config"]!])
        let (arch, _) = try MambaCLIPModel.Architecture.fromJSON(json, file: "arch.json")
        let model = try MambaCLIPModel(architecture: arch, url: try MambaFixtures.require("vmamba_tiny_v3noz/weights.safetensors"))
        let acts = try MambaFixtures.tensors("vmamba_tiny_v3noz/activations_b.safetensors")
        let f = model.features(acts["input"]!.data, count: 1, height: 48, width: 80)
        XCTAssertLessThanOrEqual(MambaFixtures.worst(f, acts["output"]!.data[...]).err, 1e-4)
        XCTAssertThrowsError(try model.encodeImages(acts["input"]!.data, count: 1, height: 48, width: 80))
    }

    func testNamedArchitecturesCountParameters() {
        XCTAssertEqual(MambaCLIPModel.Architecture.named("vmamba-t220")?.parameterCount, 31_715_904)
        XCTAssertEqual(MambaCLIPModel.Architecture.named("vmamba-s")?.parameterCount, 49_378_752)
        XCTAssertEqual(MambaCLIPModel.Architecture.named("vmamba-b")?.parameterCount, 87_532_800)
        XCTAssertEqual(MambaCLIPModel.Architecture.named("simba-l")?.parameterCount, 65_736_512)
        XCTAssertNil(MambaCLIPModel.Architecture.named("vmamba-t"))
    }
}

/// The configuration-derived tensor layouts name and shape every key of the real CLIP-Mamba towers
/// (`ref/real_keys_*.json`, keys under `visual_e.`), so seeded random weights load into the real architectures.
final class MambaTensorLayoutTests: XCTestCase {
    private func realKeys(_ model: String) throws -> [String: [Int]] {
        let data = try Data(contentsOf: try MambaFixtures.require("ref/real_keys_\(model).json"))
        let obj = try JSONSerialization.jsonObject(with: data)
        var out: [String: [Int]] = [:]
        func add(_ k: String, _ v: Any) {
            guard k.hasPrefix("visual_e."), !k.hasSuffix("num_batches_tracked") else { return }
            let shape = ((v as? [Any])?.last as? [Int]) ?? []
            out[String(k.dropFirst(9))] = shape
        }
        if let d = obj as? [String: Any] {
            let inner = (d["keys"] as? [String: Any]) ?? (d["state_dict"] as? [String: Any]) ?? d
            for (k, v) in inner { add(k, v) }
        } else if let a = obj as? [[String: Any]] {
            for e in a { if let k = e["name"] as? String { add(k, e) } }
        }
        return out
    }

    func testLayoutsMatchRealKeys() throws {
        let cases: [(String, [(name: String, shape: [Int])])] = [
            ("CLIP_VMamba_T220", VMambaConfig.t220.tensorShapes), ("CLIP_VMamba_S", VMambaConfig.small.tensorShapes),
            ("CLIP_VMamba_B", VMambaConfig.base.tensorShapes), ("CLIP_Simba_L", SiMBAConfig.large.tensorShapes),
        ]
        for (model, shapes) in cases {
            let real = try realKeys(model)
            XCTAssertFalse(real.isEmpty, model)
            let ours = Dictionary(uniqueKeysWithValues: shapes.map { ($0.name, $0.shape) })
            XCTAssertEqual(Set(ours.keys), Set(real.keys), model)
            for (k, s) in ours where real[k] != nil { XCTAssertEqual(s, real[k], "\(model) \(k)") }
        }
    }
}

final class MambaCLIPPreprocessingTests: XCTestCase {
    /// The 8-bit crop is exact (recovered from the fixture as round((x·std + mean)·255)), and the float pixels
    /// equal the fixture's within float rounding.
    func testPreprocessingMatchesFixture() throws {
        let img = try Image8(contentsOf: try MambaFixtures.require("preprocess/input_200x150.png"))
        let want = try MambaFixtures.tensors("preprocess/expected.safetensors")["pixel_values"]!.data
        let crop = try MambaCLIPPreprocessing.crop8(img)
        XCTAssertEqual(crop.width, 224); XCTAssertEqual(crop.height, 224); XCTAssertEqual(crop.channels, 3)
        var differing = 0
        let plane = 224 * 224
        for c in 0..<3 {
            for i in 0..<plane {
                let v = Int(((Double(want[c * plane + i]) * Double(MambaCLIPPreprocessing.std[c]) + Double(MambaCLIPPreprocessing.mean[c])) * 255).rounded())
                if Int(crop.samples[i * 3 + c]) != v { differing += 1 }
            }
        }
        XCTAssertEqual(differing, 0, "8-bit crop differs from the reference")
        let px = try MambaCLIPPreprocessing.pixels(img)
        XCTAssertLessThanOrEqual(MambaFixtures.worst(px, want[...]).err, 1e-6)
    }

    func testSpecParsing() throws {
        let (a, name, heads, url) = try MambaCLIPSpec.parse("simba-l:/tmp/x.pt")
        XCTAssertEqual(a, .simba(.large)); XCTAssertEqual(name, "simba-l"); XCTAssertNil(heads)
        XCTAssertEqual(url.path, "/tmp/x.pt")
        XCTAssertThrowsError(try MambaCLIPSpec.parse("vmamba-t:/tmp/x.pt"))
        XCTAssertThrowsError(try MambaCLIPSpec.parse("vmamba-s"))
    }
}
