import Foundation
import XCTest
import Inference
@testable import Models

final class SiMBATowerTests: XCTestCase {
    private func tower() throws -> SiMBATower {
        let exp = try MambaFixtures.expected()
        let m = (exp["models"] as! [String: Any])["simba_tiny"] as! [String: Any]
        let config = try SiMBAConfig(upstream: m["config"] as! [String: Any], file: "simba_tiny")
        XCTAssertEqual(config.parameterCount, m["param_count"] as? Int, "parameter count from the configuration")
        var bag = WeightBag(file: "simba_tiny", tensors: try MambaFixtures.tensors("simba_tiny/weights.safetensors"))
        let t = try SiMBATower(config: config, bag: &bag)
        try bag.finish { _ in false }
        return t
    }

    func testTinyMatchesReference() throws {
        let t = try tower()
        for run in ["a", "b"] {
            let names = try MambaFixtures.compareActivations(model: "simba_tiny", run: run) { img, h, w in
                var traced: [String: [Float]] = [:]
                var out = [Float](repeating: 0, count: t.featureWidth)
                img.withUnsafeBufferPointer { p in
                    out.withUnsafeMutableBufferPointer { o in
                        t.forward(p.baseAddress!, height: h, width: w, out: o.baseAddress!) { traced[$0] = $1 }
                    }
                }
                traced["output"] = out
                return traced
            }
            let acts = try MambaFixtures.tensors("simba_tiny/activations_\(run).safetensors")
            let unchecked = Set(acts.keys).subtracting(names).subtracting(["input", "s1b0.scan.A", "s1b0.scan.D", "s1b0.scan.delta_bias"])
            XCTAssertEqual(unchecked, [], "simba_tiny/\(run): activations not compared")
        }
    }

    /// SiMBA-L with the MLP channel mixer (specs/clip-mamba.md §6.4.6), counted without weights.
    func testRealParameterCount() {
        XCTAssertEqual(SiMBAConfig.large.parameterCount, 65_736_512)
    }
}
