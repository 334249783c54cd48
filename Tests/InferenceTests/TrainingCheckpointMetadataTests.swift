import Foundation
import XCTest
@testable import Inference

/// Training checkpoints carry metadata beside the weights (mamba-clip: `args` as an argparse.Namespace,
/// `best_acc` as a numpy scalar, bytes pickled by protocol 2 through `_codecs.encode`). `TorchCheckpoint` builds
/// those as inert objects (never called) and still refuses every other callable.
final class TrainingCheckpointMetadataTests: XCTestCase {
    private func load(_ bytes: [UInt8]) throws -> PickleValue {
        var un = Unpickler(file: "t.pkl")
        un.callableHandler = TorchCheckpoint.inertMetadata
        return try bytes.withUnsafeBytes { try un.load($0).value }
    }

    private func global(_ module: String, _ name: String) -> [UInt8] {
        [0x63] + Array("\(module)\n\(name)\n".utf8)
    }

    func testNamespaceAndNumpyScalarBecomeInertObjects() throws {
        // {'args': argparse.Namespace(model='X'), 'acc': numpy scalar(dtype('f8'), b'...'), 'w': 1}
        var p: [UInt8] = [0x80, 0x02, 0x7D, 0x28]                             // PROTO 2, EMPTY_DICT, MARK
        p += [0x58, 4, 0, 0, 0] + Array("args".utf8)
        p += global("argparse", "Namespace") + [0x29, 0x81]                    // NEWOBJ with ()
        p += [0x7D, 0x58, 5, 0, 0, 0] + Array("model".utf8) + [0x58, 1, 0, 0, 0, 0x58, 0x73, 0x62]  // BUILD {'model': 'X'}
        p += [0x58, 3, 0, 0, 0] + Array("acc".utf8)
        p += global("numpy._core.multiarray", "scalar")
        p += global("numpy", "dtype") + [0x58, 2, 0, 0, 0] + Array("f8".utf8) + [0x89, 0x88, 0x87, 0x52]  // dtype('f8', False, True)
        p += global("_codecs", "encode") + [0x58, 1, 0, 0, 0, 0x41, 0x58, 6, 0, 0, 0] + Array("latin1".utf8) + [0x86, 0x52]
        p += [0x86, 0x52]                                                     // scalar(dtype, bytes)
        p += [0x58, 1, 0, 0, 0, 0x77, 0x4B, 1, 0x75, 0x2E]                    // 'w': 1, SETITEMS, STOP
        guard case .dict(let d) = try load(p) else { return XCTFail("not a dict") }
        guard case .object(let ns)? = d["args"] else { return XCTFail("args is not an object") }
        XCTAssertEqual(ns.module + "." + ns.name, "argparse.Namespace")
        guard case .dict(let state)? = ns.state else { return XCTFail("Namespace without its state") }
        XCTAssertEqual(state["model"]?.string, "X")
        guard case .object(let acc)? = d["acc"] else { return XCTFail("acc is not an object") }
        XCTAssertEqual(acc.name, "scalar")
        XCTAssertEqual(d["w"]?.int, 1)
    }

    func testOtherCallablesAreStillRefused() {
        let p: [UInt8] = [0x80, 0x02] + global("os", "system") + [0x58, 2, 0, 0, 0, 0x6C, 0x73, 0x85, 0x52, 0x2E]
        XCTAssertThrowsError(try load(p)) { XCTAssertTrue("\($0)".contains("refusing to call os.system"), "\($0)") }
    }
}
