import Foundation
import Imaging
import Models
import Synchronization
import TestSupport
import XCTest

@testable import Evaluation

/// A deterministic stand-in model: puts probability 0.9 on the category whose index is the image's first sample
/// modulo 16 (in `categories16` space), so each test image's decision is known in advance. Counts its calls and
/// can fail on a given call.
final class FakeClassifier: ImageClassifier, @unchecked Sendable {
    let name = "fake_model"
    let labelSpace = LabelSpace.categories16
    let preprocessing = "none"
    let failOnCall: Int?
    let wrongRowCount: Bool
    let calls = Mutex<[Int]>([])

    init(failOnCall: Int? = nil, wrongRowCount: Bool = false) {
        self.failOnCall = failOnCall
        self.wrongRowCount = wrongRowCount
    }

    struct Failure: Error, CustomStringConvertible { var description: String { "simulated failure" } }

    func classify(_ images: [Image8]) throws -> [[Float]] {
        let call = calls.withLock { $0.append(images.count); return $0.count }
        if call == failOnCall { throw Failure() }
        let rows = images.map { image -> [Float] in
            var p = [Float](repeating: 0.1 / 15, count: 16)
            p[Int(image.samples[0]) % 16] = 0.9
            return p
        }
        return wrongRowCount ? Array(rows.dropLast()) : rows
    }

    var classified: Int { calls.withLock { $0.reduce(0, +) } }
}

