@testable import Datasets
import Foundation
import TestSupport
import XCTest

/// A stand-in renderer: bytes depend only on the task (name, condition, seed, source), like a real one.
struct EchoRenderer: StimulusRenderer {
    var failOn: String? = nil
    func render(_ task: GenerationTask) throws -> Data {
        if task.fileName == failOn { throw DatasetsError.render(file: task.fileName, problem: "test failure") }
        return Data("\(task.fileName)|\(task.condition)|\(task.seed)|\(task.source.lastPathComponent)".utf8)
    }
}

/// Records the groups that `Generator` hands over (EchoRenderer's bytes).
final class GroupRecorder: StimulusRenderer, @unchecked Sendable {
    private let lock = NSLock()
    private var calls: [[GenerationTask]] = []
    var groups: [[GenerationTask]] { lock.withLock { calls } }

    func render(_ task: GenerationTask) throws -> Data { try EchoRenderer().render(task) }

    func render(sameSource tasks: [GenerationTask], deliver: (Int, Data) throws -> Void) throws {
        lock.withLock { calls.append(tasks) }
        for (index, task) in tasks.enumerated() { try deliver(index, try render(task)) }
    }
}

final class GenerateTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("oodbench-generate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    /// 16 category folders with `perCategory` (empty) JPEG files each.
    func makeCategorySource(perCategory: Int) throws -> URL {
        let root = scratch.appendingPathComponent("source")
        for category in Catalog.categories {
            let folder = root.appendingPathComponent(category)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for i in 0..<perCategory {
                FileManager.default.createFile(atPath: folder.appendingPathComponent("photo_\(i).jpg").path, contents: Data())
            }
            FileManager.default.createFile(atPath: folder.appendingPathComponent("notes.txt").path, contents: Data())
        }
        return root
    }

    func testBalancedPlanDealsImagesEvenlyAndDeterministically() throws {
        let source = try makeCategorySource(perCategory: 30)
        XCTAssertEqual(try TrialPlanner.detectLayout(source), .categories)
        let spec = try Catalog.require("uniform-noise")
        let plan = try TrialPlanner.balancedPlan(spec, source: source, seed: 1, perCondition: 3)
        XCTAssertEqual(plan.count, 16 * 8 * 3)
        var cells: [String: Int] = [:]
        var perCategorySources: [String: Set<String>] = [:]
        for task in plan {
            let name = try XCTUnwrap(StimulusName(task.fileName))
            XCTAssertEqual(name.code, "nse")
            XCTAssertEqual(name.subject, "dnn")
            XCTAssertEqual(name.count, "10")
            XCTAssertEqual(name.condition, task.condition)
            XCTAssertEqual(task.source.deletingLastPathComponent().lastPathComponent, name.category)
            cells["\(name.condition)|\(name.category)", default: 0] += 1
            perCategorySources[name.category, default: []].insert(task.source.path)
            XCTAssertEqual(task.seed, TrialPlanner.imageSeed(seed: 1, dataset: "uniform-noise", fileName: task.fileName))
        }
        XCTAssertEqual(cells.count, 8 * 16)
        XCTAssertTrue(cells.values.allSatisfy { $0 == 3 })
        XCTAssertTrue(perCategorySources.values.allSatisfy { $0.count == 24 }, "each image at most once per dataset")
        XCTAssertEqual(Set(plan.map(\.fileName)).count, plan.count)
        XCTAssertTrue(plan[0].fileName.hasPrefix("0001_nse_dnn_0.00_airplane_10_airplane-photo-"), plan[0].fileName)
        XCTAssertTrue(plan.last!.fileName.hasPrefix("0384_nse_dnn_0.90_truck_10_truck-photo-"), plan.last!.fileName)
        XCTAssertEqual(Array(plan.map { String($0.fileName.prefix(4)) }.prefix(3)), ["0001", "0002", "0003"])
        // Same seed → same plan; another seed → another draw.
        XCTAssertEqual(try TrialPlanner.balancedPlan(spec, source: source, seed: 1, perCondition: 3), plan)
        XCTAssertNotEqual(try TrialPlanner.balancedPlan(spec, source: source, seed: 2, perCondition: 3).map(\.source), plan.map(\.source))
    }

    func testBalancedPlanNeedsEnoughImages() throws {
        let source = try makeCategorySource(perCategory: 30)
        XCTAssertThrowsError(try TrialPlanner.balancedPlan(try Catalog.require("colour"), source: source, seed: 0)) { error in
            XCTAssertTrue("\(error)".contains("source/airplane: holds 30 images; colour needs 80 per category (2 conditions × 40)"), "\(error)")
        }
    }

    func testImageSeedDependsOnlyOnSeedDatasetAndName() {
        let a = TrialPlanner.imageSeed(seed: 7, dataset: "colour", fileName: "0001_cl_dnn_cr_oven_40_n04111531_14126.png")
        XCTAssertEqual(a, TrialPlanner.imageSeed(seed: 7, dataset: "colour", fileName: "0001_cl_dnn_cr_oven_40_n04111531_14126.png"))
        XCTAssertNotEqual(a, TrialPlanner.imageSeed(seed: 8, dataset: "colour", fileName: "0001_cl_dnn_cr_oven_40_n04111531_14126.png"))
        XCTAssertNotEqual(a, TrialPlanner.imageSeed(seed: 7, dataset: "contrast", fileName: "0001_cl_dnn_cr_oven_40_n04111531_14126.png"))
        XCTAssertNotEqual(a, TrialPlanner.imageSeed(seed: 7, dataset: "colour", fileName: "0002_cl_dnn_cr_oven_40_n04111531_14126.png"))
    }

    /// Both seed rules against sha256 values computed with Python's hashlib (first 4 bytes, little-endian).
    func testSeedsMatchTheirHashDefinitions() {
        XCTAssertEqual(TrialPlanner.imageSeed(seed: 7, dataset: "colour", fileName: "0001_cl_dnn_cr_oven_40_n04111531_14126.png"),
                       2_017_619_139)
        XCTAssertEqual(TrialPlanner.eidolonSeed(seed: 7, source: "n04111531_14126.png"), 2_721_459_123)
        XCTAssertEqual(TrialPlanner.eidolonSeed(seed: 8, source: "n04111531_14126.png"), 4_276_098_881)
    }

    /// Eidolon I, II and III of one photograph share its seed (the toolbox then draws the same noise planes, drawn
    /// once for the three); different photographs get different seeds, and the other datasets keep per-file seeds.
    func testEidolonStimuliOfOnePhotographShareTheirSeed() throws {
        let source = try makeCategorySource(perCategory: 8)
        var seedsBySource: [URL: Set<UInt32>] = [:]
        var datasetsBySource: [URL: Set<String>] = [:]
        for name in ["eidolonI", "eidolonII", "eidolonIII"] {
            for task in try TrialPlanner.balancedPlan(try Catalog.require(name), source: source, seed: 9, perCondition: 1) {
                let stimulus = try XCTUnwrap(StimulusName(task.fileName))
                XCTAssertEqual(task.seed, TrialPlanner.eidolonSeed(seed: 9, source: stimulus.source))
                seedsBySource[task.source, default: []].insert(task.seed)
                datasetsBySource[task.source, default: []].insert(name)
            }
        }
        // 8 images per category, 8 conditions × 1: every photograph is in all three datasets, with one seed.
        XCTAssertEqual(seedsBySource.count, 16 * 8)
        XCTAssertTrue(datasetsBySource.values.allSatisfy { $0.count == 3 })
        XCTAssertTrue(seedsBySource.values.allSatisfy { $0.count == 1 })
        XCTAssertEqual(Set(seedsBySource.values.map { $0.first! }).count, 16 * 8, "one seed per photograph")
        // Another dataset of the same photographs: per-file seeds, different from the eidolon ones.
        let rotation = try TrialPlanner.balancedPlan(try Catalog.require("rotation"), source: source, seed: 9, perCondition: 2)
        for task in rotation {
            XCTAssertEqual(task.seed, TrialPlanner.imageSeed(seed: 9, dataset: "rotation", fileName: task.fileName))
        }
    }

    /// The ImageNet layout reproduces the human experiment: for all 12 parametric datasets the planned file names
    /// equal the DNN names of the model raw data (`raw-data-models/<ds>/<ds>_resnet50_session-1.csv`), in order.
    func testImagenetTrialListReproducesTheHumanExperiment() throws {
        let raw = Mirror.url("model-vs-human/raw-data")
        guard FileManager.default.fileExists(atPath: raw.path) else { throw XCTSkip("mirror not found at \(raw.path)") }
        for spec in Catalog.parametric {
            let trials = try TrialPlanner.humanTrialList(csv: raw.appendingPathComponent("\(spec.name)/\(spec.name)_subject-01_session_1.csv"), spec: spec)
            let model = try String(contentsOf: Mirror.url("model-vs-human/raw-data-models/\(spec.name)/\(spec.name)_resnet50_session-1.csv"), encoding: .utf8)
            let names = model.components(separatedBy: "\r\n").dropFirst().filter { !$0.isEmpty }.map { String($0.split(separator: ",")[7]) }
            XCTAssertEqual(trials.map(\.fileName), names, spec.name)
            // Every source image id is an ImageNet id; build a fake ImageNet folder holding them all.
            let ids = Set(trials.map { ($0.imageID as NSString).deletingPathExtension })
            XCTAssertTrue(ids.allSatisfy { $0.hasPrefix("n0") && $0.contains("_") }, spec.name)
            if spec.name == "rotation" {
                let folder = scratch.appendingPathComponent("imagenet/train")
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                for id in ids { FileManager.default.createFile(atPath: folder.appendingPathComponent("\(id).JPEG").path, contents: Data()) }
                let root = scratch.appendingPathComponent("imagenet")
                XCTAssertEqual(try TrialPlanner.detectLayout(root), .imagenet)
                let index = try TrialPlanner.imagenetIndex(root)
                let plan = try TrialPlanner.imagenetPlan(spec, trials: trials, index: index, seed: 3, sourceFolder: root)
                XCTAssertEqual(plan.map(\.fileName), names)
                XCTAssertEqual(plan[0].source.lastPathComponent, (trials[0].imageID as NSString).deletingPathExtension + ".JPEG")
                XCTAssertEqual(plan.map(\.condition), trials.map(\.condition))
                // Remove one source image: the plan names what is missing.
                let gone = (trials[5].imageID as NSString).deletingPathExtension
                var partial = index
                partial[gone] = nil
                XCTAssertThrowsError(try TrialPlanner.imagenetPlan(spec, trials: trials, index: partial, seed: 3, sourceFolder: root)) {
                    XCTAssertTrue("\($0)".contains("are missing (first: \(gone)"), "\($0)")
                }
            }
        }
    }

    func testGeneratorOutputIsIndependentOfJobsAndResumes() throws {
        let source = try makeCategorySource(perCategory: 16)
        let plan = try TrialPlanner.balancedPlan(try Catalog.require("contrast"), source: source, seed: 5, perCondition: 2)
        let outA = scratch.appendingPathComponent("a"), outB = scratch.appendingPathComponent("b")
        let one = try Generator(renderer: EchoRenderer(), jobs: 1).run(plan, out: outA)
        let four = try Generator(renderer: EchoRenderer(), jobs: 4).run(plan, out: outB)
        XCTAssertEqual(one.written, plan.count)
        XCTAssertEqual(four.written, plan.count)
        let folderA = Generator.imageFolder(out: outA, dataset: "contrast"), folderB = Generator.imageFolder(out: outB, dataset: "contrast")
        let names = try FileManager.default.contentsOfDirectory(atPath: folderA.path).sorted()
        XCTAssertEqual(names, plan.map(\.fileName).sorted(), "no temporary files left")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folderB.path).sorted(), names)
        for name in names {
            XCTAssertEqual(try Data(contentsOf: folderA.appendingPathComponent(name)), try Data(contentsOf: folderB.appendingPathComponent(name)))
        }
        // Resume: finished files are kept as they are, the missing ones are made.
        try Data("kept".utf8).write(to: folderA.appendingPathComponent(names[0]))
        try FileManager.default.removeItem(at: folderA.appendingPathComponent(names[1]))
        let again = try Generator(renderer: EchoRenderer(), jobs: 2).run(plan, out: outA)
        XCTAssertEqual(again.written, 1)
        XCTAssertEqual(again.kept, plan.count - 1)
        XCTAssertEqual(try Data(contentsOf: folderA.appendingPathComponent(names[0])), Data("kept".utf8))
        XCTAssertEqual(try Data(contentsOf: folderA.appendingPathComponent(names[1])), try Data(contentsOf: folderB.appendingPathComponent(names[1])))
    }

    /// The generator hands the renderer one source's tasks at a time (in plan order) and renders every missing file
    /// exactly once, across datasets and with several workers.
    func testGeneratorGroupsTasksBySource() throws {
        let source = try makeCategorySource(perCategory: 16)
        let plan = try ["contrast", "colour"].flatMap { name in
            try TrialPlanner.balancedPlan(try Catalog.require(name), source: source, seed: 3, perCondition: 1)
        }
        let recorder = GroupRecorder()
        let out = scratch.appendingPathComponent("out")
        // One file exists already: it is kept and never handed to the renderer.
        let folder = Generator.imageFolder(out: out, dataset: plan[5].dataset)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data("kept".utf8).write(to: folder.appendingPathComponent(plan[5].fileName))
        let result = try Generator(renderer: recorder, jobs: 2).run(plan, out: out)
        XCTAssertEqual(result.kept, 1)
        XCTAssertEqual(result.written, plan.count - 1)
        XCTAssertEqual(result.keptByDataset, [plan[5].dataset: 1])
        let perDataset = Dictionary(grouping: plan, by: \.dataset).mapValues(\.count)
        XCTAssertEqual(result.writtenByDataset, perDataset.merging([plan[5].dataset: -1], uniquingKeysWith: +))
        let groups = recorder.groups
        var rendered: [String] = []
        for group in groups {
            XCTAssertEqual(Set(group.map(\.source)).count, 1, "one source per group")
            let positions = group.map { task in plan.firstIndex(of: task)! }
            XCTAssertEqual(positions, positions.sorted(), "plan order inside a group")
            rendered += group.map(\.fileName)
        }
        XCTAssertEqual(rendered.sorted(), plan.filter { $0 != plan[5] }.map(\.fileName).sorted())
        let sources = Set(plan.filter { $0 != plan[5] }.map(\.source))
        XCTAssertEqual(groups.count, sources.count, "one call per source with something to make")
        XCTAssertTrue(groups.contains { Set($0.map(\.dataset)).count == 2 }, "a source used by both datasets is one group")
    }

    func testGeneratorStopsAtTheFirstFailureWithoutPartialFiles() throws {
        let source = try makeCategorySource(perCategory: 8)
        let plan = try TrialPlanner.balancedPlan(try Catalog.require("colour"), source: source, seed: 0, perCondition: 2)
        let out = scratch.appendingPathComponent("out")
        XCTAssertThrowsError(try Generator(renderer: EchoRenderer(failOn: plan[10].fileName), jobs: 2).run(plan, out: out)) {
            XCTAssertEqual($0 as? DatasetsError, .render(file: plan[10].fileName, problem: "test failure"))
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: Generator.imageFolder(out: out, dataset: "colour").path)
        XCTAssertFalse(left.contains(plan[10].fileName))
        XCTAssertTrue(left.allSatisfy { name in plan.contains { $0.fileName == name } }, "no temporary files: \(left)")
    }

    func testGenerationRecordRefusesAResumeWithOtherSettings() throws {
        let out = scratch.appendingPathComponent("out")
        let record = GenerationRecord(dataset: "colour", seed: 1, layout: "categories", perCondition: 40, images: 1280, tool: "test")
        try record.claim(out: out)
        try record.claim(out: out)
        var other = record
        other.seed = 2
        XCTAssertThrowsError(try other.claim(out: out)) { XCTAssertTrue("\($0)".contains("generated with seed 1"), "\($0)") }
    }

    /// The checker accepts a folder laid out like the release archive and names the first wrong cell.
    func testDatasetCheckerAgainstCatalog() throws {
        let raw = Mirror.url("model-vs-human/raw-data/false-colour/false-colour_subject-01_session_1.csv")
        guard FileManager.default.fileExists(atPath: raw.path) else { throw XCTSkip("mirror not found") }
        let spec = try Catalog.require("false-colour")
        let trials = try TrialPlanner.humanTrialList(csv: raw, spec: spec)
        let root = scratch.appendingPathComponent("false-colour")
        let folder = DatasetChecker.imageFolder(root, spec)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for trial in trials { FileManager.default.createFile(atPath: folder.appendingPathComponent(trial.fileName).path, contents: Data()) }
        XCTAssertEqual(try DatasetChecker.check(root, spec), 1120)
        try FileManager.default.removeItem(at: folder.appendingPathComponent(trials[0].fileName))
        XCTAssertThrowsError(try DatasetChecker.check(root, spec)) {
            XCTAssertTrue("\($0)".contains("condition \(trials[0].condition), category \(trials[0].category): 34 images, the catalog says 35"), "\($0)")
        }
        FileManager.default.createFile(atPath: folder.appendingPathComponent("0001_fc_dnn_blue_oven_35_n0_1.png").path, contents: Data())
        XCTAssertThrowsError(try DatasetChecker.check(root, spec)) { XCTAssertTrue("\($0)".contains("unknown condition 'blue'"), "\($0)") }
    }
}
