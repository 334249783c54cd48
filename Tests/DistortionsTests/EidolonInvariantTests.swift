import Foundation
import Imaging
import TestSupport
import XCTest

@testable import Distortions

/// Properties of the eidolon factory that hold without any golden: a naive twin of the blur, reach 0, determinism,
/// the independence of the picture work and of the noise planes from reach and coherence, condition strings.
final class EidolonInvariantTests: XCTestCase {
    /// A deterministic 256 × 256 picture with edges, a gradient and fine texture.
    private static let picture: EidolonPicture = {
        var f = [UInt8](repeating: 0, count: 256 * 256)
        for r in 0..<256 {
            for c in 0..<256 {
                let disc = (r - 120) * (r - 120) + (c - 140) * (c - 140) < 70 * 70 ? 90 : 0
                let stripes = (c / 8) % 2 == 0 ? 25 : 0
                f[r * 256 + c] = UInt8(min(255, 30 + r / 2 + disc + stripes + (r * 7 + c * 13) % 11))
            }
        }
        return EidolonPicture(fiducial: f)
    }()

    /// Reach 0 gives Σ_k D_k = S_0, the σ = 1/√2 toolbox blur; checked against a direct evaluation of the flattened
    /// circular convolution O[n] = Σ_m K_flat[m]·P[(n − m) mod L] (taps below 1e-30 of the peak dropped).
    func testReachZeroIsTheFinestBlurAsTheToolboxComputesIt() {
        let factory = EidolonFactory()
        let out = factory.renderPlane(Self.picture, condition: EidolonCondition(reach: 0, coherence: 1), seed: 1)
        let float = factory.lastFloatPlane
        let sigma = EidolonScaleSpace.sigmas[0]
        let g = EidolonBlur.taps(sigma: sigma)
        let support = (0..<512).filter { g[$0] > 1e-30 * g[0] }
        let fat = Self.picture.fat.map(Double.init)
        let length = 512 * 512
        var worst = 0.0
        for r in stride(from: 128, to: 384, by: 5) {
            for c in stride(from: 128, to: 384, by: 3) {
                let n = r * 512 + c
                var sum = 0.0
                for a in support {
                    for b in support {
                        let m = a * 512 + b
                        sum += g[a] * g[b] * fat[((n - m) % length + length) % length]
                    }
                }
                worst = max(worst, abs(sum - float[(r - 128) * 256 + c - 128]))
            }
        }
        XCTAssertLessThan(worst, 1e-9, "reach 0 float plane vs direct flattened convolution")
        // The 8-bit output is the float plane clipped and truncated, independent of seed and coherence.
        XCTAssertEqual(out, float.map { UInt8(max(0, min(255, $0)).rounded(.towardZero)) })
        for (seed, coherence) in [(UInt32(7), 0.0), (99, 0.3)] {
            XCTAssertEqual(factory.renderPlane(Self.picture, condition: EidolonCondition(reach: 0, coherence: coherence),
                                               seed: seed), out)
        }
    }

    func testSameSeedSameBytesOtherSeedOtherBytes() {
        let condition = EidolonCondition(reach: 8, coherence: 1)
        let a = EidolonFactory().render(Self.picture, condition: condition, seed: 5)
        let b = EidolonFactory().render(Self.picture, condition: condition, seed: 5)
        XCTAssertEqual(a, b)
        let c = EidolonFactory().render(Self.picture, condition: condition, seed: 6)
        XCTAssertGreaterThan(eidolonDifference(a.plane256.samples, c.plane256.samples).count, 1000)
        XCTAssertEqual(a.stimulus.width, 224)
        XCTAssertEqual(a.stimulus.height, 224)
        XCTAssertEqual(a.plane256.width, 256)
    }

    /// The picture work (scale space) is done once and serves every condition; the shortcuts that skip irrelevant
    /// noise planes at coherence 0 and 1 give the same bytes as computing all 48.
    func testWorkIsIndependentOfReachAndCoherence() {
        let shared = EidolonFactory()
        for (reach, coherence) in [(128.0, 1.0), (4.0, 0.0)] {
            let condition = EidolonCondition(reach: reach, coherence: coherence)
            let reused = shared.renderPlane(Self.picture, condition: condition, seed: 11)
            let full = EidolonFactory()
            full.computeEverything = true
            XCTAssertEqual(full.renderPlane(Self.picture, condition: condition, seed: 11), reused,
                           "reach \(reach) coherence \(coherence)")
        }
    }

    /// The fields of levels 0 and 11 after `prepare` (x then y).
    private static func levelFields(_ f: EidolonFields, seed: UInt32, coherence: Double, blur: EidolonBlur) -> [[Double]] {
        f.prepare(seed: seed, coherence: coherence, grain: 10, blur: blur)
        var out: [[Double]] = []
        for k in [0, 11] {
            f.makeLevel(k, blur: blur)
            out.append(Array(UnsafeBufferPointer(start: f.fieldX, count: EidolonFields.centreCount)))
            out.append(Array(UnsafeBufferPointer(start: f.fieldY, count: EidolonFields.centreCount)))
        }
        return out
    }

