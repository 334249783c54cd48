import Foundation
import Imaging
import TestSupport
import XCTest

@testable import Distortions

/// Distribution statistics of eidolons made with seeds other than the goldens' (the reference stimuli were made
/// unseeded): for each picture and condition, the mean and standard deviation of the output and its mean absolute
/// difference from the fiducial, at 256 and 224 px, for 4 seeds (1000 + 7919·run + k, k the condition's index).
///
/// Two sources of ranges:
/// - `eidolon-goldens/acceptance_stats.json` (shared): ranges from 5 unseeded toolbox runs. For two eidolon I
///   conditions they are narrower than the toolbox's own spread: at this test's seeds the toolbox itself lands outside
///   them (img1 4-10-10: mean |output − fiducial| 12.38–12.66 for three of four seeds, range from 13.10; img2
///   64-10-10: mean 127.6 and 129.6, range up to 127.0), so those two are checked against the next source only.
/// - `Tests/Fixtures/eidolon/acceptance_stats_20runs.json` (made by `make_acceptance_stats.py` next to it, running
///   the toolbox of pull request #1): ranges from 20 seeded toolbox runs per condition, and the toolbox's statistics
///   at this test's four seeds, which the factory must reproduce (its seeded outputs are pixel-identical).
///
/// Every build checks one condition per dataset plus the two conditions above; OODBENCH_ALL_GOLDENS=1 checks all 48.
final class EidolonStatisticsTests: XCTestCase {
    /// Conditions whose shared ranges the toolbox itself fails at this test's seeds (see the type's notes).
    static let undersampled: Set<String> = ["img1/eidolonI/4-10-10", "img2/eidolonI/64-10-10"]
    static let names = ["mean256", "std256", "mad_vs_fiducial256", "mean224", "std224", "mad_vs_fiducial224"]

    func testStatisticsMatchTheToolboxAndFallInsideTheAcceptanceRanges() throws {
        try EidolonGoldens.skipUnlessPresent()
        let shared = try Self.stats(EidolonGoldens.url("acceptance_stats.json"))
        XCTAssertEqual(shared.count, 48)
        let fixture = try Self.stats(Mirror.fixture("eidolon/acceptance_stats_20runs.json"))
        XCTAssertEqual(Set(fixture.keys), Set(shared.keys))
        let all = ProcessInfo.processInfo.environment["OODBENCH_ALL_GOLDENS"] == "1"
        let sortedKeys = shared.keys.sorted()
        let keys = all ? sortedKeys
            : ["img1/eidolonI/16-10-10", "img1/eidolonII/4-3-10", "img2/eidolonIII/64-0-10"] + Self.undersampled.sorted()
        let factory = EidolonFactory()
        for key in keys {
            let k = try XCTUnwrap(sortedKeys.firstIndex(of: key))
            let parts = key.split(separator: "/").map(String.init)
            let picture = try EidolonPicture(image: EidolonGoldens.png("inputs/\(parts[0]).png", channels: 3))
            let fiducial = picture.fiducial.map(Double.init)
            let fiducial224 = Image8(channels: 1, height: 256, width: 256, samples: picture.fiducial)
                .resized(width: 224, height: 224, filter: .lanczos).samples.map(Double.init)
            let dataset = try XCTUnwrap(EidolonDataset(rawValue: parts[1]))
            let condition = try XCTUnwrap(dataset.condition(parts[2]), key)
            let toolbox = try XCTUnwrap(fixture[key]?["test_seeds"] as? [String: [String: Double]], key)
            let sharedRanges = try XCTUnwrap(shared[key] as? [String: [String: Any]], key)
            let fixtureRanges = try XCTUnwrap(fixture[key]?["runs"] as? [String: [String: Any]], key)
            for run in 0..<4 {
                let seed = UInt32(1000 + 7919 * run + k)
                let result = factory.render(picture, condition: condition, seed: seed)
                let o256 = result.plane256.samples.map(Double.init)
                let o224 = result.stimulus.samples.map(Double.init)
                let measured: [String: Double] = [
                    "mean256": mean(o256), "std256": std(o256), "mad_vs_fiducial256": mad(o256, fiducial),
                    "mean224": mean(o224), "std224": std(o224), "mad_vs_fiducial224": mad(o224, fiducial224),
                ]
                for name in Self.names {
                    let value = try XCTUnwrap(measured[name])
                    let expected = try XCTUnwrap(toolbox[String(seed)]?[name], "\(key) \(seed) \(name)")
                    XCTAssertEqual(value, expected, accuracy: 1e-9, "\(key) seed \(seed): \(name) vs the toolbox")
                    let wide = try XCTUnwrap(fixtureRanges[name]?["accept_range"] as? [Double], "\(key) \(name)")
                    XCTAssertTrue(wide[0] <= value && value <= wide[1],
                                  "\(key) seed \(seed): \(name) = \(value) outside the 20-run range \(wide)")
                    if !Self.undersampled.contains(key) {
                        let range = try XCTUnwrap(sharedRanges[name]?["accept_range"] as? [Double], "\(key) \(name)")
                        XCTAssertTrue(range[0] <= value && value <= range[1],
                                      "\(key) seed \(seed): \(name) = \(value) outside the shared range \(range)")
                    }
                }
            }
        }
    }

    private static func stats(_ url: URL) throws -> [String: [String: Any]] {
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: try Data(contentsOf: url)) as? [String: Any])
        return try XCTUnwrap(json["stats"] as? [String: [String: Any]], url.path)
    }

    private func mean(_ a: [Double]) -> Double { a.reduce(0, +) / Double(a.count) }
    private func std(_ a: [Double]) -> Double {
        let m = mean(a)
        return (a.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(a.count)).squareRoot()
    }
    private func mad(_ a: [Double], _ b: [Double]) -> Double {
        zip(a, b).reduce(0) { $0 + abs($1.0 - $1.1) } / Double(a.count)
    }
}
