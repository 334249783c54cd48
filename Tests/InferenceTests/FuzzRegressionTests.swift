import Foundation
import XCTest
import TestSupport
import Inference

/// Fuzz findings (Tests/Fixtures/fuzz/README.md) and the pickle-graph cases behind them: reference cycles are
/// refused and freed, shared sub-trees cannot unfold exponentially.
final class FuzzRegressionTests: XCTestCase {
    func files(_ target: String) throws -> [URL] {
        let folder = Mirror.fixture("fuzz/\(target)")
        return try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") }.sorted { $0.path < $1.path }
    }

    func assertOneLine(_ error: Error, names file: String, _ message: String = "", line: UInt = #line) {
        let text = "\(error)"
        XCTAssertTrue(error is InferenceError, "\(message): \(text)", line: line)
        XCTAssertFalse(text.contains("\n"), "\(message): \(text)", line: line)
        XCTAssertTrue(text.hasPrefix(file + ": "), "\(message): \(text)", line: line)
    }

    func testUnpicklerFindingsAreRefusedCleanly() throws {
        let inputs = try files("FuzzUnpickler")
        XCTAssertFalse(inputs.isEmpty)
        for url in inputs {
            let bytes = try Data(contentsOf: url)
            let name = url.lastPathComponent
            XCTAssertThrowsError(try bytes.withUnsafeBytes { raw in
                let value = try Unpickler(file: name).load(raw).value
                _ = try TorchCheckpoint.stateDictReferences(value, file: name)
            }, name) { self.assertOneLine($0, names: name, name) }
        }
    }

    /// ZIP64 records whose central-directory offset is above Int64.max trapped inside ZIPFoundation
    /// (`off_t(offset)`); `ZipPreflight` now refuses them before ZIPFoundation reads the file.
    func testTorchZipFindingsAreRefusedCleanly() throws {
        let inputs = try files("FuzzTorchZip")
        XCTAssertEqual(inputs.count, 3)
        for url in inputs {
            let name = url.lastPathComponent
            XCTAssertThrowsError(try TorchCheckpoint(url: url), name) { error in
                self.assertOneLine(error, names: name, name)
                XCTAssertTrue("\(error)".contains("not a well-formed zip: central directory offset"), "\(error)")
            }
        }
    }

    /// Legacy checkpoints whose pickle builds tuples of shared tuples (DUP, TUPLE2, repeated): the cycle check
    /// unfolded the shared storage into a tree that doubles per step (20 s of CPU for 626 bytes, found by
    /// FuzzLegacyTorch on a 16-core machine). Each must now finish at once, loaded or refused in one line.
    func testLegacyTorchSharedTupleFindingsFinishQuickly() throws {
        let inputs = try files("FuzzLegacyTorch")
        XCTAssertEqual(inputs.count, 3)
        for url in inputs {
            let name = url.lastPathComponent
            let started = Date()
            do {
                let checkpoint = try LegacyTorchCheckpoint(data: try Data(contentsOf: url), file: name)
                for tensor in checkpoint.names { _ = try checkpoint.tensor(tensor) }
            } catch {
                assertOneLine(error, names: name, name)
            }
            XCTAssertLessThan(Date().timeIntervalSince(started), 2, name)
        }
    }

    /// The same shape built directly: a list holding a tuple nested 60 deep whose two halves share one storage
    /// (2^60 leaves if unfolded) loads at once, and a list inside such a tuple that holds the list is still a cycle.
    func testSharedTupleStorageIsLookedThroughOnce() throws {
        var acyclic: [UInt8] = [0x80, 2, 0x5D, 0x4E]                       // PROTO 2, EMPTY_LIST, NONE
        for _ in 0..<60 { acyclic += [0x32, 0x86] }                          // DUP, TUPLE2
        acyclic += [0x61, 0x2E]                                              // APPEND, STOP
        let started = Date()
        let value = try load(acyclic)
        XCTAssertEqual(value.elements?.count, 1)
        XCTAssertLessThan(Date().timeIntervalSince(started), 2)

        var cyclic: [UInt8] = [0x80, 2, 0x5D, 0x71, 0, 0x68, 0]             // EMPTY_LIST, BINPUT 0, BINGET 0
        for _ in 0..<60 { cyclic += [0x32, 0x86] }                           // the list, doubled into shared tuples
        cyclic += [0x61, 0x2E]                                               // appended to itself, STOP
        XCTAssertThrowsError(try load(cyclic)) { error in
            XCTAssertTrue("\(error)".contains("reference cycle"), "\(error)")
        }
    }

    func load(_ bytes: [UInt8], _ unpickler: Unpickler = Unpickler(file: "c.pkl")) throws -> PickleValue {
        try bytes.withUnsafeBytes { try unpickler.load($0).value }
    }

