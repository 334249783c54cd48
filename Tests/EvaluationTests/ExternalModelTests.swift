import Foundation
import Imaging
import Models
import TestSupport
import XCTest

@testable import Evaluation

/// `external:COMMAND` end to end: the standard-library adapter `Tests/Fixtures/external/echo_adapter.py`
/// answers by a rule recomputed here (FNV-1a of the file name), so every CSV row is checked against a value
/// the test derives on its own; one test per failure mode, and a resume after a crash.
final class ExternalModelTests: XCTestCase {
    var root: URL!
    let adapter = Mirror.fixture("external/echo_adapter.py").path

    override func setUpWithError() throws {
        guard let python = Self.python else { throw XCTSkip("python3 is not on PATH: the external-model tests need it") }
        _ = python
        root = FileManager.default.temporaryDirectory.appendingPathComponent("external-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let root { try? FileManager.default.removeItem(at: root) }
    }

    static let python: String? = {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let p = "\(dir)/python3"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }()

    func command(_ flags: String = "") -> String { "python3 '\(adapter)' \(flags)" }

    /// 10 images in 4 category folders; image k is a 6×5 picture with distinct samples.
    func makeDataset() throws -> [Stimulus] {
        let folder = root.appendingPathComponent("stimuli")
        let names = [("bear", "bear1.png"), ("bear", "bear2.png"), ("bear", "bear10.png"), ("cat", "cat1.png"),
                     ("cat", "cat2.png"), ("dog", "dog1.png"), ("dog", "dog2.png"), ("dog", "dog3.png"),
                     ("truck", "truck1.png"), ("truck", "truck2.png")]
        for (k, (category, name)) in names.enumerated() {
            let dir = folder.appendingPathComponent(category)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            var image = Image8(channels: 3, height: 5, width: 6)
            for i in 0..<image.samples.count { image.samples[i] = UInt8((i * 37 + k * 91 + (i % 3) * k * 13) % 256) }
            try image.writePNG(to: dir.appendingPathComponent(name))
        }
        return try Stimulus.list(folder: folder)
    }

    static func fnv1a(_ s: String) -> UInt32 {
        var h: UInt32 = 0x811C_9DC5
        for b in s.utf8 { h = (h ^ UInt32(b)) &* 0x0100_0193 }
        return h
    }

    /// The adapter's values for a file name: v_i = fnv1a(name#i) % 1000 + 1.
    static func values(_ name: String, _ count: Int) -> [Double] {
        (0..<count).map { Double(fnv1a("\(name)#\($0)") % 1000 + 1) }
    }

    /// Argmax, ties to the last (model-vs-human's rule).
    static func argmax(_ s: [Double]) -> Int {
        var best = 0
        for i in 1..<s.count where s[i] >= s[best] { best = i }
        return best
    }

    func expectedCSV(model: String, stimuli: [Stimulus], decision: (Stimulus) -> String) -> String {
        var s = "subj,session,trial,rt,object_response,category,condition,imagename\r\n"
        for (i, st) in stimuli.enumerated() {
            s += "\(model),1,\(i + 1),NaN,\(decision(st)),\(st.category),NaN,\(st.imageName)\r\n"
        }
        return s
    }

    func evaluate(_ model: ExternalModel, _ stimuli: [Stimulus], batch: Int = 3) throws -> Evaluator.DatasetResult {
        try Evaluator(model: model, outputDirectory: root.appendingPathComponent("out"), batchSize: batch)
            .run(dataset: "toy", stimuli: stimuli)
    }

    var csvURL: URL { root.appendingPathComponent("out/raw-data/toy/toy_echo-model_session-1.csv") }
    var partialURL: URL { root.appendingPathComponent("out/raw-data/toy/.toy_echo-model_session-1.csv.partial") }

    // MARK: outputs

    func testCategories16ProbabilitiesRowByRow() throws {
        let stimuli = try makeDataset()
        let model = try ExternalModel(command: command(), timeout: 30)
        XCTAssertEqual(model.name, "echo_model")
        XCTAssertEqual(model.labelSpace, .categories16)
        XCTAssertTrue(model.readsFiles)
        let result = try evaluate(model, stimuli)
        let expected = expectedCSV(model: "echo_model", stimuli: stimuli) {
            Categories16.names[Self.argmax(Self.values($0.imageName, 16))]
        }
        XCTAssertEqual(try String(contentsOf: result.csv, encoding: .utf8), expected)
        XCTAssertEqual(model.runInfo["external_protocol"], "1")
        XCTAssertEqual(model.runInfo["model_adapter"], "echo_adapter.py")
    }

    func testImageNetLogitsAreSoftmaxedAndMapped() throws {
        let stimuli = try makeDataset()
        let model = try ExternalModel(command: command("--label-space imagenet1000 --output logits"), timeout: 30)
        XCTAssertEqual(model.labelSpace, .imagenet1000)
        let result = try evaluate(model, stimuli, batch: 4)
        let expected = expectedCSV(model: "echo_model", stimuli: stimuli) { s in
            // softmax(log v) = v / Σv; per category the mean over its ImageNet indices.
            let v = Self.values(s.imageName, 1000), total = v.reduce(0, +)
            let means = Categories16.imagenetIndices.map { idx in idx.map { v[$0] / total }.reduce(0, +) / Double(idx.count) }
            return Categories16.names[Self.argmax(means)]
        }
        XCTAssertEqual(try String(contentsOf: result.csv, encoding: .utf8), expected)
    }

    func testEmbeddingsBuildTheZeroShotHeadHere() throws {
        let stimuli = try makeDataset()
        let templates = ["a photo of a {}.", "a drawing of the {}"]
        var progressCalls = 0
        let model = try ExternalModel(command: command("--label-space embeddings --dim 8"), zeroShot: .direct16,
                                      timeout: 30, promptData: { (Categories16.names, templates) }, textBatch: 5,
                                      progress: { _, _ in progressCalls += 1 })
        XCTAssertEqual(model.name, "echo_model_direct16")
        XCTAssertEqual(model.labelSpace, .categories16)
        XCTAssertEqual(progressCalls, 7)  // 32 prompts in batches of 5
        let result = try evaluate(model, stimuli)
        func unit(_ v: [Double]) -> [Double] { let n = v.map { $0 * $0 }.reduce(0, +).squareRoot(); return v.map { $0 / n } }
        let classes = Categories16.names.map { name -> [Double] in
            let rows = templates.map { t in
                unit((0..<8).map { Double(Self.fnv1a(t.replacingOccurrences(of: "{}", with: name) + "#\($0)") % 1000) + 1 - 500 })
            }
            return unit((0..<8).map { j in rows.map { $0[j] }.reduce(0, +) / Double(rows.count) })
        }
        let expected = expectedCSV(model: "echo_model_direct16", stimuli: stimuli) { s in
            let image = unit(Self.values(s.imageName, 8))
            return Categories16.names[Self.argmax(classes.map { c in zip(c, image).map(*).reduce(0, +) })]
        }
        XCTAssertEqual(try String(contentsOf: root.appendingPathComponent(
            "out/raw-data/toy/toy_echo-model-direct16_session-1.csv"), encoding: .utf8), expected)
        XCTAssertEqual(result.images, 10)
    }

    func testTensorInputIsTheDocumentedFloat32File() throws {
        let stimuli = try makeDataset()
        let dump = root.appendingPathComponent("dump")
        try FileManager.default.createDirectory(at: dump, withIntermediateDirectories: true)
        let model = try ExternalModel(command: command("--input tensor --size 4 --dump-tensors '\(dump.path)'"), timeout: 30)
        XCTAssertFalse(model.readsFiles)
        let result = try evaluate(model, stimuli, batch: 4)
        // The tensor the test expects: crop to 4×4 (CLIP's transform), (x/255 − mean)/std, planar, float32 LE.
        var tensors: [[Float]] = []
        for s in stimuli {
            let rgb = CLIPPreprocessing.crop(try Image8(contentsOf: s.url), resolution: 4)
            var t = [Float](repeating: 0, count: 48)
            for c in 0..<3 {
                for i in 0..<16 {
                    t[c * 16 + i] = (Float(rgb.samples[i * 3 + c]) / 255 - CLIPPreprocessing.mean[c]) / CLIPPreprocessing.std[c]
                }
            }
            tensors.append(t)
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: dump.path).sorted()
        XCTAssertEqual(files, ["batch-1.f32", "batch-2.f32", "batch-3.f32"])
        var received: [Float] = []
        for f in ["batch-1.f32", "batch-2.f32", "batch-3.f32"] {
            let d = try Data(contentsOf: dump.appendingPathComponent(f))
            received += d.withUnsafeBytes { raw in (0..<(d.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) } }
        }
        XCTAssertEqual(received, tensors.flatMap { $0 })
        let expected = expectedCSV(model: "echo_model", stimuli: stimuli) { s in
            let t = tensors[stimuli.firstIndex(of: s)!]
            let m = (0..<3).map { c in t[(c * 16)..<((c + 1) * 16)].map(Double.init).reduce(0, +) / 16 }
            return Categories16.names[Self.argmax((0..<16).map { Double($0 + 1) * m[$0 % 3] })]
        }
        XCTAssertEqual(try String(contentsOf: result.csv, encoding: .utf8), expected)
    }

    // MARK: failures: one clear error quoting the child's stderr; the rows written so far stay

    /// Runs the misbehaving adapter over the dataset in batches of 3; expects a failure in batch 2 whose message
    /// contains `fragments`, rows of batch 1 kept in the partial file and no CSV.
    func assertFails(_ flags: String, timeout: Double = 30, _ fragments: [String],
                     file: StaticString = #filePath, line: UInt = #line) throws {
        let stimuli = try makeDataset()
        let model = try ExternalModel(command: command(flags), timeout: timeout)
        XCTAssertThrowsError(try evaluate(model, stimuli), file: file, line: line) { error in
            let text = "\(error)"
            XCTAssertFalse(text.contains("\n"), "one line: \(text)", file: file, line: line)
            for f in fragments { XCTAssertTrue(text.contains(f), "'\(f)' missing in: \(text)", file: file, line: line) }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: csvURL.path), file: file, line: line)
        let rows = try RawDataReaderShim.rows(partialURL)
        XCTAssertEqual(rows, 3, "batch 1's rows stay", file: file, line: line)
        // The model stays failed: a later call repeats the error without talking to the child.
        XCTAssertThrowsError(try model.classify(files: [stimuli[0].url]), file: file, line: line)
    }

