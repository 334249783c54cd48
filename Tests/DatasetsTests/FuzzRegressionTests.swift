@_spi(Fuzzing) import Datasets
import Foundation
import TestSupport
import XCTest

/// Inputs that broke a Datasets fuzz target (Tests/Fixtures/fuzz/README.md): each is now a clean, one-line refusal.
final class DatasetsFuzzRegressionTests: XCTestCase {
    func inputs(_ target: String) throws -> [URL] {
        let folder = Mirror.fixture("fuzz/\(target)")
        guard FileManager.default.fileExists(atPath: folder.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") }.sorted { $0.path < $1.path }
    }

    func testTarFindingsAreRefusedInOneLine() throws {
        let archives = try inputs("FuzzTar")
        XCTAssertFalse(archives.isEmpty)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("oodbench-fuzzreg-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        for archive in archives {
            XCTAssertThrowsError(try TarExtractor.extract(archive, into: scratch.appendingPathComponent(archive.lastPathComponent))) { error in
                let text = "\(error)"
                XCTAssertTrue(error is DatasetsError, text)
                XCTAssertFalse(text.contains("\n") || text.contains("\t"), "not one line: \(text)")
                XCTAssertTrue(text.hasPrefix(archive.path + ": refused archive: "), text)
            }
        }
    }

    /// The ZIP64 findings of FuzzTorchZip (Tests/Fixtures/fuzz/README.md) reach ZIPFoundation through the dataset
    /// extractor too; they are refused before it reads them.
    func testZipFindingsAreRefusedInOneLine() throws {
        let archives = try inputs("FuzzTorchZip")
        XCTAssertEqual(archives.count, 3)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("oodbench-fuzzreg-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        for archive in archives {
            XCTAssertThrowsError(try ZipExtractor.extract(archive, into: scratch)) { error in
                let text = "\(error)"
                XCTAssertTrue(error is DatasetsError, text)
                XCTAssertFalse(text.contains("\n"), "not one line: \(text)")
                XCTAssertTrue(text.hasPrefix(archive.path + ": refused archive: not a well-formed zip: central directory offset"), text)
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.path), "nothing is written for a refused archive")
        }
    }

    /// A stored entry declaring 4 GiB in a 311-byte zip made ZIPFoundation read 64 KiB chunks past the end of the
    /// file for 4 GiB (a "hang" of FuzzZip); such claims are now refused before anything is written.
    func testZipEntryDeclaringMoreThanTheFileHoldsIsRefused() throws {
        let archive = Mirror.fixture("fuzz/FuzzZip/hang-stored-entry-declares-4GiB.zip")
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("oodbench-fuzzreg-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let started = Date()
        XCTAssertThrowsError(try ZipExtractor.extract(archive, into: scratch)) { error in
            XCTAssertTrue("\(error)".hasSuffix("entry 'set/a.txt' declares 4294574086 bytes, more than its 14 stored bytes in a file of 311 bytes can hold"), "\(error)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.path), "nothing is written for a refused archive")
    }

    /// The entry name of crash-newline-in-entry-name.tar ends in a tab and a newline: escaped, not printed raw.
    func testControlCharactersInNamesAreEscaped() throws {
        let archive = Mirror.fixture("fuzz/FuzzTar/crash-newline-in-entry-name.tar")
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("oodbench-fuzzreg-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        XCTAssertThrowsError(try TarExtractor.extract(archive, into: scratch)) { error in
            XCTAssertTrue("\(error)".contains(#"header checksum mismatch (entry 'nnnnnn\t\n')"#), "\(error)")
        }
        let manifest = #"{"schema": 1, "group": "g", "title": "t\u001b[2J", "mirror": "m", "pinned": true, "license": "l", "citation": "c", "upstream": [{"repository": "a/b", "release": "1"}], "files": [{"path": "../x\ny", "url": "https://e/x", "size": 1, "sha256": "\#(String(repeating: "a", count: 64))"}]}"#
        XCTAssertThrowsError(try Manifest.parseGroup(data: Data(manifest.utf8), file: "g.json")) { error in
            XCTAssertFalse("\(error)".contains("\n"), "\(error)")
            XCTAssertTrue("\(error)".contains(#"'../x\ny'"#), "\(error)")
        }
        XCTAssertEqual(DatasetsError.badSource(path: "a\u{1B}b\u{85}c\u{2028}", problem: "p\r").description,
                       #"a\u{1B}b\u{85}c\u{2028}: p\r"#)
    }
}
