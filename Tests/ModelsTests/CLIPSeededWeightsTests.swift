import Foundation
import XCTest
import TestSupport
@testable import Models

final class CLIPSeededWeightsTests: XCTestCase {
    func testFormula() {
        XCTAssertEqual(CLIPSeededWeights.fnv1a("a"), 0xE40C_292C)   // FNV-1a 32-bit test vector
        XCTAssertEqual(CLIPSeededWeights.fnv1a(""), 0x811C_9DC5)
        let h = Double(CLIPSeededWeights.fnv1a("visual.ln_pre.bias")) / 4_294_967_296.0
        let b = CLIPSeededWeights.tensor("visual.ln_pre.bias", shape: [4])
        XCTAssertEqual(b.data[1], Float(0.02 * (2 * (0.6180339887498949 + h).truncatingRemainder(dividingBy: 1) - 1)))
        let w = CLIPSeededWeights.tensor("visual.transformer.resblocks.0.ln_1.weight", shape: [3])
        XCTAssertEqual(w.data[0], Float(1 + 0.1 * (2 * Double(CLIPSeededWeights.fnv1a("visual.transformer.resblocks.0.ln_1.weight")) / 4_294_967_296.0 - 1)))
        let proj = CLIPSeededWeights.tensor("visual.proj", shape: [8, 2])
        XCTAssertLessThanOrEqual(proj.data.map(abs).max()!, Float((6.0 / 8).squareRoot()) + 1e-6)
        XCTAssertEqual(CLIPSeededWeights.tensor("logit_scale", shape: []).data, [Float(log(100.0))])
    }

    func testSeededSpecBuildsAModel() throws {
        let spec = try XCTUnwrap(CLIPModelSpec("clip:seeded@/nonexistent.json"))
        XCTAssertEqual(spec.source, "seeded"); XCTAssertEqual(spec.arch, "/nonexistent.json")
        XCTAssertNil(CLIPModelSpec("efficientnet-lite0"))
        let p = try XCTUnwrap(CLIPModelSpec("clip:/a/b.pt"))
        XCTAssertEqual(p.source, "/a/b.pt"); XCTAssertNil(p.arch)
        // a small ViT so the test stays fast
        var cfg = CLIPConfig.named("ViT-B-32-quickgelu")!
        cfg.vision = .vit(width: 64, layers: 1, heads: 2, patch: 32)
        cfg.textWidth = 16; cfg.textHeads = 2; cfg.textLayers = 1; cfg.embedDim = 8
        let m = try CLIPSeededWeights.model(config: cfg)
        let f = m.encodeImages([Float](repeating: 0.1, count: 3 * 224 * 224), count: 1)
        XCTAssertEqual(f.count, 8)
        XCTAssertTrue(f.allSatisfy { $0.isFinite })
    }
}

/// Full ViT-B/32 (QuickGELU) with formula weights against Tests/Fixtures/clip-vitb32/expected.json (made by the
/// committed make_expected.py: a float64 numpy implementation of specs/clip.md §4; see its docstring).
final class CLIPViTB32ParityTests: XCTestCase {
    func testFullSizeEmbeddings() throws {
        let url = Mirror.fixture("clip-vitb32/expected.json")
        let exp = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        let model = try CLIPSeededWeights.model(config: CLIPConfig.named("ViT-B-32-quickgelu")!)
        let pixels = (0..<(3 * 224 * 224)).map { Float(1.5 * sin(0.37 * Double($0))) }
        let img = model.encodeImages(pixels, count: 1)
        let txt = try model.encodeTexts([(exp["tokens"] as! [Int]).map { Int32($0) }])
        let tol = Float(exp["tolerance_max_abs"] as! Double)
        for (got, key) in [(img, "image_embedding"), (txt, "text_embedding")] {
            let want = (exp[key] as! [Double]).map { Float($0) }
            XCTAssertEqual(got.count, 512)
            let worst = zip(got, want).map { abs($0 - $1) }.max()!
            XCTAssertLessThanOrEqual(worst, tol, "\(key): max-abs \(worst)")
        }
    }
}
