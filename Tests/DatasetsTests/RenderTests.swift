@testable import Datasets
import Distortions
import Foundation
import Imaging
import TestSupport
import XCTest

final class RenderTests: XCTestCase {
    /// Pillow BILINEAR, hand-computed: 4 → 2 has three taps per output (support 2), weights 3/7, 3/7, 1/7 in
    /// 22-bit fixed point: (0·w + 100·w + 200·w') → 71, (100·w' + 200·w + 255·w) → 209 (Pillow 13 agrees).
    func testBilinearDownscaleHandComputed() {
        let row = Image8(channels: 3, height: 1, width: 4, samples: [0, 0, 0, 100, 100, 100, 200, 200, 200, 255, 255, 255])
        XCTAssertEqual(SourcePreparation.resizeBilinear(row, width: 2, height: 1).samples, [71, 71, 71, 209, 209, 209])
    }

    /// Upscaling 3 × 2 → 5 × 7, values printed by Pillow 13.0 (`Image.resize((5, 7), BILINEAR)`).
    func testBilinearUpscaleMatchesPillow() {
        let image = Image8(channels: 3, height: 2, width: 3, samples: (0..<18).map { UInt8($0 * 13) })
        let expected: [UInt8] = [0, 13, 26, 16, 29, 42, 39, 52, 65, 62, 75, 88, 78, 91, 104, 0, 13, 26, 16, 29, 42, 39, 52, 65, 62, 75, 88, 78, 91, 104, 25, 38, 51, 41, 54, 67, 64, 77, 90, 87, 100, 113, 103, 116, 129, 59, 72, 85, 75, 88, 101, 98, 111, 124, 121, 134, 147, 137, 150, 163, 92, 105, 118, 108, 121, 134, 131, 144, 157, 154, 167, 180, 170, 183, 196, 117, 130, 143, 133, 146, 159, 156, 169, 182, 179, 192, 205, 195, 208, 221, 117, 130, 143, 133, 146, 159, 156, 169, 182, 179, 192, 205, 195, 208, 221]
        XCTAssertEqual(SourcePreparation.resizeBilinear(image, width: 5, height: 7).samples, expected)
    }

