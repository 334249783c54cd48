import Foundation
import TestSupport
import XCTest

/// `oodbench report`, run as a user runs it.
final class ReportCommandTests: XCTestCase {
    func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        guard Mirror.oodbenchIsBuilt else { throw XCTSkip("oodbench not built at \(Mirror.oodbenchBinary.path)") }
        let run = try Mirror.runOODBench(arguments, environment: [:])
        return (run.status, run.stdout, run.stderr)
    }

    /// A results folder in the `<dataset>/*.csv` layout and a humans folder in the `raw-data/<dataset>/` layout.
    func tinyFolders(condition: String = "c50") throws -> (results: URL, humans: URL, root: URL) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("oodbench-report-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: root) }
        let results = root.appendingPathComponent("results"), humans = root.appendingPathComponent("humans")
        for folder in [results.appendingPathComponent("contrast"), humans.appendingPathComponent("raw-data/contrast")] {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        }
        let header = "subj,session,trial,rt,object_response,category,condition,imagename"
        var human = header + "\n", model = header + "\r\n"
        for (i, c) in ["cat", "dog"].enumerated() {
            human += "subject-01,1,\(i + 1),0.7,\(c),\(c),c50,000\(i)_cop_s01_c50_\(c)_10_n0000000\(i)_\(i).png\n"
            model += "m1,1,\(i + 1),NaN,cat,\(c),\(i == 1 ? condition : "c50"),000\(i)_cop_dnn_c50_\(c)_10_n0000000\(i)_\(i).png\r\n"
        }
        try Data(human.utf8).write(to: humans.appendingPathComponent("raw-data/contrast/contrast_subject-01_session_1.csv"))
        try Data(model.utf8).write(to: results.appendingPathComponent("contrast/contrast_m1_session-1.csv"))
        return (results, humans, root)
    }

    func testWritesTheReportAndPrintsWhereItIs() throws {
        let (results, humans, root) = try tinyFolders()
        let out = root.appendingPathComponent("report")
        let r = try run(["report", results.path, "--humans", humans.path, "--out", out.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, out.appendingPathComponent("index.html").path + "\n")
        XCTAssertTrue(r.stderr.contains("note: m1: incomplete, scored on 1 of 17 datasets."), r.stderr)
        XCTAssertTrue(r.stderr.contains("report: 1 models + humans, 1 datasets, "), r.stderr)
        let csv = try String(contentsOf: out.appendingPathComponent("benchmark.csv"), encoding: .utf8)
        XCTAssertEqual(csv.split(separator: "\n")[1], "m1,0.50000000,0.25000000,0.50000000,0.00000000,,1.00000000,1.00000000")
    }

    func testBadInputIsOneLineAndWritesNothing() throws {
        let (results, humans, root) = try tinyFolders(condition: "c07")
        let out = root.appendingPathComponent("report")
        let r = try run(["report", results.path, "--humans", humans.path, "--out", out.path])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, "Error: \(results.path)/contrast/contrast_m1_session-1.csv:3: unknown condition \"c07\" for contrast\n")
        XCTAssertEqual(r.stdout, "")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root.path).sorted(), ["humans", "results"])
    }

    func testUsageErrorsAndHelp() throws {
        let r = try run(["report"])
        XCTAssertEqual(r.status, 64)
        let help = try run(["report", "--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.stdout.contains("\n  oodbench report runs/my-model --out reports/mine\n"))
        XCTAssertTrue(help.stdout.contains("--humans <humans>"))
    }
}
