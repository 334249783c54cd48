import Foundation
import TestSupport
import XCTest

@testable import Evaluation

final class Categories16Tests: XCTestCase {
    /// The embedded index lists equal the mirror's `categories16.json` (upstream `HumanCategories`).
    func testTableEqualsMirrorJSON() throws {
        let data = try Data(contentsOf: Mirror.url("model-vs-human/categories16.json"))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let categories = try XCTUnwrap(json["categories"] as? [[String: Any]])
        XCTAssertEqual(Categories16.names, categories.map { $0["name"] as! String })
        XCTAssertEqual(Categories16.imagenetIndices, categories.map { $0["indices"] as! [Int] })
        XCTAssertEqual(Categories16.imagenetIndices.joined().count, 207)
        XCTAssertEqual(Set(Categories16.imagenetIndices.joined()).count, 207, "disjoint")
    }

    /// Mean, not sum: half the mass on knife's single index beats the other half spread over dog's 109.
    func testMeanNotSum() {
        var p = [Float](repeating: 0, count: 1000)
        p[499] = 0.5                                              // knife
        for i in Categories16.imagenetIndices[10] { p[i] = 0.5 / 109 }  // dog
        let scores = Categories16.categoryProbabilities(imagenet: p)
        XCTAssertEqual(scores[13], 0.5, accuracy: 1e-9)
        XCTAssertEqual(scores[10], 0.5 / 109, accuracy: 1e-9)
        XCTAssertEqual(Categories16.decision(categoryScores: scores), "knife")
    }

    /// Exact ties go to the category that comes last alphabetically, as upstream's flipped argsort.
    func testTiesGoToTheLastCategory() {
        XCTAssertEqual(Categories16.decision(categoryScores: [Double](repeating: 0, count: 16)), "truck")
        var s = [Double](repeating: 0, count: 16)
        s[1] = 0.3; s[4] = 0.3
        XCTAssertEqual(Categories16.decision(categoryScores: s), "boat")
    }
}