    /// The blend is the only place coherence enters: F(c) = (1 − c)·F(0) + c·F(1) for the same seed (up to rounding:
    /// the blend is formed in the spectrum, before the one inverse transform per level and axis).
    func testFieldsAreTheBlendOfIncoherentAndCoherentParts() {
        func fields(_ c: Double) -> [[Double]] {
            let f = EidolonFields()
            f.computeEverything = true
            return Self.levelFields(f, seed: 3, coherence: c, blur: EidolonBlur())
        }
        let incoherent = fields(0), coherent = fields(1), blended = fields(0.3)
        for plane in 0..<4 {
            for i in stride(from: 0, to: EidolonFields.centreCount, by: 97) {
                XCTAssertEqual(blended[plane][i], (0.7 * incoherent[plane][i]) + (0.3 * coherent[plane][i]),
                               accuracy: 1e-13)
            }
        }
        // Coherent fields are smooth across levels, incoherent ones are fresh: their correlation differs.
        XCTAssertNotEqual(incoherent[0], coherent[0])
    }

    /// Kept draws: one seed at several coherences, in any order, gives exactly the fields of a fresh computation per
    /// coherence (the second coherence draws only the half it lacks, continuing the stream where the coherent planes
    /// end, or re-seeding when they were only skipped); a new seed starts afresh.
    func testKeptDrawsGiveTheFieldsOfAFreshComputation() {
        let blur = EidolonBlur()
        var fresh: [Double: [[Double]]] = [:]
        for c in [0.0, 0.3, 1.0] { fresh[c] = Self.levelFields(EidolonFields(), seed: 21, coherence: c, blur: blur) }
        XCTAssertNotEqual(fresh[0.0]![0], fresh[1.0]![0])
        for order in [[1.0, 0.3, 0.0], [0.0, 0.3, 1.0], [0.3, 1.0, 0.0]] {
            let kept = EidolonFields()
            kept.keepsDraws = true
            for c in order + [order[0]] {
                XCTAssertTrue(Self.levelFields(kept, seed: 21, coherence: c, blur: blur) == fresh[c]!,
                              "coherence \(c) in the order \(order)")
            }
            let other = Self.levelFields(kept, seed: 22, coherence: 0.3, blur: blur)
            XCTAssertTrue(other == Self.levelFields(EidolonFields(), seed: 22, coherence: 0.3, blur: blur), "new seed")
        }
    }

    func testConditionStrings() {
        XCTAssertEqual(EidolonDataset.eidolonI.conditions,
                       ["1-10-10", "2-10-10", "4-10-10", "8-10-10", "16-10-10", "32-10-10", "64-10-10", "128-10-10"])
        XCTAssertEqual(EidolonDataset.eidolonII.conditions.last, "128-3-10")
        XCTAssertEqual(EidolonDataset.eidolonIII.conditions.first, "1-0-10")
        let c = EidolonCondition(parsing: "16-3-10")
        XCTAssertEqual(c?.reach, 16)
        XCTAssertEqual(c?.coherence, 0.3)
        XCTAssertEqual(c?.grain, 10)
        for dataset in EidolonDataset.allCases {
            for text in dataset.conditions {
                XCTAssertEqual(dataset.condition(text)?.description, text)
                XCTAssertEqual(dataset.condition(text)?.coherence, dataset.coherence)
            }
        }
        for bad in ["", "16", "16-3", "16-3-10-1", "16-11-10", "-1-3-10", "16-3-0", "a-3-10", "16-3-10 ", "1e3-3-10"] {
            XCTAssertNil(EidolonCondition(parsing: bad), bad)
        }
        XCTAssertNil(EidolonDataset.eidolonII.condition("16-10-10"))
    }

    func testNonSquarePictureIsRefused() {
        let image = Image8(channels: 3, height: 200, width: 224)
        XCTAssertThrowsError(try EidolonPicture(image: image)) { error in
            XCTAssertEqual(error as? DistortionsError, .unsupportedImage(
                distortion: "eidolon", reason: "needs a square picture (the stimuli are 224×224), got 224×200"))
            XCTAssertTrue("\(error)".contains("224×200"))
        }
    }

    /// Grey input is the same as RGB with three equal channels (Pillow's L of equal channels is the channel).
    func testGreyInputEqualsReplicatedRGB() throws {
        var grey = [UInt8](repeating: 0, count: 224 * 224)
        for i in grey.indices { grey[i] = UInt8((i * 37 + i / 224 * 11) % 256) }
        let rgb = grey.flatMap { [$0, $0, $0] }
        let a = try EidolonPicture(image: Image8(channels: 1, height: 224, width: 224, samples: grey))
        let b = try EidolonPicture(image: Image8(channels: 3, height: 224, width: 224, samples: rgb))
        XCTAssertEqual(a, b)
    }
}
