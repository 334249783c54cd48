import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import TestSupport
import XCTest
@testable import Reports
@testable import Scoring

/// The report folder: files, CSV tables, escaping, determinism, atomic replacement.
final class ReportTests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("reports-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: root) }

    /// A two-dataset toy benchmark (contrast, cue-conflict) for one model, with a name full of markup.
    func toyResult(model: String = "toy_model") throws -> (RawDataSet, BenchmarkResult) {
        let results = root.appendingPathComponent("results"), humans = root.appendingPathComponent("humans")
        func write(_ base: URL, _ dataset: String, _ name: String, _ text: String) throws {
            let folder = base.appendingPathComponent(dataset)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: folder.appendingPathComponent(name))
        }
        let header = "subj,session,trial,rt,object_response,category,condition,imagename\n"
        let cats = ["cat", "dog", "car", "boat"]
        for s in 1...2 {
            var contrast = header, cue = header
            for (i, c) in cats.enumerated() {
                contrast += "subject-0\(s),1,\(i),1,\(s == 1 || i < 2 ? c : "na"),\(c),c50,000\(i)_cop_s0\(s)_c50_\(c)_1_n0000000\(i)_\(i).png\n"
                cue += "subject-0\(s),1,\(i),1,\(i % 2 == 0 ? c : "bird"),\(c),0,000\(i)_s5n_s0\(s)_0_\(c)_00_\(c)1-bird2.png\n"
            }
            try write(humans, "contrast", "contrast_subject-0\(s)_session_1.csv", contrast)
            try write(humans, "cue-conflict", "cue-conflict_subject-0\(s)_session_1.csv", cue)
        }
        var contrast = [RawDataRow](), cue = [RawDataRow]()
        for (i, c) in cats.enumerated() {
            contrast.append(RawDataRow(subj: model, trial: i + 1, objectResponse: i == 3 ? "dog" : c, category: c,
                                       condition: "c50", imagename: "000\(i)_cop_dnn_c50_\(c)_1_n0000000\(i)_\(i).png"))
            cue.append(RawDataRow(subj: model, trial: i + 1, objectResponse: i == 0 ? c : "bird", category: c,
                                  condition: "NaN", imagename: "\(c)1-bird2.png"))
        }
        try write(results, "contrast", "a.csv", RawDataWriter.csv(contrast))
        try write(results, "cue-conflict", "a.csv", RawDataWriter.csv(cue))
        let data = try RawDataSet.load(results: [results], humans: humans)
        return (data, Scorer.score(data))
    }

    func text(_ url: URL) throws -> String { try String(contentsOf: url, encoding: .utf8) }

    func testTablesHaveExactHeadersAndHandComputedRows() throws {
        let (data, result) = try toyResult()
        let out = root.appendingPathComponent("report")
        let written = try Report.write(result, inputs: data.files, toolVersion: "9.9", to: out)
        XCTAssertEqual(Set(written.files), Set(["benchmark.csv", "accuracy.csv", "consistency.csv", "shape-bias.csv",
                                                "index.html", "figures/legend.svg"] + written.figures.map { "figures/\($0).svg" }))
        // contrast c50: model 3/4; humans pooled (4 + 2)/8. cue-conflict: model 1/4, humans 2/4 each.
        // Shape bias: every texture is bird; model 1 shape, 3 texture → .25; humans 2 and 2 each → .5.
        let benchmark = try text(out.appendingPathComponent("benchmark.csv")).split(separator: "\n")
        XCTAssertEqual(benchmark[0], "model,ood_accuracy,accuracy_difference,observed_consistency,error_consistency,shape_bias,humanlike_rank,ood_accuracy_rank")
        XCTAssertTrue(benchmark[1].hasPrefix("toy_model,0.50000000,"), String(benchmark[1]))
        XCTAssertTrue(benchmark[1].hasSuffix(",0.25000000,1.00000000,1.00000000"), String(benchmark[1]))
        XCTAssertTrue(benchmark[2].hasPrefix("humans,0.62500000,"), String(benchmark[2]))
        XCTAssertTrue(benchmark[2].hasSuffix(",0.50000000,,"), String(benchmark[2]))
        let accuracy = try text(out.appendingPathComponent("accuracy.csv"))
        XCTAssertTrue(accuracy.hasPrefix("model,dataset,condition,accuracy\n"))
        XCTAssertTrue(accuracy.contains("\ntoy_model,contrast,c50,0.75000000\n"))
        XCTAssertTrue(accuracy.contains("\nhumans,contrast,c50,0.75000000\n"))
        XCTAssertTrue(accuracy.contains("\nhumans,contrast,c100,\n"), "a condition without trials is empty")
        XCTAssertTrue(accuracy.contains("\ntoy_model,cue-conflict,0,0.25000000\n"))
        let consistency = try text(out.appendingPathComponent("consistency.csv"))
        XCTAssertTrue(consistency.hasPrefix("model,dataset,accuracy_difference,observed_consistency,error_consistency\n"))
        XCTAssertEqual(consistency.split(separator: "\n").count, 1 + 4)
        let shape = try text(out.appendingPathComponent("shape-bias.csv"))
        XCTAssertTrue(shape.hasPrefix("model,category,shape_bias\ntoy_model,overall,0.25000000\n"), shape)
        XCTAssertTrue(shape.contains("\ntoy_model,airplane,\n"), "no trials: n/a is empty")
        XCTAssertEqual(shape.split(separator: "\n").count, 1 + 2 * 17)
        let html = try text(out.appendingPathComponent("index.html"))
        XCTAssertTrue(html.contains("toy_model <small>(incomplete: 2/17)</small>"))
        XCTAssertTrue(html.contains("uniform-noise: no model results; skipped."))
        for f in written.figures { XCTAssertTrue(html.contains("id=\"fig-\(f)\""), f) }
        for file in data.files { XCTAssertTrue(html.contains(file.path)) }
        // Every figure of §11 that the two datasets allow: 4 benchmark bars, 6 scatter plots, shape bias ×2,
        // accuracy and error-consistency lines for contrast, the cue-conflict matrix.
        XCTAssertEqual(written.figures.count, 4 + 6 + 2 + 2 + 1)
    }

    func testTextIsEscapedAndEverySVGIsWellFormed() throws {
        let (data, result) = try toyResult(model: "<b>x&y'</b>")
        let files = try Report.render(result, inputs: data.files, toolVersion: "<v>")
        let html = String(decoding: files.first { $0.0 == "index.html" }!.1, as: UTF8.self)
        XCTAssertFalse(html.contains("<b>x&"))
        XCTAssertTrue(html.contains("&lt;b&gt;x&amp;y&#39;&lt;/b&gt;"))
        XCTAssertTrue(html.contains("oodbench &lt;v&gt;"))
        XCTAssertFalse(html.contains("<script"), "the page needs no scripts")
        XCTAssertFalse(html.contains("http://") && html.contains("src=\"http"), "no external resources")
        for (path, data) in files where path.hasSuffix(".svg") {
            let parser = XMLParser(data: data)
            XCTAssertTrue(parser.parse(), "\(path) is not well-formed XML: \(String(describing: parser.parserError))")
        }
    }

    func testRenderingIsDeterministic() throws {
        let (data, result) = try toyResult()
        let a = try Report.render(result, inputs: data.files, toolVersion: "1")
        let b = try Report.render(Scorer.score(data), inputs: data.files, toolVersion: "1")
        XCTAssertEqual(a.map(\.0), b.map(\.0))
        for (x, y) in zip(a, b) { XCTAssertEqual(x.1, y.1, x.0) }
    }

    func testWriteReplacesFolderAtomicallyAndLeavesNothingOnFailure() throws {
        let (data, result) = try toyResult()
        let out = root.appendingPathComponent("report")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try Data("old".utf8).write(to: out.appendingPathComponent("stale.txt"))
        try Report.write(result, inputs: data.files, toolVersion: "1", to: out)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent("stale.txt").path))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root.path).sorted(), ["humans", "report", "results"])
        // A report folder under a regular file cannot be written: error, and nothing half-written left behind.
        let blocker = root.appendingPathComponent("file")
        try Data().write(to: blocker)
        XCTAssertThrowsError(try Report.write(result, inputs: data.files, toolVersion: "1", to: blocker.appendingPathComponent("r"))) {
            XCTAssertTrue("\($0)".hasPrefix("\(blocker.path)/r: cannot write the report"), "\($0)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root.path).sorted(), ["file", "humans", "report", "results"])
    }

    func testRanksTicksAndColours() {
        XCTAssertEqual(Charts.ticks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1])
        XCTAssertEqual(Charts.ticks(-0.2, 1), [-0.2, 0, 0.2, 0.4, 0.6, 0.8, 1])
        XCTAssertEqual(Charts.ticks(0, 0.15), [0, 0.05, 0.1, 0.15])
        XCTAssertEqual(Charts.diverging(0), "#ffffff")
        XCTAssertEqual(Charts.diverging(1), "#b2182b")
        XCTAssertEqual(Charts.diverging(-1), "#2166ac")
        XCTAssertEqual(SVG.num(12.345), "12.35")
        XCTAssertEqual(SVG.num(-0.5), "-0.5")
        XCTAssertEqual(SVG.num(3), "3")
        let styles = DecisionMakerStyle.assign(["a", "humans", "b"])
        XCTAssertEqual(styles["humans"], .humans)
        XCTAssertNotEqual(styles["a"], styles["b"])
        XCTAssertEqual(Set(CategoryGlyph.shapes.keys), Set(Categories.all), "a glyph for every category")
    }
}
