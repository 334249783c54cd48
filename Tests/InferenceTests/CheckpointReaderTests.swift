import Foundation
import XCTest
import TestSupport
@testable import Inference

final class CheckpointReaderTests: XCTestCase {
    let models = Mirror.url("clip-fixtures/models")

    func requireFixtures() throws {
        guard FileManager.default.fileExists(atPath: models.path) else { throw XCTSkip("mirror clip-fixtures not found at \(models.path)") }
    }

    func testSafetensorsLoadsFixture() throws {
        try requireFixtures()
        let f = try SafetensorsFile(url: models.appendingPathComponent("vit_quickgelu.safetensors"))
        let conv = try f.tensor("visual.conv1.weight")
        XCTAssertEqual(conv.shape, [64, 3, 8, 8])
        XCTAssertEqual(try f.tensor("token_embedding.weight").shape, [49408, 8])
        XCTAssertThrowsError(try f.tensor("nope")) { XCTAssertEqual($0 as? InferenceError, .missingTensor(file: "vit_quickgelu.safetensors", tensor: "nope")) }
    }

    func testF16StateDictMatchesSafetensors() throws {
        try requireFixtures()
        let st = try SafetensorsFile(url: models.appendingPathComponent("vit_quickgelu.safetensors"))
        let ck = try TorchCheckpoint(url: models.appendingPathComponent("vit_quickgelu_f16_state_dict.pt"))
        XCTAssertFalse(ck.isTorchScript)
        let sd = try ck.loadStateDict()
        XCTAssertEqual(Set(sd.keys), Set(st.names))
        for name in ["visual.conv1.weight", "visual.proj", "text_projection", "logit_scale", "transformer.resblocks.1.attn.in_proj_weight"] {
            let a = try st.tensor(name), b = sd[name]!
            XCTAssertEqual(a.shape, b.shape, name)
            for i in 0..<a.count {
                XCTAssertEqual(a.data[i], b.data[i], accuracy: abs(a.data[i]) * 1e-3 + 1e-7, "\(name)[\(i)]")
            }
        }
    }

    func testTorchScriptNamesAndValues() throws {
        try requireFixtures()
        let st = try SafetensorsFile(url: models.appendingPathComponent("vit_quickgelu.safetensors"))
        let ck = try TorchCheckpoint(url: models.appendingPathComponent("vit_quickgelu_torchscript.pt"))
        XCTAssertTrue(ck.isTorchScript)
        let sd = try ck.loadStateDict()
        XCTAssertNotNil(sd["m.attn_mask"])
        XCTAssertEqual(Set(sd.keys.filter { $0 != "m.attn_mask" }), Set(st.names.map { "m." + $0 }))
        XCTAssertEqual(sd["m.visual.proj"]!, try st.tensor("visual.proj"))
    }

    // MARK: bad input

    func writeTemp(_ data: Data, _ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("oodbench-\(ProcessInfo.processInfo.processIdentifier)-\(name)")
        try data.write(to: url)
        return url
    }

    func safetensors(header: String, data: [UInt8]) -> Data {
        var d = Data()
        var n = UInt64(header.utf8.count).littleEndian
        d.append(Data(bytes: &n, count: 8)); d.append(Data(header.utf8)); d.append(contentsOf: data)
        return d
    }

