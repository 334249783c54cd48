import Foundation
import Imaging
import TestSupport
import XCTest
@testable import Distortions

/// The registry's names and condition strings (specs §2), condition spellings, bad input, invariants.
final class RegistryTests: XCTestCase {
    func testNamesAndConditionsAreTheRawDataTokens() {
        let expected: [(String, [String])] = [
            ("colour", ["cr", "bw"]),
            ("contrast", ["c100", "c50", "c30", "c15", "c10", "c05", "c03", "c01"]),
            ("high-pass", ["inf", "3", "1.5", "1", "0.7", "0.55", "0.45", "0.4"]),
            ("low-pass", ["0", "1", "3", "5", "7", "10", "15", "40"]),
            ("phase-scrambling", ["0", "30", "60", "90", "120", "150", "180"]),
            ("power-equalisation", ["0", "pow"]),
            ("false-colour", ["true", "false"]),
            ("rotation", ["0", "90", "180", "270"]),
            ("uniform-noise", ["0.00", "0.03", "0.05", "0.10", "0.20", "0.35", "0.60", "0.90"]),
            ("eidolonI", ["1-10-10", "2-10-10", "4-10-10", "8-10-10", "16-10-10", "32-10-10", "64-10-10", "128-10-10"]),
            ("eidolonII", ["1-3-10", "2-3-10", "4-3-10", "8-3-10", "16-3-10", "32-3-10", "64-3-10", "128-3-10"]),
            ("eidolonIII", ["1-0-10", "2-0-10", "4-0-10", "8-0-10", "16-0-10", "32-0-10", "64-0-10", "128-0-10"]),
        ]
        XCTAssertEqual(Distortion.all.map(\.name), expected.map(\.0))
        for (name, conditions) in expected { XCTAssertEqual(Distortion.named(name)?.conditions, conditions) }
        XCTAssertEqual(Distortion.all.filter(\.isRandom).map(\.name),
                       ["phase-scrambling", "uniform-noise", "eidolonI", "eidolonII", "eidolonIII"])
        XCTAssertNil(Distortion.named("eidolon"))
    }

    /// pandas' spellings of the CSV conditions map back to the tokens (specs §2 table).
    func testPandasSpellings() {
        XCTAssertEqual(Distortion.highPass.condition(matching: "3.0"), "3")
        XCTAssertEqual(Distortion.highPass.condition(matching: "inf"), "inf")
        XCTAssertEqual(Distortion.uniformNoise.condition(matching: "0.1"), "0.10")
        XCTAssertEqual(Distortion.uniformNoise.condition(matching: "0.0"), "0.00")
        XCTAssertEqual(Distortion.falseColour.condition(matching: "True"), "true")
        XCTAssertEqual(Distortion.lowPass.condition(matching: "40"), "40")
        XCTAssertNil(Distortion.lowPass.condition(matching: "2"))
        XCTAssertNil(Distortion.contrast.condition(matching: "c99"))
    }

    func testUnknownConditionNamesTheValidOnes() {
        let image = Image8(channels: 3, height: 4, width: 4)
        XCTAssertThrowsError(try Distortion.contrast.apply(to: image, condition: "c07")) { error in
            XCTAssertEqual((error as? DistortionsError)?.description,
                           "contrast: unknown condition 'c07'; expected one of c100, c50, c30, c15, c10, c05, c03, c01")
        }
    }

    func testTablesAreNeededAndSizesChecked() throws {
        let odd = Image8(channels: 3, height: 5, width: 6)
        XCTAssertThrowsError(try Distortion.phaseScrambling.apply(to: odd, condition: "90")) { error in
            XCTAssertTrue("\(error)".contains("even width and height"), "\(error)")
        }
        XCTAssertThrowsError(try Distortion.falseColour.apply(to: odd, condition: "false")) { error in
            XCTAssertTrue("\(error)".contains("gamma table"), "\(error)")
        }
        let tables = try Goldens.tables()
        XCTAssertThrowsError(try Distortion.powerEqualisation.apply(to: odd, condition: "pow", tables: tables)) { error in
            XCTAssertEqual("\(error)", "power-equalisation: needs a 224×224 image (the size of the mean amplitude spectrum), got 6×5")
        }
    }

    /// Grey, grey+alpha and RGBA inputs become RGB as PIL's convert('RGB') (replicate, drop alpha).
    func testChannelConversion() throws {
        let grey = Image8(channels: 1, height: 1, width: 2, samples: [10, 200])
        let greyAlpha = Image8(channels: 2, height: 1, width: 2, samples: [10, 0, 200, 255])
        let rgba = Image8(channels: 4, height: 1, width: 2, samples: [10, 10, 10, 7, 200, 200, 200, 0])
        let expected = try Distortion.colour.apply(to: grey, condition: "cr")
        XCTAssertEqual(expected.values, [10, 10, 10, 200, 200, 200].map { Double($0) / 255.0 })
        XCTAssertEqual(try Distortion.colour.apply(to: greyAlpha, condition: "cr"), expected)
        XCTAssertEqual(try Distortion.colour.apply(to: rgba, condition: "cr"), expected)
    }

    /// Four quarter turns give the greyscale image back; 90 then 270 too; on a non-square image the shape swaps.
    func testRotationInvariants() throws {
        var samples = [UInt8](repeating: 0, count: 3 * 5 * 3)
        for i in samples.indices { samples[i] = UInt8((i * 37) % 256) }
        let image = Image8(channels: 3, height: 3, width: 5, samples: samples)
        let grey = try Distortion.rotation.apply(to: image, condition: "0")
        let r90 = try Distortion.rotation.apply(to: image, condition: "90")
        XCTAssertEqual([r90.height, r90.width], [5, 3])
        // out[i][j] = Y[j][W−1−i]: the top-left of the rotated image is the top-right of the original.
        XCTAssertEqual(r90.values[0], grey.values[4])
        let r180 = try Distortion.rotation.apply(to: image, condition: "180")
        XCTAssertEqual(r180.values, grey.values.reversed())
        let r270 = try Distortion.rotation.apply(to: image, condition: "270")
        XCTAssertEqual(r270.values[0], grey.values[2 * 5])  // out[0][0] = Y[H−1][0]
    }

    /// Non-224 sizes work where the reference's functions do (everything but power-equalisation).
    func testOtherSizes() throws {
        var samples = [UInt8](repeating: 0, count: 3 * 40 * 30)
        for i in samples.indices { samples[i] = UInt8((i * 91) % 256) }
        let image = Image8(channels: 3, height: 40, width: 30, samples: samples)
        // (Eidolons need a square picture: EidolonInvariantTests.)
        for distortion in Distortion.all where distortion != .powerEqualisation && distortion != .falseColour
            && !distortion.name.hasPrefix("eidolon") {
            for condition in distortion.conditions {
                let out = try distortion.apply(to: image, condition: condition, seed: 1)
                XCTAssertTrue(out.values.allSatisfy { $0 >= 0 && $0 <= 1 }, "\(distortion) \(condition)")
            }
        }
        // Phase scrambling at width 0 is the greyscale image up to FFT rounding.
        let grey = try Distortion.colour.apply(to: image, condition: "bw").values
        let scrambled = try Distortion.phaseScrambling.apply(to: image, condition: "0", seed: 3).values
        XCTAssertEqual(zip(grey, scrambled).map { abs($0 - $1) }.max()!, 0, accuracy: 1e-14)
    }
}
