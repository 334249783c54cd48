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
        try MambaFixtures.checkTower(try tower(), model: "simba_tiny", firstScan: "s1b0")
    }

    /// SiMBA-L with the MLP channel mixer (specs/clip-mamba.md §6.4.6), counted without weights.
    func testRealParameterCount() {
        XCTAssertEqual(SiMBAConfig.large.parameterCount, 65_736_512)
    }
}
