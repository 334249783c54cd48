import Foundation
import Imaging
import TestSupport
import XCTest
@testable import Models

/// `oodbench evaluate` preprocesses a stimulus as model-vs-human does — `Image.open(p).convert("RGB")` first, then
/// CLIP's bicubic resize and centre crop — which differs from open_clip's transform on the raw file (NEAREST for
/// palette, premultiplied resize for RGBA) that `oodbench embed` uses. Both against torchvision + Pillow
/// (Tests/Fixtures/clip-evaluate/make_fixture.py) on the mirror's clip-fixtures images.
final class EvaluationCropTests: XCTestCase {
    struct Pair: Decodable { let model_vs_human: String; let open_clip_raw_file: String }

    func testEvaluationCropMatchesModelVsHumansLoader() throws {
        let folder = Mirror.url("clip-fixtures/images")
        guard FileManager.default.fileExists(atPath: folder.path) else { throw XCTSkip("clip-fixtures not in the mirror at \(folder.path)") }
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: Mirror.fixture("clip-evaluate/expected.json"))) as! [String: Any]
        let images = json["images"] as! [String: [String: Any]]
        var differing = 0
        for (name, record) in images.sorted(by: { $0.key < $1.key }) {
            let url = folder.appendingPathComponent("\(name).png")
            let decoded = try Image8(data: Data(contentsOf: url), name: url.path)  // as the Evaluator decodes
            let (raw, source) = try Image8.decode(contentsOf: url)
            for r in [224, 32] {
                let want = try JSONDecoder().decode(Pair.self, from: JSONSerialization.data(withJSONObject: record[String(r)]!))
                let evaluation = CLIPPreprocessing.evaluationCrop(decoded, resolution: r)
                XCTAssertEqual(CLIPHash.sha256(Data(evaluation.samples)), want.model_vs_human, "\(name) R \(r): evaluate")
                let embed = CLIPPreprocessing.crop(raw, resolution: r, nearest: CLIPPreprocessing.needsNearest(source))
                XCTAssertEqual(CLIPHash.sha256(Data(embed.samples)), want.open_clip_raw_file, "\(name) R \(r): embed")
                if want.model_vs_human != want.open_clip_raw_file { differing += 1 }
            }
        }
        XCTAssertEqual(images.count, 5)
        XCTAssertEqual(differing, 4, "palette and RGBA differ at both resolutions")
    }
}
