import Foundation
import XCTest
import TestSupport
import Inference
@testable import Models

/// The prefix-shared text path (`CLIPModel.encodeTextsSharingPrefix`, `ZeroShotHead.build(sharePrefixes:)`) against
/// the plain one (`encodeTexts`, every prompt run in full) and the open_clip fixtures: embeddings within 1e-5
/// relative, decisions identical.
final class CLIPPrefixSharingTests: XCTestCase {
    static let dir = Mirror.url("clip-fixtures")
    static let vocabulary = Mirror.url("openai-clip/bpe_simple_vocab_16e6.txt.gz")

    /// Templates of the real 80 (a long prefix, a short one, `{}` second) and two with `{}` first.
    static let templates = ["a bad photo of a {}.", "a photo of the hard to see {}.", "a {} in a video game.",
                            "the {} in a video game.", "{} in a video game.", "{}"]
    /// Real ImageNet class names: one token, several tokens, hyphens, an apostrophe-free capitalised name.
    static let names = ["tench", "great white shark", "frilled-necked lizard", "Soft-coated Wheaten Terrier",
                        "eastern hog-nosed snake", "tusker", "Great Dane"]

    func tokenizer() throws -> CLIPTokenizer {
        guard FileManager.default.fileExists(atPath: Self.vocabulary.path) else {
            throw XCTSkip("the BPE vocabulary is not in the mirror at \(Self.vocabulary.path)")
        }
        return try CLIPTokenizer(vocabulary: Self.vocabulary, variant: .openClip)
    }

    func fixtureModel(_ name: String) throws -> CLIPModel {
        let models = Self.dir.appendingPathComponent("models")
        guard FileManager.default.fileExists(atPath: models.appendingPathComponent("\(name).safetensors").path) else {
            throw XCTSkip("clip-fixtures not in the mirror at \(Self.dir.path)")
        }
        return try CLIPLoader.load(models.appendingPathComponent("\(name).safetensors"),
                                   arch: models.appendingPathComponent("\(name).json").path).model
    }