final class EvaluatorTests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("evaluator-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: root)
    }

    /// A category-folder dataset: images `bear1.png`, `bear10.png`, `bear2.png` in `bear/`, `cat1.png`, `cat2.png`
    /// in `cat/`; image k's first sample is `value[k]`.
    func makeDataset() throws -> URL {
        let folder = root.appendingPathComponent("stimuli")
        let files: [(String, String, UInt8)] = [("bear", "bear1.png", 1), ("bear", "bear2.png", 7),
                                                ("bear", "bear10.png", 2), ("cat", "cat1.png", 7),
                                                ("cat", "cat2.png", 15)]
        for (category, name, value) in files {
            let dir = folder.appendingPathComponent(category)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            var image = Image8(channels: 3, height: 4, width: 4)
            image.samples[0] = value
            try image.writePNG(to: dir.appendingPathComponent(name))
        }
        return folder
    }

    /// Loader order: bear1, bear10, bear2, cat1, cat2; decisions: 1 bear, 2 bicycle, 7 cat, 7 cat, 15 truck.
    let expectedCSV = """
        subj,session,trial,rt,object_response,category,condition,imagename\r
        fake_model,1,1,NaN,bear,bear,NaN,bear1.png\r
        fake_model,1,2,NaN,bicycle,bear,NaN,bear10.png\r
        fake_model,1,3,NaN,cat,bear,NaN,bear2.png\r
        fake_model,1,4,NaN,cat,cat,NaN,cat1.png\r
        fake_model,1,5,NaN,truck,cat,NaN,cat2.png\r

        """

    func testWritesTheToolboxFormatInLoaderOrder() throws {
        let stimuli = try Stimulus.list(folder: makeDataset())
        let model = FakeClassifier()
        let evaluator = Evaluator(model: model, outputDirectory: root.appendingPathComponent("out"), batchSize: 2)
        let result = try evaluator.run(dataset: "toy", stimuli: stimuli)
        XCTAssertEqual(result.csv.path, root.appendingPathComponent("out/raw-data/toy/toy_fake-model_session-1.csv").path)
        XCTAssertEqual(try String(contentsOf: result.csv, encoding: .utf8), expectedCSV)
        XCTAssertEqual(model.calls.withLock { $0 }, [2, 2, 1])
        XCTAssertEqual(result.classified, 5)
        XCTAssertFalse(FileManager.default.fileExists(atPath: result.csv.deletingLastPathComponent()
            .appendingPathComponent(".toy_fake-model_session-1.csv.partial").path))
    }

    func testCompleteCSVIsKeptAndNotRecomputed() throws {
        let stimuli = try Stimulus.list(folder: makeDataset())
        let out = root.appendingPathComponent("out")
        _ = try Evaluator(model: FakeClassifier(), outputDirectory: out).run(dataset: "toy", stimuli: stimuli)
        let second = FakeClassifier()
        let result = try Evaluator(model: second, outputDirectory: out).run(dataset: "toy", stimuli: stimuli)
        XCTAssertTrue(result.alreadyComplete)
        XCTAssertEqual(second.classified, 0)
        XCTAssertEqual(try String(contentsOf: result.csv, encoding: .utf8), expectedCSV)
    }

    /// A run that dies on its second batch leaves no CSV, only the partial file; the rerun classifies only the
    /// remaining images and writes the same bytes as an uninterrupted run.
    func testInterruptedRunResumesAndGivesIdenticalBytes() throws {
        let stimuli = try Stimulus.list(folder: makeDataset())
        let out = root.appendingPathComponent("out")
        let failing = FakeClassifier(failOnCall: 2)
        XCTAssertThrowsError(try Evaluator(model: failing, outputDirectory: out, batchSize: 2)
            .run(dataset: "toy", stimuli: stimuli)) { error in
            XCTAssertTrue("\(error)".contains("fake_model failed on the batch starting at"), "\(error)")
            XCTAssertTrue("\(error)".hasSuffix("bear2.png: simulated failure"), "\(error)")
        }
        let csv = out.appendingPathComponent("raw-data/toy/toy_fake-model_session-1.csv")
        XCTAssertFalse(FileManager.default.fileExists(atPath: csv.path), "no CSV with missing rows")
        let resumed = FakeClassifier()
        let result = try Evaluator(model: resumed, outputDirectory: out, batchSize: 2).run(dataset: "toy", stimuli: stimuli)
        XCTAssertEqual(resumed.classified, 3, "only the images after the first batch")
        XCTAssertEqual(result.classified, 3)
        XCTAssertEqual(try String(contentsOf: csv, encoding: .utf8), expectedCSV)
    }

    func testStaleCSVForOtherStimuliIsRedone() throws {
        let stimuli = try Stimulus.list(folder: makeDataset())
        let out = root.appendingPathComponent("out")
        _ = try Evaluator(model: FakeClassifier(), outputDirectory: out).run(dataset: "toy", stimuli: Array(stimuli.prefix(3)))
        let model = FakeClassifier()
        let result = try Evaluator(model: model, outputDirectory: out).run(dataset: "toy", stimuli: stimuli)
        XCTAssertEqual(model.classified, 5)
        XCTAssertEqual(try String(contentsOf: result.csv, encoding: .utf8), expectedCSV)
    }

    func testWrongRowCountIsAnError() throws {
        let stimuli = try Stimulus.list(folder: makeDataset())
        XCTAssertThrowsError(try Evaluator(model: FakeClassifier(wrongRowCount: true),
                                           outputDirectory: root.appendingPathComponent("out"), batchSize: 2)
            .run(dataset: "toy", stimuli: stimuli)) { error in
            XCTAssertEqual("\(error)", "fake_model: answered 1 rows for a batch of 2")
        }
    }

    func testUnreadableStimulusNamesTheFile() throws {
        let folder = try makeDataset()
        let bad = folder.appendingPathComponent("cat/cat3.png")
        try Data("not a png".utf8).write(to: bad)
        let stimuli = try Stimulus.list(folder: folder)
        XCTAssertThrowsError(try Evaluator(model: FakeClassifier(), outputDirectory: root.appendingPathComponent("out"))
            .run(dataset: "toy", stimuli: stimuli)) { error in
            XCTAssertTrue("\(error)".hasPrefix(bad.path + ": cannot be read as an image"), "\(error)")
        }
    }

    func testParametricNamesGiveConditionAndCategory() throws {
        let folder = root.appendingPathComponent("contrast/dnn/session-1")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in ["0002_cop_dnn_c100_bicycle_10_n03792782_5966.png", "0001_cop_dnn_c30_knife_10_n03041632_7380.png"] {
            try Data().write(to: folder.appendingPathComponent(name))
        }
        let stimuli = try Stimulus.list(folder: root.appendingPathComponent("contrast"))
        XCTAssertEqual(stimuli.map(\.imageName), ["0001_cop_dnn_c30_knife_10_n03041632_7380.png",
                                                  "0002_cop_dnn_c100_bicycle_10_n03792782_5966.png"])
        XCTAssertEqual(stimuli.map(\.category), ["knife", "bicycle"])
        XCTAssertEqual(stimuli.map(\.condition), ["c30", "c100"])
    }

    func testMirrorEdgeFolderInImageFolderOrder() throws {
        let stimuli = try Stimulus.list(folder: Mirror.url("texture-vs-shape/edge"))
        XCTAssertEqual(stimuli.count, 160)
        XCTAssertEqual(stimuli.prefix(3).map(\.imageName), ["airplane1.png", "airplane10.png", "airplane2.png"])
        XCTAssertEqual(Set(stimuli.map(\.category)).count, 16)
        XCTAssertTrue(stimuli.allSatisfy { $0.condition == "NaN" })
    }
}
