@testable import Datasets
import Foundation
import TestSupport
import XCTest

final class ResolverTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("oodbench-resolver-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    func manifest() throws -> Manifest { try Manifest.load(folder: ManifestTests.manifestFolder) }

    func requireMirror() throws {
        guard FileManager.default.fileExists(atPath: Mirror.root.path) else { throw XCTSkip("mirror not found at \(Mirror.root.path)") }
    }

    func testMirrorFilesResolveAndVerify() throws {
        try requireMirror()
        let resolver = try AssetResolver(manifest: manifest(), mirror: Mirror.root, cache: scratch, offline: true)
        let csv = try resolver.file(group: "model-vs-human-human-raw-data", path: "raw-data/colour/colour_subject-01_session_1.csv")
        XCTAssertEqual(csv.path, Mirror.url("model-vs-human/raw-data/colour/colour_subject-01_session_1.csv").path)
        // By sha256 (how the distortions read their data tables): the gamma table of generalisation-humans-DNNs.
        let gamma = try resolver.file(sha256: "8a9680db77b2a24156a19d3fd8e82187aee1995ea8de6b048f354ba44b6196a2")
        XCTAssertEqual(gamma.lastPathComponent, "x_gamma_function.npy")
        XCTAssertThrowsError(try resolver.file(sha256: String(repeating: "0", count: 64))) {
            XCTAssertEqual($0 as? DatasetsError, .unknownDigest(String(repeating: "0", count: 64)))
        }
        XCTAssertThrowsError(try resolver.file(group: "clip-bpe-vocab", path: "vocab.txt")) {
            XCTAssertEqual($0 as? DatasetsError, .unknownFile(group: "clip-bpe-vocab", path: "vocab.txt"))
        }
    }

    /// `datasets verify` with the mirror: every pinned file present there passes; only the 959 cue-conflict images
    /// the mirror leaves out are missing.
    func testVerifyPassesForEveryPinnedMirrorFile() throws {
        try requireMirror()
        let resolver = try AssetResolver(manifest: manifest(), mirror: Mirror.root, cache: scratch, offline: true)
        let results = resolver.verify()
        XCTAssertEqual(results.count, 90 + 119 + 1616 + 8 + 2)
        let corrupt = results.filter { if case .corrupt = $0.state { return true } else { return false } }
        XCTAssertEqual(corrupt.count, 0, "\(corrupt.prefix(3))")
        let missing = results.filter { $0.state == .missing }
        XCTAssertEqual(missing.count, 1280 - 321)
        XCTAssertTrue(missing.allSatisfy { $0.path.hasPrefix("cue-conflict/") })
    }

    /// A copy of part of the mirror with one byte changed: verify names the file, and resolving it fails.
    func testCorruptedMirrorByteIsDetectedAndNamed() throws {
        try requireMirror()
        let mirror = scratch.appendingPathComponent("mirror")
        let folder = mirror.appendingPathComponent("generalisation-humans-DNNs")
        try FileManager.default.createDirectory(at: mirror, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Mirror.url("generalisation-humans-DNNs"), to: folder)
        let victim = folder.appendingPathComponent("code/x_gamma_function.npy")
        var bytes = try Data(contentsOf: victim)
        bytes[1000] ^= 0x01
        try bytes.write(to: victim)
        let resolver = try AssetResolver(manifest: manifest(), mirror: mirror, cache: scratch.appendingPathComponent("cache"), offline: true)
        let rows = resolver.verify().filter { $0.group == "generalisation-humans-dnns" }
        XCTAssertEqual(rows.filter { if case .ok = $0.state { return true } else { return false } }.count, 7)
        let bad = try XCTUnwrap(rows.first { $0.path == "code/x_gamma_function.npy" })
        guard case .corrupt(let error) = bad.state else { return XCTFail("not detected: \(bad.state)") }
        XCTAssertTrue("\(error)".contains(victim.path) && "\(error)".contains("sha256 mismatch"), "\(error)")
        XCTAssertThrowsError(try resolver.file(group: "generalisation-humans-dnns", path: "code/x_gamma_function.npy")) {
            XCTAssertTrue("\($0)".contains(victim.path), "\($0)")
        }
        // A cut-off copy is reported by size.
        try bytes.prefix(100).write(to: folder.appendingPathComponent("code/example_image.png"))
        let resolver2 = try AssetResolver(manifest: manifest(), mirror: mirror, cache: scratch.appendingPathComponent("cache"), offline: true)
        XCTAssertThrowsError(try resolver2.file(group: "generalisation-humans-dnns", path: "code/example_image.png")) {
            XCTAssertEqual($0 as? DatasetsError, .sizeMismatch(file: folder.appendingPathComponent("code/example_image.png").path, expected: 98143, got: 100))
        }
    }

    func testMissingMirrorIsAnError() throws {
        let missing = scratch.appendingPathComponent("no-such-mirror")
        XCTAssertThrowsError(try AssetResolver(manifest: manifest(), mirror: missing, cache: scratch)) {
            XCTAssertEqual($0 as? DatasetsError, .mirrorMissing(path: missing.path))
            XCTAssertTrue("\($0)".contains("OODBENCH_MIRROR"))
        }
        var env = ProcessInfo.processInfo.environment
        env["OODBENCH_MIRROR"] = missing.path
        env["OODBENCH_MANIFEST"] = ManifestTests.manifestFolder.path
        XCTAssertThrowsError(try AssetResolver.fromEnvironment(environment: env)) {
            XCTAssertEqual($0 as? DatasetsError, .mirrorMissing(path: missing.path))
        }
    }

    func testOfflineModeFailsClearlyInsteadOfDownloading() throws {
        let emptyMirror = scratch.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: emptyMirror, withIntermediateDirectories: true)
        var env: [String: String] = ["OODBENCH_MIRROR": emptyMirror.path, "OODBENCH_CACHE": scratch.appendingPathComponent("cache").path,
                                     "OODBENCH_MANIFEST": ManifestTests.manifestFolder.path, "OODBENCH_OFFLINE": "1", "HOME": scratch.path]
        let resolver = try AssetResolver.fromEnvironment(environment: env)
        XCTAssertTrue(resolver.offline)
        XCTAssertThrowsError(try resolver.file(group: "clip-bpe-vocab", path: "bpe_simple_vocab_16e6.txt.gz")) { error in
            XCTAssertEqual(error as? DatasetsError, .offline(file: "clip-bpe-vocab/bpe_simple_vocab_16e6.txt.gz",
                                                              url: "https://raw.githubusercontent.com/openai/CLIP/d05afc436d78f1c48dc0dbf8e5980a9d471f35f6/clip/bpe_simple_vocab_16e6.txt.gz"))
            XCTAssertTrue("\(error)".contains("offline mode forbids downloading"))
        }
        XCTAssertThrowsError(try resolver.datasetFolder("colour")) { XCTAssertTrue("\($0)".contains("offline"), "\($0)") }
        env["OODBENCH_OFFLINE"] = nil
        XCTAssertTrue(try AssetResolver.fromEnvironment(offline: true, environment: env).offline)
        XCTAssertFalse(try AssetResolver.fromEnvironment(environment: env).offline)
    }

    func testTextureFolderSubsetFromMirror() throws {
        try requireMirror()
        let resolver = try AssetResolver(manifest: manifest(), mirror: Mirror.root, cache: scratch, offline: true)
        let edge = try resolver.datasetFolder("edge")
        XCTAssertEqual(edge.path, Mirror.url("texture-vs-shape/edge").path)
        XCTAssertEqual(try DatasetChecker.check(edge, Catalog.require("edge")), 160)
        let subset = try resolver.datasetFolder("cue-conflict", allowSubset: true)
        XCTAssertEqual(subset.path, Mirror.url("texture-vs-shape/cue-conflict").path)
        // The complete cue-conflict set needs 959 downloads: offline, that is an error naming the first of them.
        XCTAssertThrowsError(try resolver.datasetFolder("cue-conflict")) { XCTAssertTrue("\($0)".contains("offline"), "\($0)") }
    }
}
