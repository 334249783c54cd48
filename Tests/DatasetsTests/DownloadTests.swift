@testable import Datasets
import Foundation
import TestSupport
import XCTest

/// Downloads from a loopback HTTP server (127.0.0.1 only), through a manifest written for the test.
final class DownloadTests: XCTestCase {
    var scratch: URL!
    let payload = Data((0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("oodbench-download-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    /// A resolver whose one group `test` pins `data.bin` (served as `path`) with `payload`'s size and sha256.
    func resolver(_ server: LoopbackFileServer, path: String = "data.bin", attempts: Int = 1) throws -> AssetResolver {
        let folder = scratch.appendingPathComponent("manifest")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let json = """
        {"schema": 1, "group": "test", "title": "t", "mirror": "test", "pinned": true, "license": "l", "citation": "c",
         "upstream": [{"repository": "a/b", "commit": "0123456789abcdef0123456789abcdef01234567"}],
         "files": [{"path": "data.bin", "url": "\(server.url(path).absoluteString)", "size": \(payload.count), "sha256": "\(FileDigest.sha256(of: payload))"}]}
        """
        try Data(json.utf8).write(to: folder.appendingPathComponent("test.json"))
        var resolver = try AssetResolver(manifest: Manifest.load(folder: folder), mirror: nil, cache: scratch.appendingPathComponent("cache"))
        resolver.attempts = attempts
        resolver.timeout = 10
        return resolver
    }

    var cached: URL { scratch.appendingPathComponent("cache/test/data.bin") }
    var partial: URL { scratch.appendingPathComponent("cache/test/.data.bin.partial") }

    func testDownloadVerifiesAndPlacesTheFile() throws {
        let server = try LoopbackFileServer(files: ["data.bin": payload])
        defer { server.stop() }
        let resolver = try resolver(server)
        let url = try resolver.file(group: "test", path: "data.bin")
        XCTAssertEqual(url.path, cached.path)
        XCTAssertEqual(try Data(contentsOf: url), payload)
        XCTAssertFalse(FileManager.default.fileExists(atPath: partial.path))
        _ = try resolver.file(group: "test", path: "data.bin")
        XCTAssertEqual(server.requests.count, 1, "a cached, verified file is not downloaded again")
    }

    func testChecksumMismatchIsReportedAndNothingIsKept() throws {
        var wrong = payload
        wrong[12345] ^= 0xff
        let server = try LoopbackFileServer(files: ["data.bin": wrong])
        defer { server.stop() }
        let resolver = try resolver(server)
        XCTAssertThrowsError(try resolver.file(group: "test", path: "data.bin")) { error in
            guard case let .checksumMismatch(file, expected, got)? = error as? DatasetsError else { return XCTFail("\(error)") }
            XCTAssertTrue(file.contains(server.url("data.bin").absoluteString), file)
            XCTAssertEqual(expected, FileDigest.sha256(of: self.payload))
            XCTAssertEqual(got, FileDigest.sha256(of: wrong))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: cached.path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: partial.path))
    }

    func testTruncatedDownloadFailsAndKeepsThePartialFile() throws {
        let server = try LoopbackFileServer(files: ["data.bin": payload], behaviour: .truncateAlways)
        defer { server.stop() }
        let resolver = try resolver(server, attempts: 2)
        XCTAssertThrowsError(try resolver.file(group: "test", path: "data.bin")) { error in
            guard case let .download(url, _)? = error as? DatasetsError else { return XCTFail("\(error)") }
            XCTAssertEqual(url, server.url("data.bin").absoluteString)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: cached.path), "no unverified file in place")
        let kept = try Data(contentsOf: partial)
        XCTAssertGreaterThan(kept.count, 0)
        XCTAssertLessThan(kept.count, payload.count)
        XCTAssertEqual(kept, payload.prefix(kept.count), "the partial file holds a correct prefix")
        XCTAssertEqual(server.requests.count, 2)
        XCTAssertNotNil(server.requests[1].range, "the retry resumes with a Range request")
    }

    func testResumeAfterInterruption() throws {
        let server = try LoopbackFileServer(files: ["data.bin": payload], behaviour: .truncateFirst)
        defer { server.stop() }
        let resolver = try resolver(server, attempts: 1)
        // First run: cut short.
        XCTAssertThrowsError(try resolver.file(group: "test", path: "data.bin"))
        let have = try Data(contentsOf: partial).count
        XCTAssertGreaterThan(have, 0)
        // Second run: asks only for the rest and completes.
        let url = try resolver.file(group: "test", path: "data.bin")
        XCTAssertEqual(try Data(contentsOf: url), payload)
        XCTAssertEqual(server.requests.map(\.range), [nil, "bytes=\(have)-"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: partial.path))
    }

    func testResumeFromAPartialFileLeftByAnEarlierProcess() throws {
        let server = try LoopbackFileServer(files: ["data.bin": payload])
        defer { server.stop() }
        let resolver = try resolver(server)
        try FileManager.default.createDirectory(at: partial.deletingLastPathComponent(), withIntermediateDirectories: true)
        try payload.prefix(70_000).write(to: partial)
        let url = try resolver.file(group: "test", path: "data.bin")
        XCTAssertEqual(try Data(contentsOf: url), payload)
        XCTAssertEqual(server.requests.map(\.range), ["bytes=70000-"])
    }

    func testHTTPErrorStatusIsReported() throws {
        let server = try LoopbackFileServer(files: [:])
        defer { server.stop() }
        let resolver = try resolver(server)
        XCTAssertThrowsError(try resolver.file(group: "test", path: "data.bin")) { error in
            XCTAssertTrue("\(error)".contains("HTTP status 404"), "\(error)")
        }
    }
}
