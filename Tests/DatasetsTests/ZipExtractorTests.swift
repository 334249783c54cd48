@testable import Datasets
import Foundation
import XCTest
import ZIPFoundation

final class ZipExtractorTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("oodbench-zip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    enum Kind { case file(Data), folder, link(String) }

    /// A zip written with ZIPFoundation, entries named exactly as given (no sanitising on this side).
    func zip(_ entries: [(String, Kind)], deflate: Bool = false) throws -> URL {
        let url = scratch.appendingPathComponent("a-\(UUID().uuidString).zip")
        let archive = try Archive(url: url, accessMode: .create)
        for (path, kind) in entries {
            switch kind {
            case .file(let data):
                try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count),
                                     compressionMethod: deflate ? .deflate : .none) { (position: Int64, size: Int) in
                    data.subdata(in: Int(position)..<(Int(position) + size))
                }
            case .folder:
                try archive.addEntry(with: path, type: .directory, uncompressedSize: Int64(0)) { (_: Int64, _: Int) in Data() }
            case .link(let target):
                let data = Data(target.utf8)
                try archive.addEntry(with: path, type: .symlink, uncompressedSize: Int64(data.count)) { (position: Int64, size: Int) in
                    data.subdata(in: Int(position)..<(Int(position) + size))
                }
            }
        }
        return url
    }

    func assertRefused(_ url: URL, mentioning words: [String], file: StaticString = #filePath, line: UInt = #line) {
        let target = scratch.appendingPathComponent("out-\(UUID().uuidString)")
        XCTAssertThrowsError(try ZipExtractor.extract(url, into: target), file: file, line: line) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(url.path), "names the archive: \(text)", file: file, line: line)
            for word in words { XCTAssertTrue(text.contains(word), "\(word) in \(text)", file: file, line: line) }
        }
        // Refused before anything is written: not even the target folder appears.
        XCTAssertFalse(FileManager.default.fileExists(atPath: target.path), file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("evil.txt").path), file: file, line: line)
    }

    func testExtractsFilesAndFoldersStoredAndDeflated() throws {
        let big = Data((0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 / 7) })
        for deflate in [false, true] {
            let url = try zip([("colour/", .folder), ("colour/dnn/session-1/a.png", .file(Data("hello".utf8))),
                               ("./colour/b.bin", .file(big)), ("empty/", .folder)], deflate: deflate)
            let target = scratch.appendingPathComponent("out-\(deflate)")
            let written = try ZipExtractor.extract(url, into: target)
            XCTAssertEqual(written, ["colour/dnn/session-1/a.png", "colour/b.bin"])
            XCTAssertEqual(try Data(contentsOf: target.appendingPathComponent("colour/dnn/session-1/a.png")), Data("hello".utf8))
            XCTAssertEqual(try Data(contentsOf: target.appendingPathComponent("colour/b.bin")), big)
            var isDir: ObjCBool = false
            XCTAssertTrue(FileManager.default.fileExists(atPath: target.appendingPathComponent("empty").path, isDirectory: &isDir) && isDir.boolValue)
            // The format is recognised by its first bytes.
            let again = scratch.appendingPathComponent("again-\(deflate)")
            XCTAssertEqual(try ArchiveExtractor.extract(url, into: again), written)
        }
    }

    func testRejectsPathTraversal() throws {
        for name in ["../evil.txt", "colour/../../evil.txt", "/tmp/evil.txt", "a//b", "..\\evil.txt", "colour/..\\..\\evil.txt"] {
            // A good entry first: nothing of it may be written either.
            let url = try zip([("good.txt", .file(Data("ok".utf8))), (name, .file(Data("x".utf8)))])
            assertRefused(url, mentioning: ["escapes the target folder", name])
        }
    }

    func testRejectsLinks() throws {
        let url = try zip([("good.txt", .file(Data("ok".utf8))), ("link", .link("/etc/passwd"))])
        assertRefused(url, mentioning: ["'link'", "symbolic link"])
        let inside = try zip([("dir/", .folder), ("dir/up", .link("../.."))])
        assertRefused(inside, mentioning: ["symbolic link"])
    }

    func testRejectsCorruptAndTruncatedArchives() throws {
        let payload = Data(repeating: 65, count: 4096)
        let url = try zip([("a.txt", .file(payload))])
        var bytes = try Data(contentsOf: url)
        // Corrupt one data byte of the stored entry (found by its content, whatever the header's extra fields).
        let start = try XCTUnwrap(bytes.firstRange(of: Data(repeating: 65, count: 64))).lowerBound
        bytes[start + 100] ^= 0xFF
        let corrupt = scratch.appendingPathComponent("corrupt.zip")
        try bytes.write(to: corrupt)
        XCTAssertThrowsError(try ZipExtractor.extract(corrupt, into: scratch.appendingPathComponent("c"))) { error in
            XCTAssertTrue("\(error)".contains("a.txt"), "\(error)")
            XCTAssertTrue("\(error)".contains(corrupt.path), "\(error)")
        }
        // Cut in the middle: the central directory is gone.
        let truncated = scratch.appendingPathComponent("truncated.zip")
        try Data(contentsOf: url).prefix(2000).write(to: truncated)
        XCTAssertThrowsError(try ZipExtractor.extract(truncated, into: scratch.appendingPathComponent("t"))) { error in
            XCTAssertTrue("\(error)".contains(truncated.path), "\(error)")
        }
        // Not a zip at all through the sniffing entry point: handed to the tar reader, which refuses it.
        let text = scratch.appendingPathComponent("notes.zip")
        try Data("just some text, not an archive at all".utf8).write(to: text)
        XCTAssertThrowsError(try ArchiveExtractor.extract(text, into: scratch.appendingPathComponent("n")))
        XCTAssertThrowsError(try ZipExtractor.extract(scratch.appendingPathComponent("missing.zip"), into: scratch.appendingPathComponent("m")))
    }
}
