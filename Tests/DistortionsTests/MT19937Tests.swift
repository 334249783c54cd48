import Foundation
import TestSupport
import XCTest
@testable import Distortions

/// numpy `RandomState` test vectors (specs/distortions.md §1.5, manifest `rng_test_vectors`).
final class MT19937Tests: XCTestCase {
    func testFirstOutputsForSeed42() {
        var rng = MT19937(seed: 42)
        XCTAssertEqual((0..<4).map { _ in rng.nextUInt32() }, [0x5fe1_dc66, 0xcbea_3db3, 0xf362_035c, 0x2ef5_950e])
    }

    func testFirstRandomSamplesForSeed42() {
        var rng = MT19937(seed: 42)
        let expected = ["0x1.7f8771e5f51ecp-2", "0x1.e6c4068bbd654p-1", "0x1.76c7e8f1e6751p-1", "0x1.32835d6632cb0p-1"]
        for hex in expected { XCTAssertEqual(rng.randomSample(), Double(hex)!) }
        var decimal = MT19937(seed: 42)
        XCTAssertEqual(decimal.randomSample(), 0.3745401188473625)
        XCTAssertEqual(decimal.randomSample(), 0.9507143064099162)
        XCTAssertEqual(decimal.randomSample(), 0.7319939418114051)
    }

    /// 1000 doubles (crossing three refills) hashed as little-endian float64, against the manifest.
    func testThousandSamplesHash() throws {
        let vectors = try Goldens.manifest()["rng_test_vectors"] as! [String: Any]
        var rng = MT19937(seed: 42)
        let values = (0..<1000).map { _ in rng.randomSample() }
        XCTAssertEqual(Goldens.planeSHA256(values), vectors["random_sample_1000_sha256"] as? String)
    }

    /// The bulk fill gives exactly the stream of single draws, across refills and from any position.
    func testBulkFillEqualsSingleDraws() {
        var single = MT19937(seed: 7), bulk = MT19937(seed: 7)
        _ = single.nextUInt32(); _ = bulk.nextUInt32()  // odd position: doubles straddle a refill later
        var out = [Double](repeating: 0, count: 1500)
        out.withUnsafeMutableBufferPointer { bulk.fillRandomSamples($0) }
        for i in 0..<1500 { XCTAssertEqual(out[i], single.randomSample(), "sample \(i)") }
        XCTAssertEqual(bulk.nextUInt32(), single.nextUInt32())
    }

    /// `uniform(-0.1, 0.1)` and the phase shifts of width 90 (specs §3.5 step 2), against the manifest.
    func testUniformAndPhaseShifts() throws {
        let vectors = try Goldens.manifest()["rng_test_vectors"] as! [String: Any]
        var rng = MT19937(seed: 42)
        var noise = [Double](repeating: 0, count: 4)
        noise.withUnsafeMutableBufferPointer { rng.fillUniform($0, low: -0.1, high: 0.1) }
        XCTAssertEqual(noise, (vectors["uniform_width0.1_first4_hex"] as! [String]).map { Double($0)! })

        var global = MT19937(seed: 42)
        var shifts = [Double](repeating: 0, count: 24_864)
        shifts.withUnsafeMutableBufferPointer { global.fillRandomSamples($0) }
        shifts = shifts.map { ((($0 - 0.5) * 2) * 90.0 / 180) * Double.pi }
        XCTAssertEqual(Array(shifts.prefix(4)), (vectors["phase_shifts_width90_first4_hex"] as! [String]).map { Double($0)! })
        XCTAssertEqual(shifts.last, Double(vectors["phase_shifts_width90_last_hex"] as! String))
        let stored = try NPY(contentsOf: Goldens.folder.appendingPathComponent("intermediates/phase_shifts_seed42_width90.npy"))
        XCTAssertEqual(stored.values, shifts)
    }

    func testStandardNormalCachesSecondValue() {
        // numpy: RandomState(42).standard_normal(3) = [0.4967141530112327, -0.13826430117118466, 0.6476885381006925]
        var rng = MT19937(seed: 42)
        XCTAssertEqual(rng.standardNormal(), 0.4967141530112327)
        XCTAssertEqual(rng.standardNormal(), -0.13826430117118466)
        XCTAssertEqual(rng.standardNormal(), 0.6476885381006925)
    }
}
