import Foundation
import TestSupport
import XCTest
@testable import Distortions

/// The data tables: read by sha256, refused when altered, found in a folder whatever their names.
final class DistortionTablesTests: XCTestCase {
    func testReadsTheReferenceTables() throws {
        let tables = try Goldens.tables()
        XCTAssertEqual(tables.spectrumSize, 224)
        XCTAssertEqual(tables.meanAmplitudeSpectrum[112 * 224 + 112], 22803.906911616246)
        XCTAssertEqual(tables.gamma.count, 256)
        XCTAssertEqual(tables.gamma.first, 0)
        XCTAssertEqual(tables.gamma.last, 1)
    }

    func testFindsTablesBySHA256AndRefusesAlteredFiles() throws {
        let source = Mirror.url("generalisation-humans-DNNs/code")
        guard FileManager.default.fileExists(atPath: source.path) else { throw XCTSkip("mirror not found") }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("oodbench-tables-\(UUID())")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("nested"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let spectrum = folder.appendingPathComponent("nested/a.npy"), gamma = folder.appendingPathComponent("b.npy")
        try FileManager.default.copyItem(at: source.appendingPathComponent(DistortionTables.meanAmplitudeSpectrumFileName), to: spectrum)
        try FileManager.default.copyItem(at: source.appendingPathComponent(DistortionTables.gammaTableFileName), to: gamma)
        let found = try DistortionTables(searching: folder)
        XCTAssertEqual(found.gamma, try Goldens.tables().gamma)

        var bytes = try Data(contentsOf: gamma)
        bytes[bytes.count - 1] ^= 1
        try bytes.write(to: gamma)
        XCTAssertThrowsError(try DistortionTables(meanAmplitudeSpectrum: spectrum, gammaTable: gamma)) { error in
            guard case .tableChecksumMismatch(let path, let expected, _)? = error as? DistortionsError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(path, gamma.path)
            XCTAssertEqual(expected, DistortionTables.gammaTableSHA256)
        }
        XCTAssertThrowsError(try DistortionTables(searching: folder)) { error in
            XCTAssertTrue("\(error)".contains("x_gamma_function.npy"), "\(error)")
        }
    }

    /// The internal .npy reader refuses truncated and foreign files with the file's name, never traps.
    func testNPYReaderRefusesDamagedFiles() throws {
        let url = Mirror.url("generalisation-humans-DNNs/code/x_gamma_function.npy")
        guard let data = try? Data(contentsOf: url) else { throw XCTSkip("mirror not found") }
        XCTAssertEqual(try NPYArray(data: data, path: "g").shape, [256, 1])
        for cut in [0, 5, 9, 40, 127, 128, 500, data.count - 1] {
            XCTAssertThrowsError(try NPYArray(data: data.prefix(cut), path: "g.npy")) { error in
                XCTAssertTrue("\(error)".hasPrefix("g.npy: "), "\(error)")
            }
        }
        XCTAssertThrowsError(try NPYArray(data: Data("not numpy".utf8), path: "x"))
    }
}
