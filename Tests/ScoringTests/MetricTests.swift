import Foundation
import XCTest
@testable import Scoring

/// Hand-computed cases for every metric on tiny data.
final class MetricTests: XCTestCase {
    func testKappaHandComputed() throws {
        let t = true, f = false
        // p_a = .75, p_b = .5, c_obs = .75, c_exp = .375 + .125 = .5, κ = .25/.5 = .5
        let a = try XCTUnwrap(Agreement([t, t, t, f], [t, t, f, f]))
        XCTAssertEqual(a.observed, 0.75)
        XCTAssertEqual(a.expected, 0.5)
        XCTAssertEqual(a.kappa, 0.5)
        XCTAssertEqual(a.squaredAccuracyDifference, 0.0625)
        // Opposite decisions: c_obs 0, c_exp .5 → κ = −1
        XCTAssertEqual(Agreement([t, f], [f, t])?.kappa, -1)
        // Independent-looking: κ = 0
        XCTAssertEqual(Agreement([t, t, f, f], [t, f, f, t])?.kappa, 0)
        // One subject always right: c_exp = p_b, c_obs = p_b → κ = 0
        XCTAssertEqual(Agreement([t, t, t, t], [t, t, t, f])?.kappa, 0)
        // Symmetric
        XCTAssertEqual(Agreement([t, t, f, f, t], [t, f, f, t, t])?.kappa, Agreement([t, f, f, t, t], [t, t, f, f, t])?.kappa)
    }

    func testKappaExpectedConsistencyOneAndEmpty() {
        // Both always right or both always wrong: c_exp = 1 and c_obs = 1 → κ = 1, no division by zero.
        XCTAssertEqual(Agreement([true, true, true], [true, true, true])?.kappa, 1)
        XCTAssertEqual(Agreement([false, false], [false, false])?.kappa, 1)
        XCTAssertEqual(Agreement([false, false], [false, false])?.expected, 1)
        // Perfect agreement with c_exp < 1 is also exactly 1.
        XCTAssertEqual(Agreement([true, false], [true, false])?.kappa, 1)
        XCTAssertNil(Agreement([], []))
    }

    func testRanksAverageTies() {
        XCTAssertEqual(Scorer.rank([0.1, 0.2, 0.2, 0.3], ascending: true), [1, 2.5, 2.5, 4])
        XCTAssertEqual(Scorer.rank([0.1, 0.2, 0.2, 0.3], ascending: false), [4, 2.5, 2.5, 1])
        XCTAssertEqual(Scorer.rank([5, 5, 5], ascending: false), [2, 2, 2])
    }

    func testTinyContrastDataset() throws {
        let tiny = try TinyData()
        defer { tiny.remove() }
        try tiny.writeContrast()
        let data = try RawDataSet.load(results: [tiny.results], humans: tiny.humans)
        let r = Scorer.score(data)
        XCTAssertEqual(r.decisionMakers, ["tiny_model", "humans"])
        // Model vs subject-01 in c50: κ = .5, c_obs = .75, diff (.75 − .5)² = .0625;
        // vs subject-02: c_obs = .25, c_exp = .5, κ = −.5, diff .0625. c100 is excluded, c05 has no trials.
        let m = try XCTUnwrap(r.perDataset["tiny_model"]?["contrast"])
        XCTAssertEqual(m.oodAccuracy, 0.75)
        XCTAssertEqual(m.accuracyDifference, 0.0625)
        XCTAssertEqual(m.observedConsistency, 0.5)
        XCTAssertEqual(m.errorConsistency, 0)
        // Humans: one pair (TTFF vs TFFT): c_obs .5, c_exp .5, κ 0, diff 0; OOD accuracy pooled 4/8.
        let h = try XCTUnwrap(r.summary["humans"])
        XCTAssertEqual(h, Summary(oodAccuracy: 0.5, accuracyDifference: 0, observedConsistency: 0.5, errorConsistency: 0))
        XCTAssertEqual(r.summary["tiny_model"], m)
        // Per-condition accuracy covers every condition: c100 1 and .5 (subject-02 answered na), c05 empty.
        let contrast = BenchmarkDataset.named("contrast")!
        let c100 = contrast.conditions.firstIndex(of: "c100")!, c50 = contrast.conditions.firstIndex(of: "c50")!
        let c05 = contrast.conditions.firstIndex(of: "c05")!
        XCTAssertEqual(r.accuracy["contrast"]?["tiny_model"]?[c100], 1)
        XCTAssertEqual(r.accuracy["contrast"]?["humans"]?[c100], 0.5)
        XCTAssertEqual(r.accuracy["contrast"]?["humans"]?[c50], 0.5)
        XCTAssertEqual(r.accuracy["contrast"]?["humans"]?.count, 8)
        XCTAssertNil(r.accuracy["contrast"]!["humans"]![c05])
        // Error-consistency line: c100, model all right vs subject-01 all right → κ 1 (c_exp 1);
        // vs subject-02 all wrong → c_obs 0, c_exp 0 → κ 0. Mean .5. Humans: c_obs 0, c_exp 0 → 0.
        XCTAssertEqual(r.errorConsistencyLine["contrast"]?["tiny_model"]?[c100], 0.5)
        XCTAssertEqual(r.errorConsistencyLine["contrast"]?["humans"]?[c100], 0)
        XCTAssertEqual(r.errorConsistencyLine["contrast"]?["tiny_model"]?[c50], 0)
        XCTAssertNil(r.errorConsistencyLine["contrast"]!["humans"]![c05])
        // Incomplete: one dataset of 17, the 16 others skipped.
        XCTAssertFalse(r.isComplete("tiny_model"))
        XCTAssertTrue(r.notes.contains("tiny_model: incomplete, scored on 1 of 17 datasets."))
        XCTAssertEqual(r.notes.filter { $0.hasSuffix("no model results; skipped.") }.count, 16)
        XCTAssertTrue(r.shapeBias.isEmpty)
        XCTAssertEqual(r.ranks["tiny_model"]?.humanlike, 1)

        // Entropy over categories present in the category column (only `cat`); `na` not counted.
        XCTAssertEqual(ResponseAnalysis.entropy(data, dataset: "contrast", decisionMaker: "humans")[c50]!, 0.5, accuracy: 1e-15)
        XCTAssertEqual(ResponseAnalysis.entropy(data, dataset: "contrast", decisionMaker: "tiny_model")[c50]!,
                       -0.75 * log2(0.75), accuracy: 1e-15)
        // Confusion: rows na, airplane, …; column cat (index 7). Humans pooled: cat 4, dog 3, na 1 of 8.
        let conf = ResponseAnalysis.confusion(data, dataset: "contrast", condition: "c50", decisionMaker: "humans")
        XCTAssertEqual(conf[0][7], 12.5)
        XCTAssertEqual(conf[1 + 7][7], 50)
        XCTAssertEqual(conf[1 + 10][7], 37.5)
        XCTAssertEqual(conf.map { $0[7] }.reduce(0, +), 100)
        XCTAssertEqual(conf.map { $0[0] }.reduce(0, +), 0)
    }

