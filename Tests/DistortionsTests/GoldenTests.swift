import Foundation
import Imaging
import TestSupport
import XCTest
@testable import Distortions

/// Every golden of `distortion-goldens/manifest.json` (specs/distortions.md §4): the float64 plane bit for bit
/// (`exact8`), 8-bit samples under both writers, float planes within 1e-6 of the stored float32 `.npy`.
final class GoldenTests: XCTestCase {
    nonisolated(unsafe) private static var cachedTables: DistortionTables?

    /// With `.spectral` (low-pass, high-pass) the float64 plane is not expected bit for bit; everything else is.
    private func check(_ distortion: String, method: GaussianMethod = .exact, file: StaticString = #filePath,
                       line: UInt = #line) throws {
        let entries = try Goldens.entries().filter { $0.distortion == distortion }
        XCTAssertFalse(entries.isEmpty, "no goldens for \(distortion)", file: file, line: line)
        if Self.cachedTables == nil { Self.cachedTables = try Goldens.tables() }
        let engine = Distorter(tables: Self.cachedTables)
        engine.gaussianMethod = method
        guard let registered = Distortion.named(distortion) else {
            return XCTFail("\(distortion) is not registered", file: file, line: line)
        }
        for entry in entries {
            let name = "\(entry.distortion) \(entry.condition) \(entry.input)"
            let input = try Goldens.input(entry.input)
            let out = try engine.apply(registered, condition: entry.condition, to: input, seed: entry.seed ?? 0)

            // Layout and shape as the reference returns them.
            let expectedLayout: DistortedImage.Layout =
                entry.pngMode == "L" ? .grey : (entry.stackedGrey ? .stackedGrey : .rgb)
            XCTAssertEqual(out.layout, expectedLayout, "\(name): layout", file: file, line: line)
            XCTAssertEqual([out.height, out.width], Array(entry.outputShape.prefix(2)), "\(name): shape",
                           file: file, line: line)

            // Float plane: bit-exact target, and within 1e-6 of the float32 copy.
            let sha = Goldens.planeSHA256(out.values)
            if let npy = entry.npy {
                let stored = try NPY(contentsOf: Goldens.folder.appendingPathComponent(npy))
                XCTAssertEqual(stored.count, out.values.count, "\(name): value count", file: file, line: line)
                var worst = 0.0, worstIndex = 0
                for i in 0..<min(stored.count, out.values.count) {
                    let d = abs(stored.values[i] - out.values[i])
                    if d > worst { worst = d; worstIndex = i }
                }
                XCTAssertLessThanOrEqual(worst, 1e-6, "\(name): max |Δ| \(worst) at \(worstIndex)",
                                         file: file, line: line)
            }
            if entry.tolerance == "exact8" && method == .exact {
                XCTAssertEqual(sha, entry.planeSHA256, "\(name): float64 plane differs", file: file, line: line)
            }

            // 8-bit samples under the 2018 (round half up) and 2023 (truncation) writers.
            let rounded = out.image8(.roundHalfUp)
            let truncated = out.image8(.truncate)
            if let expected = entry.pngSamplesSHA256 {
                if entry.tolerance == "exact8" || entry.nearHalfSamples == 0 {
                    XCTAssertEqual(Goldens.samplesSHA256(rounded), expected, "\(name): 8-bit samples (round)",
                                   file: file, line: line)
                } else {
                    try checkNearHalf(out, rounded, entry, name: name, file: file, line: line)
                }
            }
            if let expected = entry.truncatedSamplesSHA256, entry.tolerance == "exact8" {
                XCTAssertEqual(Goldens.samplesSHA256(truncated), expected, "\(name): 8-bit samples (truncate)",
                               file: file, line: line)
            }
        }
    }

    /// fft8 with flagged near-half samples: all other samples equal to the golden PNG; the flagged ones within 1.
    private func checkNearHalf(_ out: DistortedImage, _ rounded: Image8, _ entry: Goldens.Entry, name: String,
                               file: StaticString, line: UInt) throws {
        guard let png = try Goldens.outputPNG(entry) else { return }
        XCTAssertEqual(png.samples.count, rounded.samples.count, "\(name): sample count", file: file, line: line)
        var differing = 0
        for i in 0..<min(png.samples.count, rounded.samples.count) where png.samples[i] != rounded.samples[i] {
            let v = out.values[out.layout == .rgb ? i : i / (rounded.channels)] * 255.0
            let nearHalf = abs((v - v.rounded(.down)) - 0.5) < 1e-9
            XCTAssertTrue(nearHalf && abs(Int(png.samples[i]) - Int(rounded.samples[i])) == 1,
                          "\(name): sample \(i) is \(rounded.samples[i]), golden \(png.samples[i])",
                          file: file, line: line)
            differing += 1
        }
        XCTAssertLessThanOrEqual(differing, entry.nearHalfSamples * 3, "\(name)", file: file, line: line)
    }

    func testColour() throws { try check("colour") }
    func testContrast() throws { try check("contrast") }
    func testHighPass() throws { try check("high-pass") }
    func testLowPass() throws { try check("low-pass") }
    /// The FFT path: every 8-bit sample (both writers) and the float32 planes, not the float64 bits.
    func testLowPassSpectral() throws { try check("low-pass", method: .spectral) }
    func testHighPassSpectral() throws { try check("high-pass", method: .spectral) }
    func testPhaseScrambling() throws { try check("phase-scrambling") }
    func testPowerEqualisation() throws { try check("power-equalisation") }
    func testFalseColour() throws { try check("false-colour") }
    func testRotation() throws { try check("rotation") }
    func testUniformNoise() throws { try check("uniform-noise") }
}
