import Foundation
import TestSupport
import XCTest

/// The CLIP vocabulary is found through the datasets manifest (`clip-bpe-vocab`): the mirror's copy, else the cache,
/// each checked against the pinned sha256; offline with neither, a clear error.
final class VocabularyResolutionTests: XCTestCase {
    func testVocabularyThroughTheManifest() throws {
        let vocab = Mirror.url("openai-clip/bpe_simple_vocab_16e6.txt.gz")
        let models = Mirror.url("clip-fixtures/models")
        guard FileManager.default.fileExists(atPath: vocab.path), FileManager.default.fileExists(atPath: models.path) else {
            throw XCTSkip("mirror not found at \(vocab.deletingLastPathComponent().path)")
        }
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("oodbench-vocab-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: tmp) }
        let mirror = tmp.appendingPathComponent("mirror"), cache = tmp.appendingPathComponent("cache")
        try FileManager.default.createDirectory(at: mirror.appendingPathComponent("openai-clip"), withIntermediateDirectories: true)
        let args = ["embed", "--model", "clip:\(models.path)/vit_gelu.safetensors@\(models.path)/vit_gelu.json",
                    "--text", "a photo of a cat.", "--tokens"]
        let env = ["OODBENCH_MIRROR": mirror.path, "OODBENCH_CACHE": cache.path, "OODBENCH_OFFLINE": "1"]

        // Neither mirror nor cache holds it, and offline: refused, naming the file.
        let missing = try EmbedCommandTests.run(args, environment: env)
        XCTAssertEqual(missing.status, 1, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("bpe_simple_vocab_16e6.txt.gz"), missing.stderr)

        // A corrupted mirror copy is caught by the pinned sha256.
        var bytes = try Data(contentsOf: vocab)
        bytes[bytes.count / 2] ^= 0x01
        let planted = mirror.appendingPathComponent("openai-clip/bpe_simple_vocab_16e6.txt.gz")
        try bytes.write(to: planted)
        let corrupt = try EmbedCommandTests.run(args, environment: env)
        XCTAssertEqual(corrupt.status, 1, corrupt.stderr)
        XCTAssertTrue(corrupt.stderr.contains("sha256 mismatch"), corrupt.stderr)
        XCTAssertTrue(corrupt.stderr.contains(planted.path), corrupt.stderr)

        // A good copy in the cache (mirror emptied) is found there.
        try FileManager.default.removeItem(at: planted)
        try FileManager.default.createDirectory(at: cache.appendingPathComponent("openai-clip"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: vocab, to: cache.appendingPathComponent("openai-clip/bpe_simple_vocab_16e6.txt.gz"))
        let cached = try EmbedCommandTests.run(args, environment: env)
        XCTAssertEqual(cached.status, 0, cached.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(cached.stdout.utf8)) as! [String: Any]
        let tokens = ((json["texts"] as! [[String: Any]])[0]["tokens"] as! [Int]).prefix(8)
        XCTAssertEqual(Array(tokens), [49406, 320, 1125, 539, 320, 2368, 269, 49407])
    }
}
