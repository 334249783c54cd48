@testable import Datasets
import Foundation
import TestSupport
import XCTest

final class CatalogTests: XCTestCase {
    func testSeventeenDatasetsInUpstreamOrder() {
        XCTAssertEqual(Catalog.all.map(\.name), [
            "edge", "silhouette", "cue-conflict", "colour", "contrast", "high-pass", "low-pass", "phase-scrambling",
            "power-equalisation", "false-colour", "rotation", "eidolonI", "eidolonII", "eidolonIII", "uniform-noise",
            "sketch", "stylized",
        ])
        XCTAssertEqual(Catalog.parametric.count, 12)
        // The shared README's note on issue 5: the 12 parametric datasets hold 14,880 images.
        XCTAssertEqual(Catalog.parametric.reduce(0) { $0 + $1.imageCount }, 14_880)
        XCTAssertEqual(Catalog.dataset(named: "sketch")?.imageCount, 800)
        XCTAssertEqual(Catalog.dataset(named: "cue-conflict")?.imageCount, 1280)
    }

    func testExcludedConditionsMatchTheSpec() {
        // specs/metrics.md §2, "Included (non-excluded) conditions".
        let included: [String: [String]] = [
            "colour": ["bw"], "contrast": ["c50", "c30", "c15", "c10", "c05"], "high-pass": ["3.0", "1.5", "1.0", "0.7"],
            "low-pass": ["1", "3", "5", "7", "10"], "phase-scrambling": ["30", "60", "90", "120"],
            "power-equalisation": ["pow"], "false-colour": ["False"], "rotation": ["90", "180", "270"],
            "eidolonI": ["2-10-10", "4-10-10", "8-10-10", "16-10-10", "32-10-10"],
            "eidolonII": ["2-3-10", "4-3-10", "8-3-10", "16-3-10"], "eidolonIII": ["2-0-10", "4-0-10", "8-0-10"],
            "uniform-noise": ["0.03", "0.05", "0.1", "0.2", "0.35"],
        ]
        for spec in Catalog.parametric {
            XCTAssertEqual(spec.conditions.filter { !$0.excluded }.map(\.canonical), included[spec.name], spec.name)
        }
    }

    func testConditionNormalisation() throws {
        let highPass = try Catalog.require("high-pass")
        XCTAssertEqual(highPass.condition(matching: "1")?.canonical, "1.0")
        XCTAssertEqual(highPass.condition(matching: "1.0")?.token, "1")
        XCTAssertEqual(highPass.condition(matching: "inf")?.token, "inf")
        let noise = try Catalog.require("uniform-noise")
        XCTAssertEqual(noise.condition(matching: "0.1")?.token, "0.10")
        XCTAssertEqual(noise.condition(matching: "0.0")?.token, "0.00")
        XCTAssertNil(noise.condition(matching: "0.11"))
        let falseColour = try Catalog.require("false-colour")
        XCTAssertEqual(falseColour.condition(matching: "TRUE")?.token, "true")
        XCTAssertEqual(falseColour.condition(matching: "False")?.token, "false")
        XCTAssertThrowsError(try Catalog.require("colours")) { error in
            XCTAssertTrue("\(error)".contains("unknown name 'colours'"), "\(error)")
        }
    }

    /// Every dataset against the human raw data: subjects, trial count, condition tokens in order of the catalog,
    /// per-condition and per-category counts, experiment code and field 6 of the file names.
    func testCatalogAgreesWithHumanRawData() throws {
        let root = Mirror.url("model-vs-human/raw-data")
        guard FileManager.default.fileExists(atPath: root.path) else { throw XCTSkip("mirror not found at \(root.path)") }
        for spec in Catalog.all {
            let folder = root.appendingPathComponent(spec.name)
            let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".csv") }
            XCTAssertEqual(files.count, spec.humanSubjects, spec.name)
            let text = try String(contentsOf: folder.appendingPathComponent("\(spec.name)_subject-01_session_1.csv"), encoding: .utf8)
            let rows = text.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
            XCTAssertEqual(rows.count, spec.imageCount, spec.name)
            var perCondition: [String: Int] = [:]
            var perCell: [String: Int] = [:]
            for row in rows {
                let name = try XCTUnwrap(StimulusName(String(row[7])), "\(row[7])")
                XCTAssertEqual(String(row[6]), name.condition, "CSV condition column = field 4 of the name")
                XCTAssertEqual(name.code, spec.code, spec.name)
                XCTAssertEqual(name.count, spec.fileCountField, spec.name)
                XCTAssertEqual(String(row[5]), name.category)
                perCondition[name.condition, default: 0] += 1
                perCell["\(name.condition)|\(name.category)", default: 0] += 1
            }
            XCTAssertEqual(Set(perCondition.keys), Set(spec.conditions.map(\.token)), spec.name)
            XCTAssertTrue(perCondition.values.allSatisfy { $0 == spec.imagesPerCondition }, spec.name)
            XCTAssertEqual(perCell.count, spec.conditions.count * 16, spec.name)
            XCTAssertTrue(perCell.values.allSatisfy { $0 == spec.imagesPerCategoryAndCondition }, spec.name)
        }
    }

    func testStimulusNameFieldsAndImageID() throws {
        let name = try XCTUnwrap(StimulusName("0001_cl_s01_cr_oven_40_n04111531_14126.png"))
        XCTAssertEqual(name.code, "cl")
        XCTAssertEqual(name.condition, "cr")
        XCTAssertEqual(name.category, "oven")
        XCTAssertEqual(name.source, "n04111531_14126.png")
        XCTAssertEqual(name.imageID, "n04111531_14126.png")
        XCTAssertEqual(StimulusName("0001_s5n_s01_0_bird_00_bird3-bird2.png")?.imageID, "bird3-bird2.png")
        XCTAssertEqual(StimulusName("0002_ske_dnn_0_airplane_00_airplane-0002-sketch-1.png")?.imageID, "airplane-0002-sketch-1.png")
        XCTAssertNil(StimulusName("airplane1.png"))
        XCTAssertEqual(StimulusName(trial: 7, code: "nse", subject: "dnn", condition: "0.00", category: "bicycle", count: "10",
                                    source: "n03792782_1418.png").fileName, "0007_nse_dnn_0.00_bicycle_10_n03792782_1418.png")
    }
}
