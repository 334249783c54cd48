import Foundation
import TestSupport
import XCTest
@testable import Reports
@testable import Scoring

/// The full report on the 7 reference models + humans, and the page in headless Chromium.
final class ReferenceReportTests: XCTestCase {
    nonisolated(unsafe) static var written: URL?

    /// Writes the reference report once per test run.
    func reference() throws -> URL {
        if let w = Self.written { return w }
        let base = Mirror.url("model-vs-human")
        guard FileManager.default.fileExists(atPath: base.appendingPathComponent("raw-data-models").path) else {
            throw XCTSkip("mirror not found at \(base.path) (set OODBENCH_MIRROR)")
        }
        let data = try RawDataSet.load(results: [base.appendingPathComponent("raw-data-models")],
                                       humans: base.appendingPathComponent("raw-data"))
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("reference-report-\(UUID().uuidString)")
        try Report.write(Scorer.score(data), inputs: data.files, toolVersion: "test", to: out)
        Self.written = out
        return out
    }

    override class func tearDown() {
        if let w = written { try? FileManager.default.removeItem(at: w) }
    }

    /// The published ResNet-50 row (README: .559 / .087 / .665 / .208; shape bias .214) and the humans row.
    func testBenchmarkCSVReproducesPublishedRows() throws {
        let csv = try String(contentsOf: reference().appendingPathComponent("benchmark.csv"), encoding: .utf8)
        let rows = Dictionary(uniqueKeysWithValues: csv.split(separator: "\n").dropFirst().map {
            let f = $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            return (f[0], Array(f.dropFirst()))
        })
        XCTAssertEqual(rows.count, 8)
        func r3(_ s: String) -> String { String(format: "%.3f", Double(s)!) }
        XCTAssertEqual(rows["resnet50"]!.prefix(5).map(r3), ["0.559", "0.087", "0.665", "0.208", "0.214"])
        XCTAssertEqual(rows["humans"]!.prefix(5).map { String(format: "%.4f", Double($0)!) },
                       ["0.7228", "0.0066", "0.8085", "0.4312", "0.9587"])
        XCTAssertEqual(String(format: "%.5f", Double(rows["humans"]![1])!), "0.00657")
        XCTAssertEqual(rows["humans"]![5...].map { $0 }, ["", ""])
        XCTAssertEqual(rows["clip"]![5], "1.33333333")
    }

    func testEveryDefaultFigureIsWritten() throws {
        let out = try reference()
        let figures = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("figures").path)
        // §11: F1 + F2 + 12 accuracy + 4 non-parametric bars + 4 benchmark bars + 6 scatter + 12 EC lines + 5 matrices.
        XCTAssertEqual(figures.filter { $0 != "legend.svg" }.count, 2 + 12 + 4 + 4 + 6 + 12 + 5)
        for name in ["cue-conflict_shape-bias_matrixplot.svg", "cue-conflict_shape-bias_boxplot.svg",
                     "edge_OOD-accuracy.svg", "stylized_OOD-accuracy.svg", "uniform-noise_error-consistency.svg",
                     "benchmark_16-class-accuracy-difference.svg", "sketch_error-consistency_matrix.svg",
                     "scatter-plot_OOD-accuracy_vs_observed-consistency_multiple-datasets.svg"] {
            XCTAssertTrue(figures.contains(name), name)
        }
        let scatter = try String(contentsOf: out.appendingPathComponent("figures/scatter-plot_OOD-accuracy_vs_error-consistency_multiple-datasets.svg"), encoding: .utf8)
        XCTAssertTrue(scatter.contains(">expected</text>"))
    }

    /// Headless Chromium (Debian's `chromium`) opens the page: no console message, every figure in the DOM.
    func testPageOpensInHeadlessChromium() throws {
        guard let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
            .first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("chromium is not installed (apt-get install chromium); the end-to-end page check needs it")
        }
        let out = try reference()
        // A control page proves that console messages are caught at all.
        let control = out.deletingLastPathComponent().appendingPathComponent("control-\(UUID().uuidString).html")
        try Data("<!DOCTYPE html><p>x</p><script>console.error('control')</script>".utf8).write(to: control)
        defer { try? FileManager.default.removeItem(at: control) }
        let controlRun = try runChromium(chromium, control)
        XCTAssertTrue(controlRun.stderr.contains(":CONSOLE"), "console capture does not work: \(controlRun.stderr.suffix(500))")

        let run = try runChromium(chromium, out.appendingPathComponent("index.html"))
        let console = run.stderr.split(separator: "\n").filter { $0.contains(":CONSOLE") || $0.contains("Uncaught") }
        XCTAssertEqual(console, [], "console messages")
        let figures = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("figures").path)
            .filter { $0 != "legend.svg" }.map { String($0.dropLast(4)) }
        XCTAssertEqual(figures.count, 45)
        for id in figures {
            XCTAssertTrue(run.stdout.contains("<figure id=\"fig-\(id)\""), "figure \(id) not in the DOM")
            XCTAssertTrue(run.stdout.contains("id=\"svg-\(id)\""), "svg of \(id) not in the DOM")
        }
        XCTAssertTrue(run.stdout.contains("id=\"svg-legend\""))
        XCTAssertTrue(run.stdout.contains("Most human-like behaviour"))
    }

    func runChromium(_ binary: String, _ page: URL) throws -> (stdout: String, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
                       "--user-data-dir=" + FileManager.default.temporaryDirectory.appendingPathComponent("chromium-\(UUID().uuidString)").path,
                       "--virtual-time-budget=2000", "--dump-dom", page.absoluteString]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Read both pipes concurrently-safe: stdout first in a background read, stderr after.
        nonisolated(unsafe) var stdoutData = Data()
        let reader = Thread { stdoutData = out.fileHandleForReading.readDataToEndOfFile() }
        reader.start()
        let stderrData = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        while reader.isExecuting || !reader.isFinished { usleep(10_000) }
        return (String(decoding: stdoutData, as: UTF8.self), String(decoding: stderrData, as: UTF8.self))
    }
}
