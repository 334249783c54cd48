import Foundation
import TestSupport
import XCTest

/// `oodbench datasets …` and `oodbench generate --plan`, run as a user runs them.
final class DatasetsCLITests: XCTestCase {
    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
        guard Mirror.oodbenchIsBuilt else { throw XCTSkip("oodbench not built at \(Mirror.oodbenchBinary.path)") }
        var env = environment
        env["OODBENCH_MANIFEST"] = env["OODBENCH_MANIFEST"] ?? Mirror.packageRoot.appendingPathComponent("datasets-manifest").path
        let run = try Mirror.runOODBench(arguments, environment: env)
        return (run.status, run.stdout, run.stderr)
    }

    func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("oodbench-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func testVerifyPassesWithTheMirror() throws {
        guard FileManager.default.fileExists(atPath: Mirror.root.path) else { throw XCTSkip("mirror not found") }
        let cache = try scratch()
        let result = try run(["datasets", "verify"], environment: ["OODBENCH_CACHE": cache.path])
        XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
        XCTAssertTrue(result.stdout.contains("model-vs-human-human-raw-data: 90 ok, 0 missing, 0 corrupt (of 90)"), result.stdout)
        XCTAssertTrue(result.stdout.contains("texture-vs-shape-stimuli: 657 ok, 959 missing, 0 corrupt (of 1616)"), result.stdout)
        XCTAssertFalse(result.stdout.contains("CORRUPT"))
    }

    func testVerifyNamesACorruptedMirrorFile() throws {
        guard FileManager.default.fileExists(atPath: Mirror.root.path) else { throw XCTSkip("mirror not found") }
        let mirror = try scratch()
        try FileManager.default.copyItem(at: Mirror.url("openai-clip"), to: mirror.appendingPathComponent("openai-clip"))
        let victim = mirror.appendingPathComponent("openai-clip/bpe_simple_vocab_16e6.txt.gz")
        var bytes = try Data(contentsOf: victim)
        bytes[500_000] ^= 0x10
        try bytes.write(to: victim)
        let result = try run(["datasets", "verify"], environment: ["OODBENCH_MIRROR": mirror.path, "OODBENCH_CACHE": mirror.appendingPathComponent("cache").path])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stdout.contains("CORRUPT \(victim.path): sha256 mismatch"), result.stdout)
        XCTAssertTrue(result.stdout.contains("clip-bpe-vocab: 1 ok, 0 missing, 1 corrupt (of 2)"), result.stdout)
        XCTAssertTrue(result.stderr.hasPrefix("Error: 1 corrupt file(s)"), result.stderr)
    }

    func testFetchOfflineAndMissingMirror() throws {
        let dir = try scratch()
        let offline = try run(["datasets", "fetch", "colour", "--offline"], environment: ["OODBENCH_CACHE": dir.path])
        XCTAssertEqual(offline.status, 1)
        XCTAssertTrue(offline.stderr.contains("model-vs-human-v0.1-stimuli/colour.tar.gz: not in the mirror or the cache, and offline mode forbids downloading it from https://github.com/bethgelab/model-vs-human/releases/download/v0.1/colour.tar.gz"), offline.stderr)
        let missing = try run(["datasets", "list"], environment: ["OODBENCH_MIRROR": dir.appendingPathComponent("nope").path])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("nope: OODBENCH_MIRROR folder does not exist"), missing.stderr)
        let list = try run(["datasets", "list"], environment: ["OODBENCH_CACHE": dir.path])
        XCTAssertEqual(list.status, 0, list.stderr)
        XCTAssertTrue(list.stdout.contains("model-vs-human-v0.1-stimuli: 14 archives, UNPINNED"), list.stdout)
        XCTAssertTrue(list.stdout.contains("  colour: 1280 images, 40 per category and condition; conditions cr bw;"), list.stdout)
    }

    func testGeneratePlanReproducesTheHumanTrialList() throws {
        guard FileManager.default.fileExists(atPath: Mirror.root.path) else { throw XCTSkip("mirror not found") }
        let source = try scratch()
        let csv = try String(contentsOf: Mirror.url("model-vs-human/raw-data-models/power-equalisation/power-equalisation_resnet50_session-1.csv"), encoding: .utf8)
        let names = csv.components(separatedBy: "\r\n").dropFirst().filter { !$0.isEmpty }.map { String($0.split(separator: ",")[7]) }
        for name in names {
            let parts = name.split(separator: "_")
            FileManager.default.createFile(atPath: source.appendingPathComponent("\(parts[6])_\(parts[7].dropLast(4)).JPEG").path, contents: Data())
        }
        let result = try run(["generate", "power-equalisation", "--source", source.path, "--out", source.appendingPathComponent("out").path, "--plan", "--offline"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let planned = result.stdout.split(separator: "\n").map { String($0.split(separator: "\t")[1]) }
        XCTAssertEqual(planned, names)
        let usage = try run(["generate", "sketch", "--source", source.path, "--out", source.path])
        XCTAssertEqual(usage.status, 64)
        XCTAssertTrue(usage.stderr.contains("'sketch' is not one of the 12 parametric datasets"), usage.stderr)
    }

    /// `bench generate --layout imagenet` links the mirror's pictures under the trial lists' ImageNet ids and makes
    /// the human trial list: every planned stimulus is made (colour: 1280), and the output says which layout ran.
    func testBenchGenerateRunsTheImagenetLayout() throws {
        guard FileManager.default.fileExists(atPath: Mirror.root.path) else { throw XCTSkip("mirror not found") }
        let result = try run(["bench", "generate", "--layout", "imagenet", "--datasets", "colour", "--sample", "1"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("1 datasets, 1280 images at 224 px, imagenet layout"), result.stdout)
        XCTAssertTrue(result.stdout.contains("total: 1280 images in "), result.stdout)
        let refused = try run(["bench", "generate", "--layout", "imagenet", "--source", "photos"])
        XCTAssertEqual(refused.status, 64)
        XCTAssertTrue(refused.stderr.contains("--layout imagenet links its own sources"), refused.stderr)
    }
}
