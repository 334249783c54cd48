import Foundation
import Imaging
import TestSupport
import XCTest

/// `oodbench distort`, run as the built binary: outputs against the goldens, `--list`, and bad input (one error
/// line naming the file or name, non-zero exit, no output file left).
final class DistortCommandTests: XCTestCase {
    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    private func oodbench(_ arguments: [String]) throws -> Run {
        guard Mirror.oodbenchIsBuilt else {
            XCTFail("\(Mirror.oodbenchBinary.path) is not built (swift build)")
            throw XCTSkip("no binary")
        }
        let run = try Mirror.runOODBench(arguments)
        return Run(status: run.status, stdout: run.stdout, stderr: run.stderr)
    }

    private var work: URL!

    override func setUpWithError() throws {
        guard FileManager.default.fileExists(atPath: Mirror.url("distortion-goldens/manifest.json").path) else {
            throw XCTSkip("distortion goldens not found under \(Mirror.root.path) (set OODBENCH_MIRROR)")
        }
        work = FileManager.default.temporaryDirectory.appendingPathComponent("oodbench-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let work { try? FileManager.default.removeItem(at: work) }
    }

    private func golden(_ path: String) -> URL { Mirror.url("distortion-goldens/" + path) }

    private func assertLeavesNothing(_ file: StaticString = #filePath, line: UInt = #line) throws {
        let left = try FileManager.default.contentsOfDirectory(atPath: work.path).filter { !$0.hasPrefix("input") }
        XCTAssertEqual(left, [], "files left behind", file: file, line: line)
    }

    func testList() throws {
        let run = try oodbench(["distort", "--list"])
        XCTAssertEqual(run.status, 0)
        XCTAssertEqual(run.stdout, """
        colour              cr bw
        contrast            c100 c50 c30 c15 c10 c05 c03 c01
        high-pass           inf 3 1.5 1 0.7 0.55 0.45 0.4
        low-pass            0 1 3 5 7 10 15 40
        phase-scrambling    0 30 60 90 120 150 180  (random: --seed)
        power-equalisation  0 pow
        false-colour        true false
        rotation            0 90 180 270
        uniform-noise       0.00 0.03 0.05 0.10 0.20 0.35 0.60 0.90  (random: --seed)
        eidolonI            1-10-10 2-10-10 4-10-10 8-10-10 16-10-10 32-10-10 64-10-10 128-10-10  (random: --seed)
        eidolonII           1-3-10 2-3-10 4-3-10 8-3-10 16-3-10 32-3-10 64-3-10 128-3-10  (random: --seed)
        eidolonIII          1-0-10 2-0-10 4-0-10 8-0-10 16-0-10 32-0-10 64-0-10 128-0-10  (random: --seed)

        """)
    }

    /// Deterministic and seeded outputs equal the golden PNGs' samples (grey goldens as three equal channels).
    func testOutputsMatchGoldens() throws {
        let cases: [(String, String, String, [String])] = [
            ("high-pass", "0.55", "high-pass/high-pass_0.55_example_image.png", []),
            ("colour", "bw", "colour/colour_bw_test_image.png", []),
            ("false-colour", "false", "false-colour/false-colour_false_n03792782_1155.png", []),
            ("uniform-noise", "0.35", "uniform-noise/uniform-noise_0.35_test_image.png", ["--seed", "42"]),
            ("power-equalisation", "pow", "power-equalisation/power-equalisation_pow_test_image.png", []),
            // Low-pass σ 40 by FFT (the default for large kernels) and by scipy's direct order; σ 3 by FFT.
            ("low-pass", "40", "low-pass/low-pass_40_n03792782_1155.png", []),
            ("low-pass", "40", "low-pass/low-pass_40_n03792782_1155.png", ["--gaussian", "exact"]),
            ("low-pass", "3", "low-pass/low-pass_3_example_image.png", ["--gaussian", "spectral"]),
        ]
        for (distortion, condition, expectedPath, extra) in cases {
            let input = expectedPath.contains("example_image") ? "example_image"
                : (expectedPath.contains("test_image") ? "test_image" : "n03792782_1155")
            let output = work.appendingPathComponent("out.png")
            let run = try oodbench(["distort", distortion, condition, golden("inputs/\(input).png").path, output.path] + extra)
            XCTAssertEqual(run.status, 0, "\(distortion) \(condition): \(run.stderr)")
            XCTAssertEqual(run.stdout, "")
            let written = try Image8(contentsOf: output)
            let expected = try Image8(contentsOf: golden(expectedPath))
            XCTAssertEqual(written.channels, 3, "\(distortion) \(condition)")
            let expectedRGB = expected.channels == 3 ? expected.samples : expected.samples.flatMap { [$0, $0, $0] }
            XCTAssertEqual(written.samples, expectedRGB, "\(distortion) \(condition)")
            try FileManager.default.removeItem(at: output)
        }
    }

    func testRandomWithoutSeedReportsTheSeed() throws {
        let output = work.appendingPathComponent("out.png")
        let run = try oodbench(["distort", "uniform-noise", "0.10", golden("inputs/test_image.png").path, output.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.hasPrefix("seed "), run.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: output.path))
    }

    func testUnknownDistortionAndCondition() throws {
        let output = work.appendingPathComponent("out.png")
        let input = golden("inputs/test_image.png").path
        var run = try oodbench(["distort", "blur", "3", input, output.path])
        XCTAssertEqual(run.status, 64)
        XCTAssertTrue(run.stderr.hasPrefix("Error: Unknown distortion 'blur'; expected one of colour, contrast,"), run.stderr)
        run = try oodbench(["distort", "high-pass", "2", input, output.path])
        XCTAssertEqual(run.status, 64)
        XCTAssertTrue(run.stderr.hasPrefix("Error: Unknown condition '2' for high-pass; expected one of inf, 3, 1.5, 1, 0.7, 0.55, 0.45, 0.4."), run.stderr)
        run = try oodbench(["distort", "high-pass"])
        XCTAssertEqual(run.status, 64)
        run = try oodbench(["distort", "low-pass", "40", input, output.path, "--gaussian", "fft"])
        XCTAssertEqual(run.status, 64)
        XCTAssertTrue(run.stderr.hasPrefix("Error: --gaussian must be auto, exact or spectral."), run.stderr)
        try assertLeavesNothing()
    }

    /// Not an image, a truncated PNG, a missing file, an unwritable output, a size the distortion refuses:
    /// exit 1, one line naming the file, no output file.
    func testBadInputsLeaveNoOutput() throws {
        let output = work.appendingPathComponent("out.png")
        let text = work.appendingPathComponent("input-text.png")
        try Data("hello, not a picture".utf8).write(to: text)
        let full = try Data(contentsOf: golden("inputs/test_image.png"))
        let truncated = work.appendingPathComponent("input-truncated.png")
        try full.prefix(full.count / 2).write(to: truncated)
        let small = work.appendingPathComponent("input-small.png")
        try Image8(channels: 3, height: 10, width: 12).writePNG(to: small)
        let good = golden("inputs/test_image.png").path

        let cases: [([String], String)] = [
            (["contrast", "c05", text.path, output.path], text.path),
            (["contrast", "c05", truncated.path, output.path], truncated.path),
            (["contrast", "c05", work.appendingPathComponent("input-missing.png").path, output.path], "input-missing.png"),
            (["contrast", "c05", good, work.appendingPathComponent("no/such/dir/out.png").path], "no/such/dir/out.png"),
            (["power-equalisation", "pow", small.path, output.path], "224×224"),
        ]
        for (arguments, named) in cases {
            let run = try oodbench(["distort"] + arguments)
            XCTAssertEqual(run.status, 1, "\(arguments): \(run.stderr)")
            let lines = run.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, "\(arguments): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains(named), "\(arguments): \(run.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: output.path), "\(arguments)")
        }
        try assertLeavesNothing()
    }
}
