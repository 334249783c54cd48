@_spi(Fuzzing) @testable import Datasets
import Foundation
import XCTest

/// Manifest entries and archive entries that declare absurd sizes are refused in one line naming the file and the
/// limit, before anything is allocated or written (issue 12).
final class SizeLimitTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("oodbench-limits-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    func group(size: String, pinned: Bool = true) -> String {
        let sha = String(repeating: "a", count: 64)
        let pin = pinned ? #""mirror": "m", "pinned": true,"# : #""pinned": false, "unpinned_reason": "r","#
        let extra = pinned ? #""sha256": "\#(sha)""# : #""dataset": "colour""#
        return """
        {"schema": 1, "group": "g", "title": "t", \(pin) "license": "l", "citation": "c",
         "upstream": [{"repository": "a/b", "release": "1"}],
         "files": [{"path": "x.tar.gz", "url": "https://e/x", "size": \(size), \(extra)}]}
        """
    }

    func testManifestSizesOutsideTheLimitAreRefused() throws {
        for (size, pinned) in [("1125899906842624", true), ("9223372036854775807", false), ("-5", false)] {
            XCTAssertThrowsError(try Manifest.parseGroup(data: Data(group(size: size, pinned: pinned).utf8), file: "g.json")) { error in
                let text = "\(error)"
                XCTAssertFalse(text.contains("\n"))
                XCTAssertTrue(text.contains("g.json: invalid manifest: files[0]: 'x.tar.gz' declares \(size) bytes"), text)
                XCTAssertTrue(text.contains("(the limit of 1 TiB)"), text)
            }
        }
        XCTAssertEqual(try Manifest.parseGroup(data: Data(group(size: "1099511627776").utf8), file: "g.json").files[0].size,
                       Manifest.maxFileBytes)
    }

    /// A ustar header for a regular file declaring `size` bytes (base-256 when it does not fit 11 octal digits).
    func header(_ name: String, size: Int) -> Data {
        var h = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int) { for (i, b) in text.utf8.enumerated() { h[offset + i] = b } }
        put(name, at: 0)
        put("0000644", at: 100)
        if size < 1 << 33 {
            put(String(format: "%011o", size), at: 124)
        } else {
            h[124] = 0x80
            for i in 0..<8 { h[135 - i] = UInt8(truncatingIfNeeded: size >> (8 * i)) }
        }
        h[156] = UInt8(ascii: "0")
        put("ustar", at: 257)
        put("00", at: 263)
        for i in 148..<156 { h[i] = 32 }
        put(String(format: "%06o", h.reduce(0) { $0 + Int($1) }), at: 148)
        h[154] = 0
        return Data(h)
    }

    func testArchiveEntryDeclaringAbsurdSizeIsRefusedBeforeWriting() throws {
        let archive = scratch.appendingPathComponent("bomb.tar")
        try (header("big.bin", size: 1 << 40) + Data(count: 4096)).write(to: archive)
        let out = scratch.appendingPathComponent("out")
        XCTAssertThrowsError(try TarExtractor.extract(archive, into: out)) { error in
            XCTAssertEqual("\(error)", "\(archive.path): refused archive: entry 'big.bin' declares 1099511627776 bytes, "
                           + "above the limit of 17179869184 bytes (16 GiB)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent("big.bin").path))
    }

    func testArchiveTotalAboveTheLimitIsRefused() throws {
        // Two 600-byte files against a total limit of 1000 bytes: the second is refused from its header.
        let archive = scratch.appendingPathComponent("two.tar")
        let block = Data(repeating: 7, count: 600) + Data(count: 424)
        try (header("a.bin", size: 600) + block + header("b.bin", size: 600) + block + Data(count: 1024)).write(to: archive)
        let out = scratch.appendingPathComponent("out")
        XCTAssertThrowsError(try TarExtractor.extract(archive, into: out, maxTotalBytes: 1_000)) { error in
            XCTAssertEqual("\(error)", "\(archive.path): refused archive: entries declare more than the limit of 1000 bytes in all")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent("b.bin").path))
        XCTAssertEqual(try TarExtractor.extract(archive, into: scratch.appendingPathComponent("ok")), ["a.bin", "b.bin"])
    }
}
