import Foundation
import TestSupport
import XCTest
@testable import Scoring

/// CSV reading and writing, condition normalisation, image ids.
final class RawDataTests: XCTestCase {
    func testWriterMatchesUpstreamModelCSVBytes() throws {
        let url = Mirror.url("model-vs-human/raw-data-models/cue-conflict/cue-conflict_resnet50_session-1.csv")
        guard let original = try? Data(contentsOf: url) else { throw XCTSkip("mirror not found (set OODBENCH_MIRROR)") }
        let rows = try RawDataReader.rows(of: url)
        XCTAssertEqual(rows.count, 1280)
        XCTAssertEqual(rows[0], RawDataRow(subj: "resnet50", trial: 1, objectResponse: "bottle", category: "airplane",
                                           condition: "NaN", imagename: "airplane1-bicycle2.png"))
        XCTAssertEqual(Data(RawDataWriter.csv(rows).utf8), original, "writer must reproduce upstream bytes (CRLF)")
        XCTAssertEqual(RawDataWriter.fileName(dataset: "edge", model: "efficientnet_l2_noisy_student_475"),
                       "edge_efficientnet-l2-noisy-student-475_session-1.csv")
    }

    func testReaderAcceptsHeaderCaseLineEndingsEmptyLinesAndColumnOrder() throws {
        let text = "imagename,CATEGORY,Subj,object_response,condition\r\n\r\na.png,cat,m,na,c05\n\nb.png,dog,m,dog,c05"
        let lines = try RawDataReader.parse(Data(text.utf8), path: "x.csv")
        XCTAssertEqual(lines.map(\.line), [3, 5])
        XCTAssertEqual(lines[0].row.objectResponse, "na")
        XCTAssertEqual(lines[0].row.imagename, "a.png")
        XCTAssertEqual(lines[1].row.category, "dog")
        XCTAssertEqual(lines[1].row.session, "")
    }

    func testConditionNormalisationAsPandas() {
        let hp = BenchmarkDataset.named("high-pass")!
        XCTAssertEqual(hp.conditionIndex(of: "1").map { hp.conditions[$0] }, "1.0")
        XCTAssertEqual(hp.conditionIndex(of: "3").map { hp.conditions[$0] }, "3.0")
        XCTAssertEqual(hp.conditionIndex(of: "inf").map { hp.conditions[$0] }, "inf")
        XCTAssertEqual(hp.conditionIndex(of: "0.55").map { hp.conditions[$0] }, "0.55")
        XCTAssertNil(hp.conditionIndex(of: "2"))
        let un = BenchmarkDataset.named("uniform-noise")!
        XCTAssertEqual(un.conditionIndex(of: "0.10").map { un.conditions[$0] }, "0.1")
        XCTAssertEqual(un.conditionIndex(of: "0.00").map { un.conditions[$0] }, "0.0")
        let fc = BenchmarkDataset.named("false-colour")!
        XCTAssertEqual(fc.conditionIndex(of: "true").map { fc.conditions[$0] }, "True")
        XCTAssertEqual(fc.conditionIndex(of: "FALSE").map { fc.conditions[$0] }, "False")
        let contrast = BenchmarkDataset.named("contrast")!
        XCTAssertNil(contrast.conditionIndex(of: "c07"))
        XCTAssertNil(contrast.conditionIndex(of: "nan"))
        XCTAssertEqual(BenchmarkDataset.named("edge")!.conditionIndex(of: "NaN"), 0)
        XCTAssertEqual(BenchmarkDataset.all.count, 17)
        XCTAssertEqual(BenchmarkDataset.all.filter(\.isParametric).count, 12)
        // Included conditions of metrics.md §2
        XCTAssertEqual(contrast.conditions.indices.filter(contrast.isIncluded).map { contrast.conditions[$0] },
                       ["c50", "c30", "c15", "c10", "c05"])
        let e3 = BenchmarkDataset.named("eidolonIII")!
        XCTAssertEqual(e3.conditions.indices.filter(e3.isIncluded).map { e3.conditions[$0] }, ["2-0-10", "4-0-10", "8-0-10"])
    }

    func testImageIDAndTexture() {
        XCTAssertEqual(StimulusName.imageID("0001_cl_s01_cr_oven_40_n04111531_14126.png"), "n04111531_14126.png")
        XCTAssertEqual(StimulusName.imageID("0001_s5n_s01_0_bird_00_bird3-bird2.png"), "bird3-bird2.png")
        XCTAssertEqual(StimulusName.imageID("airplane1-bicycle2.png"), "airplane1-bicycle2.png")
        XCTAssertEqual(StimulusName.imageID("0001_ske_s01_0_boat_00_boat-0068-sketch-23.png"), "boat-0068-sketch-23.png")
        XCTAssertEqual(StimulusName.texture("0001_s5n_s01_0_bird_00_bird3-bird2.png"), "bird")
        XCTAssertEqual(StimulusName.texture("airplane1-bicycle2.png"), "bicycle")
    }

    func testWriteIsAtomicAndRoundTrips() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rawdata-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("x.csv")
        let rows = [RawDataRow(subj: "m_1", trial: 1, objectResponse: "cat", category: "cat", condition: "0.10",
                               imagename: "0001_nse_dnn_0.10_cat_10_n02123045_1.png")]
        try RawDataWriter.write(rows, to: url)
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8),
                       "subj,session,trial,rt,object_response,category,condition,imagename\r\n"
                       + "m_1,1,1,NaN,cat,cat,0.10,0001_nse_dnn_0.10_cat_10_n02123045_1.png\r\n")
        XCTAssertEqual(try RawDataReader.rows(of: url), rows)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["x.csv"])
    }
}
