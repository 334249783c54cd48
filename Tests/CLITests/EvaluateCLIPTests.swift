import Foundation
import TestSupport
import XCTest

/// `oodbench evaluate --model clip:…` end to end on the mirror's cue-conflict (321-image subset), edge and
/// silhouette with the tiny seeded fixture model (R = 32) and the direct16 protocol.
final class EvaluateCLIPTests: XCTestCase {
    static let categories: Set<String> = ["airplane", "bear", "bicycle", "bird", "boat", "bottle", "car", "cat", "chair",
                                          "clock", "dog", "elephant", "keyboard", "knife", "oven", "truck"]

    func testEvaluateThreeDatasetsAndResume() throws {
        guard FileManager.default.fileExists(atPath: Mirror.url("texture-vs-shape/edge").path),
              FileManager.default.fileExists(atPath: Mirror.url("clip-fixtures/models").path) else { throw XCTSkip("mirror not found") }
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("oodbench-clip-eval-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: tmp) }
        let models = Mirror.url("clip-fixtures/models").path
        let args = ["evaluate", "--model", "clip:\(models)/vit_gelu.safetensors@\(models)/vit_gelu.json", "--protocol", "direct16",
                    "--dataset", "cue-conflict", "edge", "silhouette", "--out", tmp.appendingPathComponent("out").path, "--batch", "64"]
        let env = ["OODBENCH_CACHE": tmp.appendingPathComponent("cache").path]
        let first = try EmbedCommandTests.run(args, environment: env)
        XCTAssertEqual(first.status, 0, first.stderr)
        var csvs: [String: Data] = [:]
        for (dataset, count) in [("cue-conflict", 321), ("edge", 160), ("silhouette", 160)] {
            let url = tmp.appendingPathComponent("out/raw-data/\(dataset)/\(dataset)_clip-vit-gelu-direct16_session-1.csv")
            let data = try Data(contentsOf: url)
            csvs[dataset] = data
            let lines = String(decoding: data, as: UTF8.self).split(whereSeparator: { $0.isNewline })
            XCTAssertEqual(lines.first, "subj,session,trial,rt,object_response,category,condition,imagename")
            XCTAssertEqual(lines.count, count + 1, dataset)
            for line in lines.dropFirst() {
                let f = line.split(separator: ",", omittingEmptySubsequences: false)
                XCTAssertEqual(f[0], "clip_vit-gelu_direct16")
                XCTAssertTrue(Self.categories.contains(String(f[4])), "\(dataset): \(line)")
            }
        }
        let run = String(decoding: try Data(contentsOf: tmp.appendingPathComponent("out/run.json")), as: UTF8.self)
        XCTAssertTrue(run.contains("\"zero_shot_protocol\" : \"direct16\""), run)
        XCTAssertTrue(run.contains("\"weights_sha256\" : \"75e458f8660dd085e57c4ef192a2da57e738d8338389f886693bb7000836022f\""), run)
        // the head was cached; a second run reuses it and leaves identical CSVs
        let cached = try FileManager.default.contentsOfDirectory(atPath: tmp.appendingPathComponent("cache/zero-shot").path)
        XCTAssertEqual(cached.count, 1)
        let second = try EmbedCommandTests.run(args, environment: env)
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertFalse(second.stderr.contains("zero-shot head:"), second.stderr)
        for (dataset, data) in csvs {
            let again = try Data(contentsOf: tmp.appendingPathComponent("out/raw-data/\(dataset)/\(dataset)_clip-vit-gelu-direct16_session-1.csv"))
            XCTAssertEqual(again, data, dataset)
        }
    }
}