    func testSafetensorsBadHeaders() throws {
        let ok = safetensors(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: [0, 0, 128, 63, 0, 0, 0, 64])
        XCTAssertEqual(try SafetensorsFile(data: ok, file: "t").tensor("a").data, [1, 2])
        func expect(_ d: Data, _ check: (InferenceError) -> Bool, line: UInt = #line) {
            XCTAssertThrowsError(try SafetensorsFile(data: d, file: "t"), line: line) {
                guard let e = $0 as? InferenceError else { return XCTFail("not an InferenceError: \($0)", line: line) }
                XCTAssertTrue(check(e), "\(e)", line: line)
                XCTAssertTrue(e.description.hasPrefix("t: "), line: line)
            }
        }
        // header length beyond the file
        var big = ok; big.replaceSubrange(0..<8, with: [200, 0, 0, 0, 0, 0, 0, 0])
        expect(big) { if case .truncated = $0 { return true }; return false }
        var huge = ok; huge.replaceSubrange(0..<8, with: [0, 0, 0, 0, 0, 0, 0, 1])
        expect(huge) { if case .limitExceeded = $0 { return true }; return false }
        // offsets out of range, wrong byte count, overlap, bad dtype, bad JSON
        expect(safetensors(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, data: Array(repeating: 0, count: 8))) {
            if case .outOfRange(_, "a", _) = $0 { return true }; return false }
        expect(safetensors(header: #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8))) {
            if case .outOfRange(_, "a", _) = $0 { return true }; return false }
        expect(safetensors(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}}"#, data: Array(repeating: 0, count: 8))) {
            if case .outOfRange = $0 { return true }; return false }
        expect(safetensors(header: #"{"a":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}}"#, data: [0])) {
            if case .unsupportedDType(_, "a", "Q4") = $0 { return true }; return false }
        expect(safetensors(header: #"{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0])) {
            if case .outOfRange = $0 { return true }; return false }
        expect(safetensors(header: #"{"a":"#, data: [])) { if case .malformed = $0 { return true }; return false }
    }

    func testSafetensorsTruncatedEverywhereThrows() throws {
        try requireFixtures()
        let full = try Data(contentsOf: models.appendingPathComponent("rn_quickgelu.safetensors"))
        for cut in [0, 4, 7, 8, 9, 100, 1000, 5000, full.count / 2, full.count - 1] {
            XCTAssertThrowsError(try SafetensorsFile(data: full.prefix(cut), file: "cut"), "cut at \(cut)")
        }
    }

    func testPickleBadInput() throws {
        let u = Unpickler(file: "p")
        func run(_ bytes: [UInt8]) throws -> PickleValue { try bytes.withUnsafeBytes { try u.load($0).value } }
        // valid: PROTO 2, EMPTY_DICT, SHORT_BINUNICODE "a", BININT1 7, SETITEM, STOP
        if case .dict(let d) = try run([0x80, 2, 0x7D, 0x8C, 1, 0x61, 0x4B, 7, 0x73, 0x2E]) {
            XCTAssertEqual(d["a"]?.int, 7)
        } else { XCTFail("expected a dict") }
        XCTAssertThrowsError(try run([0x80, 2, 0x7D])) { XCTAssertTrue("\($0)".contains("truncated"), "\($0)") }
        XCTAssertThrowsError(try run([0x80, 2, 0xFF, 0x2E])) { XCTAssertTrue("\($0)".contains("unsupported opcode 0xff"), "\($0)") }
        XCTAssertThrowsError(try run([0x73, 0x2E])) { XCTAssertTrue("\($0)".contains("underflow"), "\($0)") }
        // declared string length beyond the data
        XCTAssertThrowsError(try run([0x58, 0xFF, 0xFF, 0xFF, 0x7F, 0x61])) { XCTAssertTrue("\($0)".contains("truncated"), "\($0)") }
        // forbidden callable: GLOBAL os system, EMPTY_TUPLE, REDUCE
        let g = Array("cos\nsystem\n".utf8)
        XCTAssertThrowsError(try run(g + [0x29, 0x52, 0x2E])) { XCTAssertTrue("\($0)".contains("refusing to call os.system"), "\($0)") }
        // deep nesting: 5000 EMPTY_LIST + APPEND chains are refused by the nesting limit
        var deep: [UInt8] = [0x5D]
        for _ in 0..<5000 { deep += [0x5D] }
        for _ in 0..<5000 { deep += [0x61] }
        deep += [0x2E]
        XCTAssertThrowsError(try run(deep)) { XCTAssertTrue("\($0)".contains("nesting"), "\($0)") }
        var marks = [UInt8](repeating: 0x28, count: 5000); marks += [0x2E]
        XCTAssertThrowsError(try run(marks)) { XCTAssertTrue("\($0)".contains("MARK depth"), "\($0)") }
    }

    func testStridedViewAndOutOfRange() throws {
        // storage of 6 floats 0…5; view size [3,2] stride [1,3] is the transpose of a [2,3] matrix.
        let floats: [Float] = [0, 1, 2, 3, 4, 5]
        let s = StorageReference(key: "0", type: .float32, location: "cpu", elementCount: 6)
        let t = try floats.withUnsafeBytes {
            try TorchCheckpoint.materialize(TensorReference(storage: s, offset: 0, size: [3, 2], stride: [1, 3]), storage: $0, file: "f", tensor: "w")
        }
        XCTAssertEqual(t.data, [0, 3, 1, 4, 2, 5])
        XCTAssertThrowsError(try floats.withUnsafeBytes {
            try TorchCheckpoint.materialize(TensorReference(storage: s, offset: 2, size: [5], stride: [1]), storage: $0, file: "f", tensor: "w")
        }) { XCTAssertTrue("\($0)".hasPrefix("f: w: view"), "\($0)") }
        let big = StorageReference(key: "0", type: .float32, location: "cpu", elementCount: 7)
        XCTAssertThrowsError(try floats.withUnsafeBytes {
            try TorchCheckpoint.materialize(TensorReference(storage: big, offset: 0, size: [1], stride: [1]), storage: $0, file: "f", tensor: "w")
        }) { XCTAssertTrue("\($0)".contains("declared 7"), "\($0)") }
    }

    func testZipTruncatedAndNonZip() throws {
        try requireFixtures()
        let full = try Data(contentsOf: models.appendingPathComponent("vit_quickgelu_f16_state_dict.pt"))
        for cut in [10, 100, full.count / 2, full.count - 30] {
            let url = try writeTemp(full.prefix(cut), "cut\(cut).pt")
            defer { try? FileManager.default.removeItem(at: url) }
            XCTAssertThrowsError(try TorchCheckpoint(url: url).loadStateDict(), "cut at \(cut)")
        }
        let url = try writeTemp(Data("hello".utf8), "hello.pt")
        defer { try? FileManager.default.removeItem(at: url) }
        XCTAssertThrowsError(try TorchCheckpoint(url: url)) { XCTAssertTrue("\($0)".contains("not a zip"), "\($0)") }
    }
}
