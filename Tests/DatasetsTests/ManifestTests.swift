@testable import Datasets
import Foundation
import TestSupport
import XCTest

final class ManifestTests: XCTestCase {
    static let manifestFolder = Mirror.packageRoot.appendingPathComponent("datasets-manifest")

    func testCommittedManifestLoads() throws {
        let manifest = try Manifest.load(folder: Self.manifestFolder)
        let counts = Dictionary(uniqueKeysWithValues: manifest.groups.map { ($0.name, $0.files.count) })
        XCTAssertEqual(counts, [
            "clip-bpe-vocab": 2, "generalisation-humans-dnns": 8, "model-vs-human-human-raw-data": 90,
            "model-vs-human-model-raw-data": 119, "model-vs-human-v0.1-stimuli": 14, "texture-vs-shape-stimuli": 1616,
        ])
        let archives = try manifest.group("model-vs-human-v0.1-stimuli")
        XCTAssertFalse(archives.pinned)
        XCTAssertEqual(Set(archives.files.compactMap(\.dataset)), Set(Catalog.all.filter { $0.source == .releaseArchive }.map(\.name)))
        XCTAssertTrue(archives.files.allSatisfy { $0.sha256 == nil && $0.url.absoluteString.hasSuffix("/releases/download/v0.1/\($0.path)") })
        // Pinned URLs are built from repository + commit + upstream path.
        let gamma = try XCTUnwrap(try manifest.group("generalisation-humans-dnns").file("code/x_gamma_function.npy"))
        XCTAssertEqual(gamma.url.absoluteString, "https://raw.githubusercontent.com/rgeirhos/generalisation-humans-DNNs/0b88343536ec21acc2d635c0e325f827111e149a/code/x_gamma_function.npy")
        XCTAssertEqual(gamma.size, 2128)
        let resnet = try XCTUnwrap(try manifest.group("model-vs-human-model-raw-data").file("raw-data-models/colour/colour_resnet50_session-1.csv"))
        XCTAssertTrue(resnet.url.absoluteString.contains("/bethgelab/model-vs-human/93ee6766db71bc99de23a16cf5216acff181b470/raw-data/colour/"))
        let clip = try XCTUnwrap(try manifest.group("model-vs-human-model-raw-data").file("raw-data-models/colour/colour_clip_session-1.csv"))
        XCTAssertTrue(clip.url.absoluteString.contains("/TizianThieringer/model-vs-human/17729b8167520f682d93d55c340c27de07bb2681/"))
    }

    /// Every mirror file named in a MANIFEST.tsv row appears in the manifest with the same size and sha256
    /// (local files written for OODBench excepted).
    func testManifestAgreesWithMirrorTSV() throws {
        let manifest = try Manifest.load(folder: Self.manifestFolder)
        var checked = 0
        for group in manifest.groups where group.pinned {
            let tsv = Mirror.url("\(group.mirror!)/MANIFEST.tsv")
            guard let text = try? String(contentsOf: tsv, encoding: .utf8) else { throw XCTSkip("mirror not found: \(tsv.path)") }
            var rows: [String: (Int64, String)] = [:]
            for line in text.split(separator: "\n").dropFirst() {
                let f = line.split(separator: "\t")
                rows[String(f[0])] = (Int64(f[1])!, String(f[2]))
            }
            for file in group.files {
                let row = try XCTUnwrap(rows[file.path], "\(group.name): \(file.path) not in \(tsv.path)")
                XCTAssertEqual(file.size, row.0, file.path)
                XCTAssertEqual(file.sha256, row.1, file.path)
                checked += 1
            }
        }
        XCTAssertEqual(checked, 90 + 119 + 1616 + 8 + 2)
    }

    private func writeGroup(_ json: String, name: String = "g") throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("oodbench-manifest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(json.utf8).write(to: folder.appendingPathComponent("\(name).json"))
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        return folder
    }

    private func group(files: String, pinned: Bool = true, extra: String = "") -> String {
        """
        {"schema": 1, "group": "g", "title": "t", "mirror": "m", "pinned": \(pinned), "license": "l", "citation": "c", \(extra)
         "upstream": [{"repository": "a/b", "commit": "0123456789abcdef0123456789abcdef01234567"}], "files": [\(files)]}
        """
    }

    func testInvalidManifestsAreRejectedWithTheReason() throws {
        let sha = String(repeating: "a", count: 64)
        let cases: [(String, String)] = [
            (group(files: #"{"path": "../x", "url": "https://e/x", "size": 1, "sha256": "\#(sha)"}"#), "must be relative"),
            (group(files: #"{"path": "/etc/passwd", "url": "https://e/x", "size": 1, "sha256": "\#(sha)"}"#), "must be relative"),
            (group(files: #"{"path": "x", "url": "https://e/x", "size": 1}"#), "'x' needs a lower-case hex 'sha256'"),
            (group(files: #"{"path": "x", "url": "https://e/x", "sha256": "\#(sha)"}"#), "'x' needs a non-negative 'size'"),
            (group(files: #"{"path": "x", "url": "ftp://e/x", "size": 1, "sha256": "\#(sha)"}"#), "is not an http(s) URL"),
            (group(files: #"{"path": "x", "url": "https://e/x", "size": 1, "sha256": "\#(sha)"}, {"path": "x", "url": "https://e/x", "size": 1, "sha256": "\#(sha)"}"#), "duplicate path 'x'"),
            (group(files: #"{"path": "x.tar.gz", "url": "https://e/x"}"#, pinned: false, extra: #""unpinned_reason": "r","#), "must name its 'dataset'"),
            (group(files: #"{"path": "x.tar.gz", "url": "https://e/x", "dataset": "colour"}"#, pinned: false), "must say why"),
            ("[1, 2]", "not a JSON object"),
        ]
        for (json, expected) in cases {
            let folder = try writeGroup(json)
            XCTAssertThrowsError(try Manifest.load(folder: folder), expected) { error in
                XCTAssertTrue("\(error)".contains(expected), "expected '\(expected)' in: \(error)")
                XCTAssertTrue("\(error)".contains("g.json"), "the error names the file: \(error)")
            }
        }
        let folder = try writeGroup(group(files: #"{"path": "x", "url": "https://e/x", "size": 1, "sha256": "\#(sha)"}"#), name: "other")
        XCTAssertThrowsError(try Manifest.load(folder: folder)) { XCTAssertTrue("\($0)".contains("does not match the file name"), "\($0)") }
    }
}
