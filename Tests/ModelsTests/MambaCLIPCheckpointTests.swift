import Foundation
import XCTest
import TestSupport
import Inference
@testable import Models

/// A CLIP-Mamba training checkpoint (`.pt` zip as mamba-clip's `main.py` writes it: `module.`-prefixed
/// `state_dict` with an EMA `visual_e.*` half and a decoy online half, AdamW and GradScaler state, `best_acc` as a
/// numpy scalar, `args` as an argparse.Namespace), built by Tests/Fixtures/clip-mamba-pt/make_pt_checkpoint.py
/// around the tiny fixture towers, loaded through `mamba-clip:ARCH:PATH`.
///
/// The checkpoints are ~3 MB each, so they are generated into a temporary folder with PyTorch
/// (`OODBENCH_TORCH_PYTHON`, default /tmp/venv-torch/bin/python); without it the test is skipped.
final class MambaCLIPCheckpointTests: XCTestCase {
    private func torchPython() throws -> String {
        let python = ProcessInfo.processInfo.environment["OODBENCH_TORCH_PYTHON"] ?? "/tmp/venv-torch/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw XCTSkip("no Python with PyTorch at \(python) (set OODBENCH_TORCH_PYTHON) to write the .pt checkpoint")
        }
        return python
    }

    private func generator() -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/clip-mamba-pt/make_pt_checkpoint.py")
    }

    private func run(_ python: String, _ args: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = args
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let message = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            let text = String(decoding: message, as: UTF8.self)
            if text.contains("No module named") { throw XCTSkip("\(python) lacks a module the generator needs: \(text.suffix(200))") }
            XCTFail("make_pt_checkpoint.py failed: \(text.suffix(2000))")
            throw XCTSkip("generator failed")
        }
    }

    /// EMA features through the .pt equal the safetensors route bit for bit and the upstream reference within
    /// 1e-4; image embeddings equal the reference output times `image_projection_e`; the online half (the decoy)
    /// gives different features.
    func testTrainingCheckpointThroughModelSpec() throws {
        let python = try torchPython()
        let exp = try MambaFixtures.expected()
        let models = exp["models"] as! [String: Any]
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("oodbench-pt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases = [("vmamba_tiny_v2", "vmamba", "CLIP_VMamba_T220"), ("simba_tiny", "simba", "CLIP_Simba_L")]
        try run(python, [generator().path, "--fixtures", MambaFixtures.url("").path, "--out-dir", dir.path]
                + cases.flatMap { ["--model", "\($0.0)=\($0.2)"] })
        for (name, kind, _) in cases {
            let pt = dir.appendingPathComponent("\(name).pt")
            let archFile = dir.appendingPathComponent("\(name).json")
            let cfg = (models[name] as! [String: Any])["config"]!
            try JSONSerialization.data(withJSONObject: ["kind": kind, "config": cfg]).write(to: archFile)

            let (arch, _, heads, url) = try MambaCLIPSpec.parse("\(archFile.path):\(pt.path)")
            XCTAssertEqual(url.path, pt.path)
            let fromPt = try MambaCLIPModel(architecture: arch, url: url, textHeads: heads)
            XCTAssertEqual(fromPt.half, .ema)
            XCTAssertFalse(fromPt.hasTextTower)
            let fromSafetensors = try MambaCLIPModel(architecture: arch, url: try MambaFixtures.require("\(name)/weights.safetensors"))
            let online = try MambaCLIPModel(architecture: arch, url: url, half: .online)
            let expected = try SafetensorsFile(url: pt.appendingPathExtension("expected.safetensors")).floatTensors()
            for runName in ["a", "b"] {
                let acts = try MambaFixtures.tensors("\(name)/activations_\(runName).safetensors")
                let input = acts["input"]!
                let (n, h, w) = (input.shape[0], input.shape[2], input.shape[3])
                let f = fromPt.features(input.data, count: n, height: h, width: w)
                XCTAssertEqual(f, fromSafetensors.features(input.data, count: n, height: h, width: w),
                               "\(name)/\(runName): .pt and safetensors features differ")
                let (err, at) = MambaFixtures.worst(f, acts["output"]!.data[...])
                XCTAssertLessThanOrEqual(err, 1e-4, "\(name)/\(runName) features, worst at \(at)")
                let emb = try fromPt.encodeImages(input.data, count: n, height: h, width: w)
                let (eerr, eat) = MambaFixtures.worst(emb, expected["image_embed_\(runName)"]!.data[...])
                XCTAssertLessThanOrEqual(eerr, 1e-4, "\(name)/\(runName) image embeddings, worst at \(eat)")
                let decoy = online.features(input.data, count: n, height: h, width: w)
                XCTAssertGreaterThan(MambaFixtures.worst(decoy, acts["output"]!.data[...]).err, 1e-2,
                                     "\(name)/\(runName): the online half should not reproduce the EMA features")
            }
        }
    }
}
