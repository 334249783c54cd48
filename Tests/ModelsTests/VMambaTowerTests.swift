import Foundation
import XCTest
import Inference
@testable import Models

final class VMambaTowerTests: XCTestCase {
    private func tower(_ model: String) throws -> VMambaTower {
        let exp = try MambaFixtures.expected()
        let m = (exp["models"] as! [String: Any])[model] as! [String: Any]
        let config = try VMambaConfig(upstream: m["config"] as! [String: Any], file: model)
        XCTAssertEqual(config.parameterCount, m["param_count"] as? Int, "\(model) parameter count from the configuration")
        var bag = WeightBag(file: model, tensors: try MambaFixtures.tensors("\(model)/weights.safetensors"))
        let t = try VMambaTower(config: config, bag: &bag)
        try bag.finish { _ in false }
        return t
    }

    /// Every recorded activation except the input and the scan's weight echoes (A, D, delta_bias) is checked.
    private func check(_ model: String) throws {
        try MambaFixtures.checkTower(try tower(model), model: model, firstScan: "s0b0")
    }

    func testTinyV2MatchesReference() throws { try check("vmamba_tiny_v2") }
    func testTinyV3nozMatchesReference() throws { try check("vmamba_tiny_v3noz") }

    /// The real configurations' parameter counts (specs/clip-mamba.md §6.3.4), counted without weights.
    func testRealParameterCounts() {
        XCTAssertEqual(VMambaConfig.t220.parameterCount, 31_715_904)
        XCTAssertEqual(VMambaConfig.small.parameterCount, 49_378_752)
        XCTAssertEqual(VMambaConfig.base.parameterCount, 87_532_800)
    }
}
