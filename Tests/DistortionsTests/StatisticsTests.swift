import Foundation
import Imaging
import TestSupport
import XCTest
@testable import Distortions

/// The random distortions across seeds: every statistic of a new run inside the acceptance range of the
/// reference's unseeded runs, [min − 3·sd − 1e-4, max + 3·sd + 1e-4] (manifest `unseeded_stats`, specs §4).
final class StatisticsTests: XCTestCase {
    func testRandomDistortionStatisticsAcrossSeeds() throws {
        let stats = try Goldens.manifest()["unseeded_stats"] as! [[String: Any]]
        XCTAssertEqual(stats.count, 45)
        let engine = Distorter()
        let seeds: [UInt32] = [2_024, 2_147_483_000]
        for entry in stats {
            let name = "\(entry["distortion"]!) \(entry["condition"]!) \(entry["input"]!)"
            let distortion = Distortion.named(entry["distortion"] as! String)!
            let condition = entry["condition"] as! String
            let input = try Goldens.input(entry["input"] as! String)
            let clean = distortion == .uniformNoise
                ? try engine.apply(.contrast, condition: "c30", to: input).values
                : try engine.apply(.colour, condition: "bw", to: input).values
            for seed in seeds {
                let out = try engine.apply(distortion, condition: condition, to: input, seed: seed).values
                let measured: [String: Double] = [
                    "mean": Self.mean(out), "std": Self.std(out),
                    "frac0": Double(out.filter { $0 == 0 }.count) / Double(out.count),
                    "frac1": Double(out.filter { $0 == 1 }.count) / Double(out.count),
                    "resid_std": Self.std(zip(out, clean).map { $0 - $1 }),
                ]
                for (key, value) in measured {
                    let range = entry[key] as! [String: Double]
                    let low = range["min"]! - 3 * range["sd"]! - 1e-4, high = range["max"]! + 3 * range["sd"]! + 1e-4
                    XCTAssert(value >= low && value <= high,
                              "\(name) seed \(seed): \(key) \(value) outside [\(low), \(high)]")
                }
            }
        }
    }

    /// Seeds are what numpy makes of them: a fresh generator per call, so equal seeds give equal bytes and
    /// different seeds different noise.
    func testSeedsAreFreshPerCall() throws {
        let input = try Goldens.input("test_image")
        let engine = Distorter()
        for distortion in [Distortion.uniformNoise, .phaseScrambling] {
            let condition = distortion.conditions[3]
            let a = try engine.apply(distortion, condition: condition, to: input, seed: 5)
            let b = try engine.apply(distortion, condition: condition, to: input, seed: 5)
            let c = try engine.apply(distortion, condition: condition, to: input, seed: 6)
            XCTAssertEqual(a, b, "\(distortion)")
            XCTAssertNotEqual(a, c, "\(distortion)")
        }
    }

    static func mean(_ v: [Double]) -> Double { v.reduce(0, +) / Double(v.count) }
    static func std(_ v: [Double]) -> Double {
        let m = mean(v)
        return (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count)).squareRoot()
    }
}
