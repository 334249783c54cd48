import Foundation
import XCTest
@testable import Scoring

/// CSVs with absurd column counts are refused before a line is split into fields (issue 12).
final class CSVLimitTests: XCTestCase {
    let header = "subj,session,trial,rt,object_response,category,condition,imagename\n"

    func testHeaderWithTwoMillionColumnsIsRefused() throws {
        var text = header.dropLast() + String(repeating: ",x", count: 2_000_000 - 8) + "\n"
        text += "a,1,1,1,cat,cat,0,img.png\n"
        XCTAssertThrowsError(try RawDataReader.rows(data: Data(text.utf8), path: "wide.csv")) { error in
            XCTAssertEqual(error as? ScoringError, .tooManyColumns(path: "wide.csv", line: 1, columns: 2_000_000,
                                                                   limit: RawDataReader.maxColumns))
            XCTAssertEqual("\(error)", "wide.csv:1: 2000000 columns, more than the limit of 1000")
        }
    }

    func testDataRowWithAMillionFieldsIsRefused() throws {
        let text = header + "a,1,1,1,cat,cat,0,img.png\n" + String(repeating: ",", count: 999_999) + "\n"
        XCTAssertThrowsError(try RawDataReader.rows(data: Data(text.utf8), path: "wide.csv")) { error in
            XCTAssertEqual(error as? ScoringError, .tooManyColumns(path: "wide.csv", line: 3, columns: 1_000_000,
                                                                   limit: RawDataReader.maxColumns))
        }
    }

    func testWrongFieldCountBelowTheLimitIsAMalformedRow() throws {
        let text = header + "a,1,1,1,cat,cat,0,img.png\n" + String(repeating: ",", count: 500) + "\n"
        XCTAssertThrowsError(try RawDataReader.rows(data: Data(text.utf8), path: "w.csv")) { error in
            XCTAssertEqual(error as? ScoringError, .malformedRow(path: "w.csv", line: 3, expected: 8, got: 501))
        }
        // At the limit: 1000 columns in the header are read.
        let wide = header.dropLast() + String(repeating: ",x", count: RawDataReader.maxColumns - 8) + "\n"
        XCTAssertEqual(try RawDataReader.rows(data: Data(wide.utf8), path: "w.csv").count, 0)
    }

    /// Text from a CSV (a condition token with an escape sequence, a stray carriage return) is escaped in messages.
    func testControlCharactersInMessagesAreEscaped() {
        let error = ScoringError.unknownCondition(path: "a.csv", line: 3, dataset: "contrast", token: "c\u{1B}[2J\r05")
        XCTAssertEqual(error.description, #"a.csv:3: unknown condition "c\u{1B}[2J\r05" for contrast"#)
    }
}
