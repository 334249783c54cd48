import Foundation
import TestSupport
import XCTest

/// `oodbench embed` and `evaluate --model clip:…`, run as a user runs them, against the clip-fixtures.
final class EmbedCommandTests: XCTestCase {
    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
        try Self.run(arguments, environment: environment)
    }

    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
        guard Mirror.oodbenchIsBuilt else { throw XCTSkip("oodbench not built at \(Mirror.oodbenchBinary.path)") }
        let run = try Mirror.runOODBench(arguments, environment: environment)
        return (run.status, run.stdout, run.stderr)
    }

    var models: URL { Mirror.url("clip-fixtures/models") }

    func expected() throws -> [String: Any] {
        let url = Mirror.url("clip-fixtures/expected.json")
        guard let d = try? Data(contentsOf: url) else { throw XCTSkip("clip-fixtures not in the mirror") }
        return try JSONSerialization.jsonObject(with: d) as! [String: Any]
    }

    func testEmbedTextsAndImagesMatchOpenCLIP() throws {
        let exp = try expected()
        let prompts = exp["text_prompts"] as! [String]
        let m = (exp["models"] as! [String: Any])["vit_gelu"] as! [String: Any]
        let spec = "clip:\(models.path)/vit_gelu.safetensors@\(models.path)/vit_gelu.json"
        let r = try run(["embed", "--model", spec, "--text"] + prompts.prefix(3) + ["--tokens"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let texts = json["texts"] as! [[String: Any]]
        let want = m["text_features"] as! [[Double]]
        for i in 0..<3 {
            let got = texts[i]["embedding"] as! [Double]
            XCTAssertEqual(got.count, 24)
            for j in 0..<24 { XCTAssertEqual(got[j], want[i][j], accuracy: 2e-4, "text \(i)[\(j)]") }
        }
        XCTAssertEqual((texts[0]["tokens"] as! [Int]).prefix(8), [49406, 320, 1125, 539, 320, 2368, 269, 49407])

        let names = exp["image_names"] as! [String]
        let images = names.prefix(2).map { Mirror.url("clip-fixtures/images/\($0).png").path }
        let ri = try run(["embed", "--model", spec, "--image"] + images)
        XCTAssertEqual(ri.status, 0, ri.stderr)
        let ij = try JSONSerialization.jsonObject(with: Data(ri.stdout.utf8)) as! [String: Any]
        let wantI = m["image_features"] as! [[Double]]
        for (i, e) in (ij["images"] as! [[String: Any]]).enumerated() {
            let got = e["embedding"] as! [Double]
            for j in 0..<24 { XCTAssertEqual(got[j], wantI[i][j], accuracy: 2e-4, "image \(i)[\(j)]") }
        }
    }

    func testEmbedRefusals() throws {
        _ = try expected()
        let noArch = try run(["embed", "--model", "clip:\(models.path)/vit_gelu.safetensors", "--text", "x"])
        XCTAssertEqual(noArch.status, 1)
        XCTAssertTrue(noArch.stderr.contains("needs its architecture"), noArch.stderr)
        let usage = try run(["embed", "--model", "efficientnet-lite0", "--text", "x"])
        XCTAssertEqual(usage.status, 64, usage.stderr)
        let bad = try run(["embed", "--model", "clip:\(models.path)/vit_gelu.safetensors@ViT-B-32", "--text", "x"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("visual.conv1.weight has shape [64, 3, 8, 8], expected [768, 3, 32, 32]"), bad.stderr)
    }
}