    func testTinyShapeBias() throws {
        let tiny = try TinyData()
        defer { tiny.remove() }
        try tiny.writeCueConflict()
        let r = Scorer.score(try RawDataSet.load(results: [tiny.results], humans: tiny.humans))
        // Model: shape 1 (airplane1-bicycle2), texture 2 (bird, car), no-conflict and `dog` count for neither.
        let m = try XCTUnwrap(r.shapeBias["tiny_model"])
        XCTAssertEqual(m.overall!, 1.0 / 3, accuracy: 1e-15)
        XCTAssertEqual(m.fractionShape, 0.2)
        XCTAssertEqual(m.fractionTexture, 0.4)
        XCTAssertEqual(m.perCategory[0], 0.5)     // airplane
        XCTAssertEqual(m.perCategory[1], 0)       // bear
        XCTAssertNil(m.perCategory[2])  // bicycle: no trials → n/a
        // Humans pooled: S = 4 + 1, X = 0 + 2 → 5/7; bear pooled 2/3, box plot mean(1, 0) = .5.
        let h = try XCTUnwrap(r.shapeBias["humans"])
        XCTAssertEqual(h.overall!, 5.0 / 7, accuracy: 1e-15)
        XCTAssertEqual(h.perCategory[0], 0.75)
        XCTAssertEqual(h.perCategory[1]!, 2.0 / 3, accuracy: 1e-15)
        XCTAssertEqual(h.boxplot[0], 0.75)
        XCTAssertEqual(h.boxplot[1], 0.5)
        XCTAssertEqual(h.perSubject.map(\.subject), ["subject-01", "subject-02"])
        XCTAssertEqual(h.perSubject.map(\.value), [1.0, 1.0 / 3] as [Double?])
        // Cue-conflict accuracy is agreement with the shape label (model: airplane ×2 of 5).
        XCTAssertEqual(r.perDataset["tiny_model"]?["cue-conflict"]?.oodAccuracy, 0.4)
        // The error-consistency matrix: model first, then the humans; model = subject-02's answers.
        let (subjects, kappa) = try XCTUnwrap(r.errorConsistencyMatrix["cue-conflict"])
        XCTAssertEqual(subjects, ["tiny_model", "subject-01", "subject-02"])
        XCTAssertEqual(kappa[0][2], 1)
        XCTAssertEqual(kappa[0][0], 1)
    }

    func testTwoModelsRankAndPartialModel() throws {
        let tiny = try TinyData()
        defer { tiny.remove() }
        try tiny.writeContrast(modelName: "model_a")
        try tiny.writeCueConflict(modelName: "model_a")
        try tiny.writeContrast(modelName: "model_b")
        let r = Scorer.score(try RawDataSet.load(results: [tiny.results], humans: tiny.humans))
        XCTAssertEqual(r.decisionMakers, ["model_a", "model_b", "humans"])
        XCTAssertEqual(r.modelDatasets["model_b"], ["contrast"])
        XCTAssertTrue(r.notes.contains("model_b: incomplete, scored on 1 of 17 datasets; lacks cue-conflict."))
        XCTAssertNil(r.shapeBias["model_b"])
        XCTAssertNotNil(r.shapeBias["model_a"])
        XCTAssertEqual(r.notes.filter { $0.hasSuffix("skipped.") }.count, 15)
    }
}