    /// Every row of `got` within `relative` × the row's largest magnitude of `want`'s row.
    func assertRowsClose(_ got: [Float], _ want: [Float], width: Int, relative: Float = 1e-5, _ what: String,
                         file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.count, want.count, what, file: file, line: line)
        guard got.count == want.count, width > 0 else { return }
        for r in 0..<(want.count / width) {
            let g = got[(r * width)..<((r + 1) * width)], w = want[(r * width)..<((r + 1) * width)]
            let scale = w.map(abs).max()!, worst = zip(g, w).map { abs($0 - $1) }.max()!
            XCTAssertGreaterThan(scale, 0, "\(what) row \(r) is zero", file: file, line: line)
            XCTAssertLessThanOrEqual(worst, relative * scale, "\(what) row \(r): max-abs \(worst) of \(scale)", file: file, line: line)
        }
    }

    func prompts(_ tok: CLIPTokenizer, template: String, names: [String]) -> [[Int32]] {
        names.map { tok.tokenize(template.replacingOccurrences(of: "{}", with: $0)).ids }
    }

    func testSharedPrefixLength() {
        let sot: Int32 = 49_406, eot: Int32 = 49_407
        func row(_ ids: [Int32]) -> [Int32] { [sot] + ids + [eot] + [Int32](repeating: 0, count: 75 - ids.count) }
        XCTAssertEqual(CLIPTextTransformer.sharedPrefixLength([]), 0)
        XCTAssertEqual(CLIPTextTransformer.sharedPrefixLength([row([5, 6, 7]), row([5, 6, 8])]), 3)
        XCTAssertEqual(CLIPTextTransformer.sharedPrefixLength([row([5, 6, 7]), row([9])]), 1)
        // capped at the earliest EOT: identical rows keep their EOT token, the empty prompt keeps it too
        XCTAssertEqual(CLIPTextTransformer.sharedPrefixLength([row([5, 6]), row([5, 6])]), 3)
        XCTAssertEqual(CLIPTextTransformer.sharedPrefixLength([row([5, 6]), row([])]), 1)
        // no common first id (rows not starting with SOT): no prefix
        XCTAssertEqual(CLIPTextTransformer.sharedPrefixLength([[1, 2, eot], [2, 2, eot]]), 0)
    }

    /// The fixtures' own prompts (empty, truncated long text, …) and templates × multi-token class names, on
    /// the three tiny open_clip models (ViT GELU, ViT QuickGELU, ModifiedResNet): shared = plain, and both
    /// match open_clip's text features.
    func testSharedEqualsPlainOnFixtureModels() throws {
        let tok = try tokenizer()
        let inputs = try SafetensorsFile(url: Self.dir.appendingPathComponent("inputs.safetensors"))
        let (shape, values) = try inputs.int32s("tokens")
        let fixtureRows = (0..<shape[0]).map { Array(values[($0 * 77)..<(($0 + 1) * 77)]) }
        let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.dir.appendingPathComponent("expected.json"))) as! [String: Any]
        let tolerance = Float(((expected["tolerances"] as! [String: Any])["features_max_abs"] as! Double))
        for name in ["vit_gelu", "vit_quickgelu", "rn_quickgelu"] {
            let model = try fixtureModel(name)
            let e = model.embedDim
            let want = ((expected["models"] as! [String: Any])[name] as! [String: Any])["text_features"] as! [[Double]]
            let shared = try model.encodeTextsSharingPrefix(fixtureRows, batchTokens: 7)
            assertRowsClose(shared, try model.encodeTexts(fixtureRows), width: e, "\(name) fixture prompts")
            let worst = zip(shared, want.flatMap { $0 }).map { abs($0 - Float($1)) }.max()!
            XCTAssertLessThanOrEqual(worst, tolerance, "\(name) shared path vs open_clip: max-abs \(worst)")
            // the two "a photo of a …" prompts share 5 ids; with the empty prompt the prefix is SOT only
            assertRowsClose(try model.encodeTextsSharingPrefix(Array(fixtureRows[0..<2])),
                            try model.encodeTexts(Array(fixtureRows[0..<2])), width: e, "\(name) a photo of a")
            assertRowsClose(try model.encodeTextsSharingPrefix([fixtureRows[0], fixtureRows[0], fixtureRows[3]]),
                            try model.encodeTexts([fixtureRows[0], fixtureRows[0], fixtureRows[3]]), width: e, "\(name) with empty")
            for template in Self.templates {
                let rows = prompts(tok, template: template, names: Self.names)
                assertRowsClose(try model.encodeTextsSharingPrefix(rows, batchTokens: 11), try model.encodeTexts(rows), width: e,
                                "\(name) \(template)")
            }
            // names that all start with "great": the shared prefix runs into the class name
            let great = prompts(tok, template: "a photo of a {}.", names: ["great white shark", "great grey owl", "great egret", "Great Dane"])
            XCTAssertEqual(CLIPTextTransformer.sharedPrefixLength(great), 6)
            assertRowsClose(try model.encodeTextsSharingPrefix(great), try model.encodeTexts(great), width: e, "\(name) great …")
            // several templates in one call, groups interleaved, batches crossing groups; a group without SOT
            // (no common first id: no prefix) and a group of one row
            var mixed: [[Int32]] = [], groups: [Int] = []
            for (i, name) in Self.names.enumerated() {
                for (g, template) in Self.templates.enumerated() {
                    mixed.append(prompts(tok, template: template, names: [name])[0]); groups.append(g)
                }
                if i < 2 { mixed.append([Int32(320 + i), 49_407] + [Int32](repeating: 0, count: 75)); groups.append(99) }
            }
            mixed.append(great[0]); groups.append(-1)
            assertRowsClose(try model.encodeTextsSharingPrefix(mixed, groups: groups, batchTokens: 13), try model.encodeTexts(mixed),
                            width: e, "\(name) mixed groups")
            // one row: everything but its EOT token is the prefix
            let one = Array(great.prefix(1))
            assertRowsClose(try model.encodeTextsSharingPrefix(one), try model.encodeTexts(one), width: e, "\(name) one row")
        }
    }

    /// The zero-shot head built both ways on the fixture models: classifiers within 1e-5, logits' decisions
    /// identical on the fixture images, and the shared head within the fixture's tolerance of open_clip's.
    func testHeadSharedEqualsPlain() throws {
        let tok = try tokenizer()
        let inputs = try SafetensorsFile(url: Self.dir.appendingPathComponent("inputs.safetensors"))
        for name in ["vit_gelu", "rn_quickgelu"] {
            let model = try fixtureModel(name)
            let shared = try ZeroShotHead.build(model: model, tokenizer: tok, classNames: Self.names, templates: Self.templates, batch: 4)
            let plain = try ZeroShotHead.build(model: model, tokenizer: tok, classNames: Self.names, templates: Self.templates,
                                               batch: 4, sharePrefixes: false)
            assertRowsClose(shared.classifier, plain.classifier, width: model.embedDim, "\(name) classifier")
            let pixels = try inputs.tensor("pixels_\(name)")
            let feats = model.encodeImages(pixels.data, count: pixels.shape[0])
            let a = shared.logits(imageFeatures: feats, count: pixels.shape[0]), b = plain.logits(imageFeatures: feats, count: pixels.shape[0])
            let k = Self.names.count
            for i in 0..<pixels.shape[0] {
                let ra = Array(a[(i * k)..<((i + 1) * k)]), rb = Array(b[(i * k)..<((i + 1) * k)])
                XCTAssertEqual(ra.firstIndex(of: ra.max()!), rb.firstIndex(of: rb.max()!), "\(name) image \(i)")
            }
        }
    }

    /// ViT-B/32's text tower (width 512, 8 heads, 12 layers; formula weights, a small image tower to keep the
    /// test fast) on real templates and class names: shared = plain within 1e-5 relative.
    func testSharedEqualsPlainFullSizeTextTower() throws {
        let tok = try tokenizer()
        var config = CLIPConfig.named("ViT-B-32-quickgelu")!
        config.vision = .vit(width: 64, layers: 1, heads: 2, patch: 32)
        let model = try CLIPSeededWeights.model(config: config)
        for template in ["a bad photo of a {}.", "a {} in a video game.", "{} in a video game."] {
            let rows = prompts(tok, template: template, names: Self.names)
            assertRowsClose(try model.encodeTextsSharingPrefix(rows, batchTokens: 16), try model.encodeTexts(rows), width: model.embedDim,
                            "ViT-B/32 text \(template)")
        }
    }
}
