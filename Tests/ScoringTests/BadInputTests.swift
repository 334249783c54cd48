import Foundation
import XCTest
@testable import Scoring

/// Every refusal names the file and, where there is one, the line.
final class BadInputTests: XCTestCase {
    var tiny: TinyData!

    override func setUpWithError() throws {
        tiny = try TinyData()
        try tiny.writeContrast()
    }

    override func tearDown() { tiny.remove() }

    var modelFile: URL {
        tiny.results.appendingPathComponent("raw-data/contrast/contrast_tiny-model_session-1.csv")
    }

    /// Replaces text in the model file, loads, and returns the error's one-line description.
    func failure(_ edit: (String) -> String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let text = try String(contentsOf: modelFile, encoding: .utf8)
        try Data(edit(text).utf8).write(to: modelFile)
        do {
            _ = try RawDataSet.load(results: [tiny.results], humans: tiny.humans)
            XCTFail("loaded bad input", file: file, line: line)
            return ""
        } catch let error as ScoringError {
            return error.description
        }
    }

    func testMissingColumn() throws {
        let message = try failure { $0.replacingOccurrences(of: "imagename", with: "image") }
        XCTAssertEqual(message, "\(modelFile.path):1: missing column \"imagename\" (need subj, object_response, category, condition, imagename)")
    }

    func testUnknownCondition() throws {
        let message = try failure { $0.replacingOccurrences(of: ",c50,0002", with: ",c07,0002") }
        XCTAssertEqual(message, "\(modelFile.path):4: unknown condition \"c07\" for contrast")
    }

    func testCategoryOutsideTheSixteen() throws {
        let message = try failure { $0.replacingOccurrences(of: "NaN,cat,cat,c50,0001", with: "NaN,cat,zebra,c50,0001") }
        XCTAssertEqual(message, "\(modelFile.path):3: category \"zebra\" is not one of the 16 categories")
    }

    func testResponseOutsideTheSixteen() throws {
        let response = try failure { $0.replacingOccurrences(of: "NaN,dog,", with: "NaN,tiger,") }
        XCTAssertTrue(response.hasPrefix("\(modelFile.path):5: object_response \"tiger\""), response)
    }

    func testMismatchedImageIDs() throws {
        let message = try failure { $0.replacingOccurrences(of: "n00000001_1.png", with: "n00000009_9.png") }
        XCTAssertTrue(message.hasPrefix("\(modelFile.path):3: image n00000009_9.png (condition c50) of tiny_model"), message)
        XCTAssertTrue(message.contains("mismatched image ids"), message)
    }

    func testMissingTrialIsAMismatch() throws {
        let message = try failure { text in
            text.components(separatedBy: "\r\n").filter { !$0.contains("n00000002_2") }.joined(separator: "\r\n")
        }
        XCTAssertTrue(message.contains("contrast_subject-01_session_1.csv:4: image n00000002_2.png (condition c50) of subject-01"),
                      message)
    }

    func testDuplicateImage() throws {
        let message = try failure { $0 + "tiny_model,1,9,NaN,cat,cat,c50,0000_cop_dnn_c50_cat_10_n00000000_0.png\r\n" }
        XCTAssertEqual(message, "\(modelFile.path):10: image n00000000_0.png appears twice for tiny_model")
    }

    func testNonUTF8Byte() throws {
        var bytes = Array(try Data(contentsOf: modelFile))
        let third = bytes.indices.filter { bytes[$0] == 0x0A }[2] + 3   // inside line 4
        bytes[third] = 0xFF
        try Data(bytes).write(to: modelFile)
        XCTAssertThrowsError(try RawDataSet.load(results: [tiny.results], humans: tiny.humans)) {
            XCTAssertEqual("\($0)", "\(modelFile.path):4: not UTF-8 text")
        }
    }

    func testMalformedRow() throws {
        let message = try failure { $0.replacingOccurrences(of: "NaN,dog,cat", with: "NaN,dog,cat,extra") }
        XCTAssertEqual(message, "\(modelFile.path):5: 9 fields, expected 8 as in the header")
    }

    func testHumanRowsInResultsAreRefused() throws {
        let message = try failure { $0.replacingOccurrences(of: "tiny_model,1,2,", with: "subject-07,1,2,") }
        XCTAssertTrue(message.hasPrefix("\(modelFile.path):3: human subject \"subject-07\" in model results"), message)
    }

    func testUnknownDatasetFolder() throws {
        try tiny.write("subj\n", base: tiny.results.appendingPathComponent("raw-data"), dataset: "contrasts", name: "a.csv")
        XCTAssertThrowsError(try RawDataSet.load(results: [tiny.results], humans: tiny.humans)) {
            XCTAssertEqual("\($0)", "\(tiny.results.path)/raw-data/contrasts: unknown dataset \"contrasts\" (expected one of the 17 model-vs-human datasets)")
        }
    }

    func testDatasetWithoutHumans() throws {
        try tiny.writeCueConflict()
        try FileManager.default.removeItem(at: tiny.humans.appendingPathComponent("cue-conflict"))
        XCTAssertThrowsError(try RawDataSet.load(results: [tiny.results], humans: tiny.humans)) {
            XCTAssertEqual("\($0)", "\(tiny.humans.path): no human data for dataset cue-conflict")
        }
    }

    func testNoResults() throws {
        let empty = tiny.root.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        XCTAssertThrowsError(try RawDataSet.load(results: [empty], humans: tiny.humans)) {
            XCTAssertTrue("\($0)".hasPrefix("\(empty.path): no raw-data CSV files"))
        }
    }
}
