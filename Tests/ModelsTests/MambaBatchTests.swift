import Foundation
import XCTest
import Inference
@testable import Models

/// `MambaCLIPModel.features` on batches: whole rounds of one image per core run data-parallel (serial layers,
/// one BLAS thread), the rest with every layer split over the cores; both must give the fixtures' outputs, and a
/// second call (reusing the pooled workspaces) the same values again.
final class MambaBatchTests: XCTestCase {
    private func check(_ name: String, kind: String) throws {
        let exp = try MambaFixtures.expected()
        let m = (exp["models"] as! [String: Any])[name] as! [String: Any]
        let json = try JSONSerialization.data(withJSONObject: ["kind": kind, "config": m["config"]!])
        let (arch, _) = try MambaCLIPModel.Architecture.fromJSON(json, file: "\(name).json")
        let model = try MambaCLIPModel(architecture: arch, url: try MambaFixtures.require("\(name)/weights.safetensors"))
        let acts = try MambaFixtures.tensors("\(name)/activations_a.safetensors")
        let input = acts["input"]!, want = acts["output"]!
        let b = input.shape[0], h = input.shape[2], w = input.shape[3], fw = model.featureWidth
        XCTAssertEqual(want.count, b * fw)
        // 5 images (the fixture's b images repeated): with 2 cores, 4 data-parallel and 1 split over the cores
        let count = 5, per = 3 * h * w
        var pixels: [Float] = []
        for i in 0..<count { pixels += input.data[((i % b) * per)..<((i % b + 1) * per)] }
        let first = model.features(pixels, count: count, height: h, width: w)
        for i in 0..<count {
            let got = Array(first[(i * fw)..<((i + 1) * fw)])
            let (err, idx) = MambaFixtures.worst(got, want.data[((i % b) * fw)..<((i % b + 1) * fw)])
            XCTAssertLessThanOrEqual(err, 1e-4, "\(name) image \(i): worst \(err) at \(idx)")
        }
        let second = model.features(pixels, count: count, height: h, width: w)
        XCTAssertEqual(first, second, "\(name): a second batch through the reused workspaces differs")
    }

    func testVMambaV2Batch() throws { try check("vmamba_tiny_v2", kind: "vmamba") }
    func testVMambaV3nozBatch() throws { try check("vmamba_tiny_v3noz", kind: "vmamba") }
    func testSiMBABatch() throws { try check("simba_tiny", kind: "simba") }

    /// The workspace hands out 64-byte-aligned, non-overlapping buffers, releases a scope's buffers when it ends,
    /// and reuses its chunks: a repeated sequence of takes allocates nothing new.
    func testWorkspaceReusesItsChunks() {
        let ws = MambaWorkspace()
        func pass() -> [UnsafeMutablePointer<Float>] {
            ws.scope {
                var ps: [UnsafeMutablePointer<Float>] = []
                for n in [10, 3_000_000, 7, MambaWorkspace.chunkFloats + 5, 100] {
                    let b = ws.take(n)
                    XCTAssertEqual(Int(bitPattern: b.p) % 64, 0)
                    b.p.update(repeating: Float(ps.count), count: n)
                    ps.append(b.p)
                    ws.scope { _ = ws.take(1_000_000) }
                }
                return ps
            }
        }
        let a = pass()
        let capacity = ws.capacity
        let b = pass()
        XCTAssertEqual(a, b, "the same sequence of takes gets the same buffers")
        XCTAssertEqual(ws.capacity, capacity, "no new chunk on the second pass")
        XCTAssertEqual(Set(a).count, a.count)
    }
}