    func testCrashQuotesStderr() throws {
        try assertFails("--crash-at 2", ["exited with status 3", "simulated crash in batch 2", "echo adapter ready"])
    }

    func testHangPastTheTimeout() throws {
        let start = Date()
        try assertFails("--hang-at 2", timeout: 1.5, ["no answer within the timeout of 1.5 s", "simulated hang in batch 2"])
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
    }

    func testMalformedJSON() throws {
        try assertFails("--bad-json-at 2", ["is not a JSON object: {this is not json"])
    }

    func testWrongBatchID() throws {
        try assertFails("--wrong-id-at 2", ["answered batch 3 while batch 2 was expected"])
    }

    func testWrongClassCount() throws {
        try assertFails("--wrong-classes-at 2", ["row 0 has 15 probabilities values, expected 16"])
    }

    func testWrongRowCount() throws {
        try assertFails("--wrong-rows-at 2", ["2 rows of probabilities for 3 images"])
    }

    func testErrorAnswer() throws {
        try assertFails("--error-at 2", ["the model reported an error: simulated model error"])
    }

    func testBadHandshakes() throws {
        XCTAssertThrowsError(try ExternalModel(command: command("--protocol 2"), timeout: 30)) {
            XCTAssertTrue("\($0)".contains("speaks protocol version 2; this OODBench speaks 1"), "\($0)")
        }
        XCTAssertThrowsError(try ExternalModel(command: "sh -c 'echo oops >&2; echo hello'", timeout: 30)) {
            XCTAssertTrue("\($0)".contains("the handshake is not a JSON object: hello"), "\($0)")
            XCTAssertTrue("\($0)".contains("| oops"), "\($0)")
        }
        XCTAssertThrowsError(try ExternalModel(command: "sh -c 'exit 7'", timeout: 30)) {
            XCTAssertTrue("\($0)".contains("exited with status 7"), "\($0)")
        }
        XCTAssertEqual(ExternalModel.command(fromSpec: "external:python3 a.py --x"), "python3 a.py --x")
        XCTAssertNil(ExternalModel.command(fromSpec: "external:  "))
        XCTAssertNil(ExternalModel.command(fromSpec: "clip:seeded"))
    }

