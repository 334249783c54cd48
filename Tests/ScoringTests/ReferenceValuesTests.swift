import Foundation
import TestSupport
import XCTest
@testable import Scoring

/// The shipped CSVs of 7 models and the humans against `reference-values.json` (upstream code's numbers) and
/// the README's published ResNet-50 row (specs/metrics.md §12).
final class ReferenceValuesTests: XCTestCase {
    nonisolated(unsafe) static var cached: (RawDataSet, BenchmarkResult, [String: Any])?

    func load() throws -> (RawDataSet, BenchmarkResult, [String: Any]) {
        if let c = Self.cached { return c }
        let base = Mirror.url("model-vs-human")
        guard FileManager.default.fileExists(atPath: base.appendingPathComponent("raw-data-models").path) else {
            throw XCTSkip("mirror not found at \(base.path) (set OODBENCH_MIRROR)")
        }
        let data = try RawDataSet.load(results: [base.appendingPathComponent("raw-data-models")],
                                       humans: base.appendingPathComponent("raw-data"))
        let result = Scorer.score(data)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: base.appendingPathComponent("reference-values.json")))
        let upstream = (json as! [String: Any])["upstream"] as! [String: Any]
        Self.cached = (data, result, upstream)
        return Self.cached!
    }

    func close(_ got: Double?, _ want: Any?, _ what: String, tolerance: Double = 1e-9,
               file: StaticString = #filePath, line: UInt = #line) {
        guard let want = want as? Double else { return XCTFail("\(what): no reference value", file: file, line: line) }
        guard let got else { return XCTFail("\(what): got nil, want \(want)", file: file, line: line) }
        XCTAssertEqual(got, want, accuracy: tolerance, "\(what)", file: file, line: line)
    }

    func testPublishedResNet50RowAndHumansRowToThreeDecimals() throws {
        let (_, r, _) = try load()
        func r3(_ x: Double?) -> String { String(format: "%.3f", x ?? .nan) }
        let resnet = r.summary["resnet50"]!
        XCTAssertEqual(r3(resnet.oodAccuracy), "0.559")
        XCTAssertEqual(r3(resnet.accuracyDifference), "0.087")
        XCTAssertEqual(r3(resnet.observedConsistency), "0.665")
        XCTAssertEqual(r3(resnet.errorConsistency), "0.208")
        XCTAssertEqual(r3(r.shapeBias["resnet50"]?.overall), "0.214")
        let humans = r.summary["humans"]!
        XCTAssertEqual(humans.oodAccuracy!, 0.7228, accuracy: 5e-5)
        XCTAssertEqual(humans.accuracyDifference!, 0.00657, accuracy: 5e-6)
        XCTAssertEqual(humans.observedConsistency!, 0.8085, accuracy: 5e-5)
        XCTAssertEqual(humans.errorConsistency!, 0.4312, accuracy: 5e-5)
        XCTAssertEqual(r.shapeBias["humans"]!.overall!, 0.9587, accuracy: 5e-5)
        XCTAssertEqual(r.decisionMakers.count, 8)
        XCTAssertTrue(r.notes.isEmpty, "\(r.notes)")
        XCTAssertTrue(r.decisionMakers.allSatisfy { r.isComplete($0) })
    }

    func testSummaryAndPerDatasetMatchUpstream() throws {
        let (_, r, up) = try load()
        let summary = up["summary"] as! [String: [String: Double]]
        let perDataset = up["per-dataset"] as! [String: [String: [String: Double]]]
        XCTAssertEqual(Set(summary.keys), Set(r.decisionMakers))
        for dm in r.decisionMakers {
            let s = r.summary[dm]!
            close(s.oodAccuracy, summary[dm]?["OOD accuracy"], "\(dm) OOD accuracy")
            close(s.accuracyDifference, summary[dm]?["accuracy difference"], "\(dm) accuracy difference")
            close(s.observedConsistency, summary[dm]?["observed consistency"], "\(dm) observed consistency")
            close(s.errorConsistency, summary[dm]?["error consistency"], "\(dm) error consistency")
            for dataset in BenchmarkDataset.all {
                let got = r.perDataset[dm]![dataset.name]!
                let want = perDataset[dm]![dataset.name]!
                close(got.oodAccuracy, want["OOD accuracy"], "\(dm) \(dataset.name) OOD accuracy")
                close(got.accuracyDifference, want["accuracy difference"], "\(dm) \(dataset.name) acc diff")
                close(got.observedConsistency, want["observed consistency"], "\(dm) \(dataset.name) obs")
                close(got.errorConsistency, want["error consistency"], "\(dm) \(dataset.name) kappa")
            }
        }
    }

    func testShapeBiasMatchesUpstream() throws {
        let (_, r, up) = try load()
        let sb = up["shape-bias"] as! [String: [String: Any]]
        for dm in r.decisionMakers {
            let got = r.shapeBias[dm]!, want = sb[dm]!
            close(got.overall, want["shape-bias"], "\(dm) shape bias")
            close(got.fractionShape, want["fraction-correct-shape"], "\(dm) fraction shape")
            close(got.fractionTexture, want["fraction-correct-texture"], "\(dm) fraction texture")
            let perCategory = want["per-category (matrixplot: pooled trials)"] as! [String: Double]
            for (k, c) in Categories.all.enumerated() {
                close(got.perCategory[k], perCategory[c], "\(dm) \(c)")
            }
            if dm == BenchmarkResult.humans {
                let box = want["per-category (boxplot: mean over subjects)"] as! [String: Double]
                for (k, c) in Categories.all.enumerated() { close(got.boxplot[k], box[c], "humans boxplot \(c)") }
                let perSubject = want["per-subject overall shape-bias"] as! [String: Double]
                XCTAssertEqual(got.perSubject.map(\.subject), perSubject.keys.sorted())
                for (s, v) in got.perSubject { close(v, perSubject[s], "\(s) shape bias") }
            } else {
                XCTAssertEqual(got.boxplot, got.perCategory)
            }
        }
        // metrics.md §12.3, rounded: knife differs between the pooled and the boxplot variant.
        XCTAssertEqual(r.shapeBias["humans"]!.perCategory[13]!, 0.89114, accuracy: 5e-6)
        XCTAssertEqual(r.shapeBias["humans"]!.boxplot[13]!, 0.87097, accuracy: 5e-6)
        XCTAssertEqual(r.shapeBias["clip"]!.perCategory[2]!, 0.87302, accuracy: 5e-6)
    }

    func testPerConditionAccuracyAndErrorConsistencyLineMatchUpstream() throws {
        let (_, r, up) = try load()
        let perCondition = up["per-condition-accuracy"] as! [String: [String: [String: Double]]]
        for (datasetName, byDM) in perCondition {
            let dataset = BenchmarkDataset.named(datasetName)!
            for (dm, values) in byDM {
                XCTAssertEqual(values.count, dataset.conditions.count, "\(datasetName)")
                for (c, condition) in dataset.conditions.enumerated() {
                    close(r.accuracy[datasetName]![dm]![c], values[condition], "\(dm) \(datasetName) \(condition)")
                }
            }
        }
        // metrics.md §12.4 by hand: humans' contrast c05 and uniform-noise 0.35
        XCTAssertEqual(r.accuracy["contrast"]!["humans"]![5]!, 0.353125, accuracy: 1e-12)
        XCTAssertEqual(r.accuracy["uniform-noise"]!["resnet50"]![5]!, 0.0625, accuracy: 1e-12)
        let line = up["error-consistency-per-condition (contrast, lineplot)"] as! [String: [String: Double]]
        let contrast = BenchmarkDataset.named("contrast")!
        for (dm, values) in line {
            for (c, condition) in contrast.conditions.enumerated() {
                close(r.errorConsistencyLine["contrast"]![dm]![c], values[condition], "EC line \(dm) \(condition)")
            }
        }
    }

    func testRanksMatchUpstream() throws {
        let (_, r, up) = try load()
        let ranks = up["ranks among the models in this file"] as! [String: [String: Double]]
        XCTAssertEqual(Set(ranks.keys), Set(r.ranks.keys))
        for (m, want) in ranks {
            XCTAssertEqual(r.ranks[m]!.humanlike, want["humanlike mean rank"]!, accuracy: 1e-12, m)
            XCTAssertEqual(r.ranks[m]!.oodAccuracy, want["OOD accuracy rank"]!, accuracy: 1e-12, m)
        }
        XCTAssertNil(r.ranks["humans"])
    }

    func testErrorConsistencyMatricesAreSymmetricWithUnitDiagonal() throws {
        let (_, r, _) = try load()
        XCTAssertEqual(Set(r.errorConsistencyMatrix.keys), ["edge", "silhouette", "cue-conflict", "sketch", "stylized"])
        let (subjects, kappa) = r.errorConsistencyMatrix["sketch"]!
        XCTAssertEqual(subjects.count, 7 + 7)
        XCTAssertEqual(Array(subjects.prefix(7)), r.decisionMakers.dropLast().map { $0 })
        for i in subjects.indices {
            XCTAssertEqual(kappa[i][i], 1)
            for j in subjects.indices { XCTAssertEqual(kappa[i][j]!, kappa[j][i]!, accuracy: 1e-15) }
        }
    }
}