    /// Resize(256) + CenterCrop(224) against Pillow (Tests/Fixtures/datasets/make_resize_fixture.py).
    func testResizeCropMatchesPillowFixture() throws {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: Mirror.fixture("datasets/resize-crop.json"))) as! [String: Any]
        var inputs: [(String, URL)] = [("source-300x200.png", Mirror.fixture("datasets/source-300x200.png"))]
        let bottle = Mirror.url("texture-vs-shape/originals/bottle/bottle1.png")
        if FileManager.default.fileExists(atPath: bottle.path) { inputs.append(("texture-vs-shape/originals/bottle/bottle1.png", bottle)) }
        for (key, url) in inputs {
            let expected = try XCTUnwrap(json[key] as? [String: Any], key)
            let out = SourcePreparation.prepare(try Image8(contentsOf: url))
            XCTAssertEqual(out.width, 224)
            XCTAssertEqual(out.height, 224)
            XCTAssertEqual(FileDigest.sha256(of: Data(out.samples)), expected["sha256"] as? String, key)
            for (position, value) in try XCTUnwrap(expected["samples"] as? [String: [Int]]) {
                let xy = position.split(separator: ",").map { Int($0)! }
                let i = (xy[1] * 224 + xy[0]) * 3
                XCTAssertEqual(out.samples[i..<(i + 3)].map(Int.init), value, "\(key) at \(position)")
            }
        }
        // A 224 × 224 RGB input is used unchanged; grey becomes three equal channels.
        let grey = Image8(channels: 1, height: 224, width: 224, samples: (0..<(224 * 224)).map { UInt8($0 % 251) })
        let rgb = SourcePreparation.prepare(grey)
        XCTAssertEqual(rgb.channels, 3)
        XCTAssertEqual(Array(rgb.samples[(3 * 300)..<(3 * 301)]), [UInt8(300 % 251), UInt8(300 % 251), UInt8(300 % 251)])
    }

    func renderer() throws -> any StimulusRenderer {
        guard FileManager.default.fileExists(atPath: Mirror.root.path) else { throw XCTSkip("mirror not found") }
        let resolver = try AssetResolver(manifest: Manifest.load(folder: ManifestTests.manifestFolder), mirror: Mirror.root,
                                         cache: FileManager.default.temporaryDirectory.appendingPathComponent("oodbench-unused-cache"), offline: true)
        return try StimulusRenderers.standard(resolver: resolver)
    }

    /// The rendered stimulus is the distortion of the source at the task's condition and seed, quantised round half
    /// up: checked for every condition of uniform-noise (random), power-equalisation and false-colour (data tables).
    func testRendererAppliesTheTasksDistortionConditionAndSeed() throws {
        let renderer = try renderer()
        let source = Mirror.url("texture-vs-shape/silhouette")
        let tables = try DistortionTables(searching: Mirror.url("generalisation-humans-DNNs"))
        for name in ["uniform-noise", "power-equalisation", "false-colour"] {
            let plan = try TrialPlanner.balancedPlan(try Catalog.require(name), source: source, seed: 11, perCondition: 1)
            for task in plan.filter({ $0.fileName.contains("_bear_") }) {
                let rendered = try Image8(data: try renderer.render(task))
                let image = try Image8(contentsOf: task.source)
                let direct = try Distortion.named(name)!.apply(to: image, condition: task.condition, seed: task.seed, tables: tables).image8(.roundHalfUp)
                XCTAssertEqual(rendered, direct, task.fileName)
            }
        }
    }

    /// The tasks of `datasets` (silhouette sources, seed 2) that use the first plan's first photograph, and their
    /// bytes rendered together through `render(sameSource:)`.
    func renderedTogether(_ renderer: any StimulusRenderer, datasets: [String]) throws -> [(GenerationTask, Data)] {
        let source = Mirror.url("texture-vs-shape/silhouette")
        let plans = try datasets.map { name in
            try TrialPlanner.balancedPlan(try Catalog.require(name), source: source, seed: 2, perCondition: 1)
        }
        let shared = plans[0][0].source
        let tasks = plans.flatMap { $0.filter { $0.source == shared } }
        var together: [Data?] = Array(repeating: nil, count: tasks.count)
        try renderer.render(sameSource: tasks) { index, bytes in together[index] = bytes }
        return try tasks.indices.map { (tasks[$0], try XCTUnwrap(together[$0], "\(tasks[$0].fileName) not delivered")) }
    }

    /// A source's tasks rendered together (one decode, one engine) give the same bytes as one by one, across datasets.
    func testRenderingOneSourceTogetherMatchesOneByOne() throws {
        let renderer = try renderer()
        let rendered = try renderedTogether(renderer, datasets: ["uniform-noise", "contrast", "low-pass", "false-colour"])
        XCTAssertGreaterThanOrEqual(Set(rendered.map(\.0.dataset)).count, 2, "the photograph is used by several datasets")
        for (task, bytes) in rendered {
            XCTAssertEqual(bytes, try renderer.render(task), task.fileName)
        }
    }

    /// eidolon I, II and III of one photograph through one engine (the scale space computed once, and through their
    /// shared seed the noise planes drawn once) give the bytes of separate renders by fresh factories.
    func testEidolonsOfOneSourceTogetherMatchOneByOne() throws {
        let rendered = try renderedTogether(try renderer(), datasets: ["eidolonI", "eidolonII", "eidolonIII"])
        XCTAssertEqual(Set(rendered.map(\.0.dataset)).count, 3)
        XCTAssertEqual(Set(rendered.map(\.0.seed)).count, 1, "one photograph, one eidolon seed")
        for (task, bytes) in rendered {
            let picture = try EidolonPicture(image: try Image8(contentsOf: task.source))
            let dataset = EidolonDataset(rawValue: task.dataset)!
            let direct = EidolonFactory().render(picture, condition: dataset.condition(task.condition)!, seed: task.seed)
            XCTAssertEqual(try Image8(data: bytes), direct.stimulus, task.fileName)
        }
    }

    /// One eidolon through the renderer: the factory's 224 px stimulus at the task's condition and seed.
    func testRendererMakesEidolons() throws {
        let renderer = try renderer()
        let source = Mirror.url("texture-vs-shape/silhouette")
        let plan = try TrialPlanner.balancedPlan(try Catalog.require("eidolonII"), source: source, seed: 11, perCondition: 1)
        let task = plan[3]
        let rendered = try Image8(data: try renderer.render(task))
        let picture = try EidolonPicture(image: try Image8(contentsOf: task.source))
        let direct = EidolonFactory().render(picture, condition: EidolonDataset.eidolonII.condition(task.condition)!, seed: task.seed).stimulus
        XCTAssertEqual(rendered, direct)
    }

    /// Real renderer, real files: `--jobs 1` and `--jobs 2` give identical bytes.
    func testRealGenerationIsIndependentOfJobs() throws {
        let renderer = try renderer()
        let plan = Array(try TrialPlanner.balancedPlan(try Catalog.require("uniform-noise"), source: Mirror.url("texture-vs-shape/edge"), seed: 4, perCondition: 1).prefix(24))
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("oodbench-jobs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        try Generator(renderer: renderer, jobs: 1).run(plan, out: scratch.appendingPathComponent("a"))
        try Generator(renderer: renderer, jobs: 2).run(plan, out: scratch.appendingPathComponent("b"))
        for task in plan {
            let a = try Data(contentsOf: Generator.imageFolder(out: scratch.appendingPathComponent("a"), dataset: "uniform-noise").appendingPathComponent(task.fileName))
            let b = try Data(contentsOf: Generator.imageFolder(out: scratch.appendingPathComponent("b"), dataset: "uniform-noise").appendingPathComponent(task.fileName))
            XCTAssertEqual(a, b, task.fileName)
        }
    }

    func testUnreadableSourceIsNamed() throws {
        let renderer = try renderer()
        let bad = FileManager.default.temporaryDirectory.appendingPathComponent("oodbench-not-an-image-\(UUID().uuidString).png")
        try Data("hello".utf8).write(to: bad)
        defer { try? FileManager.default.removeItem(at: bad) }
        let task = GenerationTask(dataset: "contrast", source: bad, condition: "c05", fileName: "0001_cop_dnn_c05_cat_10_cat-x.png", seed: 1)
        XCTAssertThrowsError(try renderer.render(task)) { XCTAssertTrue("\($0)".hasPrefix(bad.path), "\($0)") }
    }
}