    /// A crash in batch 2 keeps batch 1; the rerun sends the child only the remaining images and the CSV equals
    /// an uninterrupted run's.
    func testResumesAfterACrash() throws {
        let stimuli = try makeDataset()
        let log = root.appendingPathComponent("paths.log")
        XCTAssertThrowsError(try evaluate(try ExternalModel(command: command("--crash-at 2 --log '\(log.path)'"), timeout: 30), stimuli))
        XCTAssertEqual(try String(contentsOf: log, encoding: .utf8).split(separator: "\n").count, 3)
        try FileManager.default.removeItem(at: log)
        let result = try evaluate(try ExternalModel(command: command("--log '\(log.path)'"), timeout: 30), stimuli)
        XCTAssertEqual(result.classified, 7)
        XCTAssertEqual(try String(contentsOf: log, encoding: .utf8).split(separator: "\n").map(String.init),
                       stimuli.dropFirst(3).map { $0.url.absoluteURL.standardizedFileURL.path })
        XCTAssertEqual(try String(contentsOf: result.csv, encoding: .utf8),
                       expectedCSV(model: "echo_model", stimuli: stimuli) {
                           Categories16.names[Self.argmax(Self.values($0.imageName, 16))]
                       })
    }
}

/// Counts the data rows of a raw-data CSV (header excluded).
enum RawDataReaderShim {
    static func rows(_ url: URL) throws -> Int {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\r\n").count - 1
    }
}
