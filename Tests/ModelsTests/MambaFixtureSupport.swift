import Foundation
import XCTest
import TestSupport
import Inference
@testable import Models

/// Access to clip-mamba-fixtures and the comparison rule of its README: |got − want| ≤ tol · max(1, |want|).
enum MambaFixtures {
    static func url(_ path: String) -> URL { Mirror.url("clip-mamba-fixtures/" + path) }

    static func require(_ path: String) throws -> URL {
        let u = url(path)
        guard FileManager.default.fileExists(atPath: u.path) else { throw XCTSkip("mirror file \(u.path) is absent") }
        return u
    }

    static func tensors(_ path: String) throws -> [String: Tensor] {
        try SafetensorsFile(url: try require(path)).floatTensors()
    }

    static func expected() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: try require("ref/expected.json"))) as! [String: Any]
    }

    /// Worst relative error and its index.
    static func worst(_ got: [Float], _ want: ArraySlice<Float>) -> (err: Float, index: Int) {
        var e: Float = 0, idx = -1
        for (i, (g, w)) in zip(got, want).enumerated() {
            let d = abs(g - w) / max(1, abs(w))
            if !(d <= e) { e = d; idx = i }
        }
        return (e, idx)
    }

    /// Runs `forward(image i) -> trace` for every image of `input_<run>` and compares every traced name that the
    /// activation file holds; returns the names compared.
    @discardableResult
    static func compareActivations(model: String, run: String, tolerance: Float = 1e-4,
                                   forward: ([Float], Int, Int) -> [String: [Float]],
                                   file: StaticString = #filePath, line: UInt = #line) throws -> Set<String> {
        let acts = try tensors("\(model)/activations_\(run).safetensors")
        let input = acts["input"]!
        let b = input.shape[0], h = input.shape[2], w = input.shape[3]
        var compared = Set<String>()
        for i in 0..<b {
            let per = 3 * h * w
            let traced = forward(Array(input.data[(i * per)..<((i + 1) * per)]), h, w)
            for (name, got) in traced.sorted(by: { $0.key < $1.key }) {
                guard let want = acts[name] else { continue }
                let n = want.count / b
                XCTAssertEqual(got.count, n, "\(model)/\(run) image \(i): \(name) has \(got.count) values, expected \(n)",
                               file: file, line: line)
                guard got.count == n else { continue }
                let (err, idx) = worst(got, want.data[(i * n)..<((i + 1) * n)])
                XCTAssertLessThanOrEqual(err, tolerance, "\(model)/\(run) image \(i): \(name) worst \(err) at \(idx)",
                                         file: file, line: line)
                compared.insert(name)
            }
        }
        return compared
    }

    /// Runs `tower` on both inputs of `model` (runs a and b) and checks every recorded activation, and that none was
    /// left out but the input and the first scan's weight echoes (`<firstScan>.scan.A`, `.D`, `.delta_bias`).
    static func checkTower(_ tower: some MambaImageTower, model: String, firstScan: String,
                           file: StaticString = #filePath, line: UInt = #line) throws {
        for run in ["a", "b"] {
            let names = try compareActivations(model: model, run: run, forward: { img, h, w in
                var traced: [String: [Float]] = [:]
                var out = [Float](repeating: 0, count: tower.featureWidth)
                img.withUnsafeBufferPointer { p in
                    out.withUnsafeMutableBufferPointer { o in
                        tower.forward(p.baseAddress!, height: h, width: w, out: o.baseAddress!) { traced[$0] = $1 }
                    }
                }
                traced["output"] = out
                return traced
            }, file: file, line: line)
            let acts = try tensors("\(model)/activations_\(run).safetensors")
            let echoes = ["A", "D", "delta_bias"].map { "\(firstScan).scan.\($0)" }
            let unchecked = Set(acts.keys).subtracting(names).subtracting(["input"] + echoes)
            XCTAssertEqual(unchecked, [], "\(model)/\(run): activations not compared", file: file, line: line)
        }
    }
}