    func testReferenceCyclesAreRefused() throws {
        let cases: [(String, [UInt8])] = [
            ("dict whose state is itself", [0x80, 2, 0x7D, 0x32, 0x62, 0x2E]),                         // } DUP BUILD .
            ("list appended to itself", [0x80, 2, 0x5D, 0x71, 0, 0x68, 0, 0x61, 0x2E]),              // ] q0 h0 a .
            ("dict holding itself", [0x80, 2, 0x7D, 0x71, 0, 0x8C, 1, 0x6B, 0x68, 0, 0x73, 0x2E]),    // } q0 'k' h0 s .
            // a list inside a dict inside the list: the cycle spans two containers
            ("two-step cycle", [0x80, 2, 0x5D, 0x71, 0, 0x7D, 0x8C, 1, 0x6B, 0x68, 0, 0x73, 0x61, 0x2E]),
            // a cycle that is popped off the stack before STOP still has to be freed
            ("garbage cycle", [0x80, 2, 0x5D, 0x71, 0, 0x68, 0, 0x61, 0x30, 0x4E, 0x2E]),
        ]
        for (what, bytes) in cases {
            XCTAssertThrowsError(try load(bytes), what) { error in
                self.assertOneLine(error, names: "c.pkl", what)
                XCTAssertTrue("\(error)".contains("reference cycle"), "\(what): \(error)")
            }
        }
        // Shared, acyclic references are fine: [x, x] with x = [].
        let shared = try load([0x80, 2, 0x5D, 0x28, 0x5D, 0x71, 0, 0x68, 0, 0x65, 0x2E])
        XCTAssertEqual(shared.elements?.count, 2)
    }

    /// The containers of a refused pickle are freed: an object made by the callable handler is watched weakly.
    func testRefusedCycleIsFreed() throws {
        weak var watched: PickleObject?
        var unpickler = Unpickler(file: "c.pkl")
        unpickler.callableHandler = { module, name, args in
            let object = PickleObject(module: module, name: name, args: args)
            watched = object
            return .object(object)
        }
        // GLOBAL m.C, EMPTY_TUPLE, REDUCE, DUP, BUILD (the object's state is itself), STOP
        let bytes: [UInt8] = [0x80, 2, 0x63] + Array("m\nC\n".utf8) + [0x29, 0x52, 0x32, 0x62, 0x2E]
        XCTAssertThrowsError(try load(bytes, unpickler)) { XCTAssertTrue("\($0)".contains("reference cycle"), "\($0)") }
        XCTAssertNil(watched, "the cyclic object outlived the refused pickle")
        // Truncated before STOP: freed as well.
        XCTAssertThrowsError(try load(Array(bytes.dropLast()), unpickler))
        XCTAssertNil(watched, "the cyclic object outlived the truncated pickle")
    }

    /// Forty TorchScript-like modules, each holding the one below twice: 2⁴⁰ paths through a few hundred bytes.
    func testSharedModuleTreeCannotUnfoldExponentially() throws {
        var bytes: [UInt8] = [0x80, 2]
        let global = [0x63] + Array("__torch__.M\nM\n".utf8)
        bytes += global + [0x29, 0x81, 0x71, 0, 0x30]                            // leaf: M(), memo 0, POP
        for level in 1...40 {
            bytes += global + [0x29, 0x81]                                       // M()
            bytes += [0x7D, 0x28, 0x8C, 1, 0x61, 0x68, UInt8(level - 1), 0x8C, 1, 0x62, 0x68, UInt8(level - 1), 0x75]
            bytes += [0x62, 0x71, UInt8(level)] + (level < 40 ? [0x30] : [])     // BUILD, memo level, POP
        }
        bytes += [0x2E]
        let value = try load(bytes, Unpickler(file: "tree.pkl"))
        let start = Date()
        XCTAssertThrowsError(try TorchCheckpoint.stateDictReferences(value, file: "tree.pkl")) { error in
            self.assertOneLine(error, names: "tree.pkl")
            XCTAssertTrue("\(error)".contains("module tree above \(TorchCheckpoint.maxModuleNodes) values"), "\(error)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
    }

    /// A tensor name with a newline (a JSON escape in a safetensors header) stays on one line in the refusal.
    func testControlCharactersInTensorNamesAreEscaped() {
        var bytes = Data()
        let header = #"{"a\nb":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#
        var n = UInt64(header.utf8.count)
        bytes.append(Data(bytes: &n, count: 8)); bytes.append(Data(header.utf8)); bytes.append(Data(count: 4))
        XCTAssertThrowsError(try SafetensorsFile(data: bytes, file: "t.safetensors")) { error in
            XCTAssertFalse("\(error)".contains("\n"), "\(error)")
            XCTAssertTrue("\(error)".hasPrefix(#"t.safetensors: a\nb: "#), "\(error)")
        }
    }
}
