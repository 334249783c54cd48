import Foundation
import TestSupport
import XCTest

/// `oodbench evaluate` and `demo` as a user runs them: usage errors exit 64, input errors exit 1 with one line.
/// (Real-model runs are too slow for debug builds; the Evaluation module's tests cover the CSVs with a stand-in
/// model, ModelsTests the model.)
final class EvaluateCommandTests: XCTestCase {
    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
        guard Mirror.oodbenchIsBuilt else { throw XCTSkip("oodbench not built at \(Mirror.oodbenchBinary.path)") }
        let run = try Mirror.runOODBench(arguments, environment: environment)
        return (run.status, run.stdout, run.stderr)
    }

    var out: String { FileManager.default.temporaryDirectory.appendingPathComponent("evaluate-cli-\(UUID().uuidString)").path }

    func testNoDatasetIsAUsageError() throws {
        let r = try run(["evaluate", "--out", out])
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.stderr.contains("Name at least one dataset: --dataset edge silhouette"), r.stderr)
    }

    func testStimuliFolderNeedsExactlyOneDataset() throws {
        let r = try run(["evaluate", "--dataset", "edge", "silhouette", "--stimuli", "/tmp", "--out", out])
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.stderr.contains("--stimuli names the folder of exactly one dataset"), r.stderr)
    }

    func testBatchMustBePositive() throws {
        let r = try run(["evaluate", "--dataset", "edge", "--out", out, "--batch", "0"])
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.stderr.contains("--batch must be at least 1."), r.stderr)
    }

    func testBadShardIsOneLine() throws {
        // A bad --shard used to print the root command's usage after the error (a ValidationError from run()).
        let r = try run(["evaluate", "--dataset", "edge", "--out", out, "--shard", "5/2"])
        XCTAssertEqual(r.status, 64)
        XCTAssertEqual(r.stderr, "Error: shard 5/2: needs 0 ≤ I < N and N ≥ 1\n")
        let auto = try run(["evaluate", "--dataset", "edge", "--out", out, "--shard", "auto"],
                           environment: ["OODBENCH_SHARD": "x/3"])
        XCTAssertEqual(auto.status, 64)
        XCTAssertEqual(auto.stderr.filter { $0 == "\n" }.count, 1, auto.stderr)
        XCTAssertTrue(auto.stderr.hasPrefix("Error: shard x/3: "), auto.stderr)
        let generate = try run(["generate", "colour", "--source", "/nonexistent", "--out", out, "--shard", "abc"])
        XCTAssertEqual(generate.status, 64)
        XCTAssertEqual(generate.stderr, "Error: shard abc: expected I/N with 0 ≤ I < N, e.g. 0/4\n")
    }

    func testUnknownModelSpecIsOneLine() throws {
        let r = try run(["evaluate", "--model", "resnet9000", "--dataset", "edge", "--out", out])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, "Error: unknown model spec 'resnet9000'\n")
    }

    func testMissingWeightsSayHowToGetThem() throws {
        let r = try run(["evaluate", "--dataset", "edge", "--out", out],
                        environment: ["OODBENCH_EFFICIENTNET_WEIGHTS": "/nonexistent/e0.pth"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, "Error: efficientnet-lite0: weights file not found; "
                       + "OODBENCH_EFFICIENTNET_WEIGHTS=/nonexistent/e0.pth does not exist\n")
    }

    func testWrongWeightsFileIsRefusedByChecksum() throws {
        let bogus = FileManager.default.temporaryDirectory.appendingPathComponent("bogus-\(UUID().uuidString).pth")
        try Data(repeating: 0, count: 100).write(to: bogus)
        defer { try? FileManager.default.removeItem(at: bogus) }
        let r = try run(["evaluate", "--model", "efficientnet-lite0:\(bogus.path)", "--dataset", "edge", "--out", out])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, "Error: \(bogus.path): is 100 bytes, expected 18826032\n")
    }
}
