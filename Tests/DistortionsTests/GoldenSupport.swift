import Foundation
import Imaging
import TestSupport
import XCTest
@testable import Distortions

/// The distortion goldens of the mirror (`distortion-goldens/manifest.json`, specs/distortions.md §4).
enum Goldens {
    static let folder = Mirror.url("distortion-goldens")

    struct Entry {
        let distortion: String
        let condition: String
        let input: String
        let tolerance: String
        let seed: UInt32?
        let planeSHA256: String
        let pngSamplesSHA256: String?
        let truncatedSamplesSHA256: String?
        let npy: String?
        let png: String?
        let pngMode: String?
        let stackedGrey: Bool
        let nearHalfSamples: Int
        let outputShape: [Int]
    }

    static func manifest() throws -> [String: Any] {
        let url = folder.appendingPathComponent("manifest.json")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("distortion goldens not found at \(url.path) (set OODBENCH_MIRROR)")
        }
        return try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }

    static func entries() throws -> [Entry] {
        let goldens = try manifest()["goldens"] as! [[String: Any]]
        return goldens.map { g in
            Entry(distortion: g["distortion"] as! String, condition: g["condition"] as! String,
                  input: g["input"] as! String, tolerance: g["tolerance"] as! String,
                  seed: (g["seed"] as? Int).map { UInt32($0) },
                  planeSHA256: g["sha256_float64_plane"] as! String,
                  pngSamplesSHA256: g["png_samples_sha256"] as? String,
                  truncatedSamplesSHA256: g["trunc2023_samples_sha256"] as? String,
                  npy: g["npy"] as? String, png: g["png"] as? String, pngMode: g["png_mode"] as? String,
                  stackedGrey: g["stacked_grey"] as! Bool,
                  nearHalfSamples: g["near_half_samples"] as! Int,
                  outputShape: g["output_shape"] as! [Int])
        }
    }

    nonisolated(unsafe) private static var inputCache: [String: Image8] = [:]

    /// A golden input (224 × 224 RGB), decoded from `inputs/<id>.png`.
    static func input(_ id: String) throws -> Image8 {
        if let cached = inputCache[id] { return cached }
        let image = try Image8(contentsOf: folder.appendingPathComponent("inputs/\(id).png"))
        inputCache[id] = image
        return image
    }

    static func tables() throws -> DistortionTables {
        let folder = Mirror.url("generalisation-humans-DNNs/code")
        guard FileManager.default.fileExists(atPath: folder.path) else {
            throw XCTSkip("reference tables not found at \(folder.path) (set OODBENCH_MIRROR)")
        }
        return try DistortionTables(
            meanAmplitudeSpectrum: folder.appendingPathComponent(DistortionTables.meanAmplitudeSpectrumFileName),
            gammaTable: folder.appendingPathComponent(DistortionTables.gammaTableFileName))
    }

    /// sha256 of the float64 values, little-endian, in order (the manifest's `sha256_float64_plane`).
    static func planeSHA256(_ values: [Double]) -> String {
        var data = Data(capacity: values.count * 8)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        return DistortionTables.sha256Hex(data)
    }

    static func samplesSHA256(_ image: Image8) -> String {
        DistortionTables.sha256Hex(Data(image.samples))
    }
}

extension Goldens {
    /// The golden 8-bit output PNG, decoded.
    static func outputPNG(_ entry: Entry) throws -> Image8? {
        guard let png = entry.png else { return nil }
        return try Image8(contentsOf: folder.appendingPathComponent(png))
    }
}
