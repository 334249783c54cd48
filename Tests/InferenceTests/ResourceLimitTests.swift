import Foundation
import XCTest
import TestSupport
@testable import Inference

/// Files that declare far more than they hold are refused before the memory is reserved, in one line that names
/// the file and the limit or the sizes (issue 12). Fixtures: Tests/Fixtures/limits/make_limits.py.
final class ResourceLimitTests: XCTestCase {
    func assertOneLine(_ error: Error, names file: String, contains parts: [String], line: UInt = #line) {
        let text = "\(error)"
        XCTAssertFalse(text.contains("\n"), "more than one line: \(text)", line: line)
        XCTAssertTrue(text.hasPrefix(file + ": "), "does not start with the file name: \(text)", line: line)
        for part in parts { XCTAssertTrue(text.contains(part), "'\(part)' missing from: \(text)", line: line) }
    }

    /// A zip storage entry declaring 4 GiB while storing 16 bytes: refused before its buffer is reserved.
    func testZipEntryDeclaringMoreThanTheFileIsRefused() throws {
        let url = Mirror.fixture("limits/zip_declares_4GiB.pt")
        let checkpoint = try TorchCheckpoint(url: url)
        XCTAssertThrowsError(try checkpoint.loadStateDict()) { error in
            guard case .limitExceeded? = error as? InferenceError else { return XCTFail("\(error)") }
            self.assertOneLine(error, names: "zip_declares_4GiB.pt", contains: ["data/0", "declares 4294967280 bytes", "16 stored bytes"])
        }
        XCTAssertThrowsError(try checkpoint.entryData("data/0", limit: 1 << 20)) { error in
            self.assertOneLine(error, names: "zip_declares_4GiB.pt", contains: ["above the limit of 1048576 bytes"])
        }
    }

    /// A legacy checkpoint whose pickle and storage header declare 16,777,216 floats in a 419-byte file.
    func testLegacyStorageLargerThanTheFileIsRefused() throws {
        let url = Mirror.fixture("limits/legacy_declares_16M.pth")
        let size = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int)
        XCTAssertLessThan(size, 1_000)
        XCTAssertThrowsError(try LegacyTorchCheckpoint(contentsOf: url)) { error in
            guard case .truncated(_, _, let need, let have)? = error as? InferenceError else { return XCTFail("\(error)") }
            XCTAssertEqual(need, 16_777_216 * 4)
            XCTAssertEqual(have, 64)
            self.assertOneLine(error, names: "legacy_declares_16M.pth", contains: ["need 67108864 bytes"])
        }
    }

    /// Declared lengths beyond the data, for every sized opcode, and nesting beyond the limit.
    func testPickleHugeDeclaredSizesAndDeepNesting() throws {
        let unpickler = Unpickler(file: "p.pkl")
        func load(_ bytes: [UInt8]) throws { _ = try bytes.withUnsafeBytes { try unpickler.load($0) } }
        let max32: [UInt8] = [0xFF, 0xFF, 0xFF, 0x7F]
        let max64: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]
        let cases: [(String, [UInt8])] = [
            ("BINUNICODE", [0x80, 4, 0x58] + max32 + [0x61]),
            ("BINUNICODE8", [0x80, 4, 0x8D] + max64 + [0x61]),
            ("BINBYTES", [0x80, 4, 0x42] + max32 + [0x61]),
            ("BINBYTES8", [0x80, 4, 0x8E] + max64 + [0x61]),
            ("BYTEARRAY8", [0x80, 5, 0x96] + max64 + [0x61]),
            ("LONG4", [0x80, 4, 0x8B] + max32 + [0x61]),
        ]
        for (opcode, bytes) in cases {
            XCTAssertThrowsError(try load(bytes), opcode) { error in
                XCTAssertTrue(error is InferenceError, "\(opcode): \(error)")
                self.assertOneLine(error, names: "p.pkl", contains: [])
            }
        }
        // Nesting: 300 EMPTY_LIST, each APPENDed into the one before (the limit is 200).
        let limit = Unpickler.Limits().maxNesting
        var deep: [UInt8] = [0x80, 2]
        deep += [UInt8](repeating: 0x5D, count: limit + 100)
        deep += [UInt8](repeating: 0x61, count: limit + 99)
        deep += [0x2E]
        XCTAssertThrowsError(try load(deep)) { error in
            self.assertOneLine(error, names: "p.pkl", contains: ["nesting above \(limit)"])
        }
        // Nested tuples through MARK … TUPLE: 300 deep.
        var tuples: [UInt8] = [0x80, 2]
        tuples += [UInt8](repeating: 0x28, count: 300)
        tuples += [UInt8](repeating: 0x74, count: 300)
        tuples += [0x2E]
        XCTAssertThrowsError(try load(tuples)) { error in self.assertOneLine(error, names: "p.pkl", contains: ["above"]) }
    }

    /// A view with zero strides may repeat a storage's elements, but not into billions of them.
    func testExpandedViewBeyondTheLimitIsRefused() throws {
        let storage = StorageReference(key: "0", type: .float32, location: "cpu", elementCount: 1)
        var one: Float = 1
        let huge = TensorReference(storage: storage, offset: 0, size: [65_536, 65_536], stride: [0, 0])
        XCTAssertThrowsError(try withUnsafeBytes(of: &one) {
            try TorchCheckpoint.materialize(huge, storage: $0, file: "e.pt", tensor: "w")
        }) { error in
            self.assertOneLine(error, names: "e.pt", contains: ["w: view of 4294967296 elements over a storage of 1",
                                                                "up to 16777216 in all"])
        }
        let small = TensorReference(storage: storage, offset: 0, size: [3, 4], stride: [0, 0])
        let tensor = try withUnsafeBytes(of: &one) { try TorchCheckpoint.materialize(small, storage: $0, file: "e.pt", tensor: "w") }
        XCTAssertEqual(tensor.data, [Float](repeating: 1, count: 12))
    }
}
