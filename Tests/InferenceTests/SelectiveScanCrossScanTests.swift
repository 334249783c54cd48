import XCTest
@testable import Inference

/// SS2D's four scan directions on a 2×3 map, by hand: with A ≈ 0 (exp(ΔA) = 1), D = 0, C = 1, δ = 0
/// (Δ = ln 2) and B = 1 in one direction only, the merged output at each position is ln 2 times the sum of the
/// inputs that direction visited up to and including it.
final class SelectiveScanCrossScanTests: XCTestCase {
    // u[p] = p + 1 on the map [[1, 2, 3], [4, 5, 6]] (p = h·3 + w); channel 1 holds 10·u.
    let height = 2, width = 3
    // Prefix sums in each direction's visiting order, listed by spatial position p.
    let expected: [[Double]] = [
        [1, 3, 6, 10, 15, 21],        // k = 0: row-major raster
        [1, 7, 15, 5, 12, 21],        // k = 1: column-major raster (visits p = 0, 3, 1, 4, 2, 5)
        [21, 20, 18, 15, 11, 6],      // k = 2: row-major reversed
        [21, 16, 9, 20, 14, 6],       // k = 3: column-major reversed (visits p = 5, 2, 4, 1, 3, 0)
    ]

    private func run(bPerDirection: [Float], naiveOrder: Bool = false) -> [Float] {
        let l = height * width, dInner = 2, r = 1, n = 1
        let xw = r + 2 * n
        var u = [Float](repeating: 0, count: l * dInner)
        for p in 0..<l { u[p * dInner] = Float(p + 1); u[p * dInner + 1] = Float(10 * (p + 1)) }
        var xDbl = [Float](repeating: 0, count: l * 4 * xw)
        for p in 0..<l {
            for k in 0..<4 {
                xDbl[p * 4 * xw + k * xw + r] = bPerDirection[k]       // B_k
                xDbl[p * 4 * xw + k * xw + r + n] = 1                  // C_k
            }
        }
        let deltaRaw = [Float](repeating: 0, count: l * 4 * dInner)
        let w = SelectiveScanWeights(channels: 4 * dInner, dState: 1, aLog: [Float](repeating: -40, count: 4 * dInner),
                                     d: [Float](repeating: 0, count: 4 * dInner),
                                     deltaBias: [Float](repeating: 0, count: 4 * dInner))
        var y = [Float](repeating: .nan, count: l * dInner)
        let cs = CrossScan(height: height, width: width)
        u.withUnsafeBufferPointer { u in xDbl.withUnsafeBufferPointer { x in deltaRaw.withUnsafeBufferPointer { d in
            y.withUnsafeMutableBufferPointer { y in
                cs.run(dInner: dInner, u: u.baseAddress!, xDbl: x.baseAddress!, dtRank: r, deltaRaw: d.baseAddress!,
                       weights: w, y: y.baseAddress!)
            }
        } } }
        return y
    }

    func testEachDirectionByHand() {
        for k in 0..<4 {
            var b: [Float] = [0, 0, 0, 0]
            b[k] = 1
            let y = run(bPerDirection: b)
            for p in 0..<6 {
                XCTAssertEqual(Double(y[2 * p]), log(2) * expected[k][p], accuracy: 1e-5, "direction \(k) position \(p)")
                XCTAssertEqual(Double(y[2 * p + 1]), 10 * log(2) * expected[k][p], accuracy: 1e-4, "direction \(k) position \(p)")
            }
        }
    }

    func testMergeSumsAllFourDirections() {
        let y = run(bPerDirection: [1, 2, 3, 4])
        for p in 0..<6 {
            let want = log(2) * (1 * expected[0][p] + 2 * expected[1][p] + 3 * expected[2][p] + 4 * expected[3][p])
            XCTAssertEqual(Double(y[2 * p]), want, accuracy: 1e-4, "position \(p)")
        }
    }

    func testVisitingOrders() {
        let cs = CrossScan(height: 2, width: 3)
        XCTAssertEqual((0..<6).map { cs.position(direction: 1, step: $0) }, [0, 3, 1, 4, 2, 5])
        XCTAssertEqual((0..<6).map { cs.position(direction: 3, step: $0) }, [5, 2, 4, 1, 3, 0])
        XCTAssertEqual((0..<6).map { cs.position(direction: 2, step: $0) }, [5, 4, 3, 2, 1, 0])
    }
}
