import Foundation
import XCTest
import ZipSafety

/// `ZipPreflight` against zips built byte by byte here: a sound one passes, and each out-of-range offset or size
/// that would make ZIPFoundation trap (offsets above Int64.max reach `off_t(...)`) is refused with a reason.
final class ZipPreflightTests: XCTestCase {
    /// A zip with one stored entry `archive/data.pkl` holding `payload`; `zip64` adds a ZIP64 record and locator.
    struct ZipBytes {
        var payload: [UInt8] = Array("hello pickle".utf8)
        var name: [UInt8] = Array("archive/data.pkl".utf8)
        var flags: UInt16 = 0
        var localOffset32: UInt32 = 0
        var cdExtra: [UInt8] = []
        var versionNeeded: UInt16 = 20
        var zip64: (entries: UInt64, size: UInt64, offset: UInt64)?
        var cdOffsetOverride: UInt32?
        var trailing: [UInt8] = []   // bytes after the data (e.g. a data descriptor)

        func bytes() -> [UInt8] {
            var out: [UInt8] = []
            func le(_ v: UInt64, _ n: Int) { for i in 0..<n { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) } }
            let crc = UInt64(0)  // not checked by the preflight
            // local header
            le(0x0403_4B50, 4); le(20, 2); le(UInt64(flags), 2); le(0, 2); le(0, 4); le(crc, 4)
            le(UInt64(payload.count), 4); le(UInt64(payload.count), 4); le(UInt64(name.count), 2); le(0, 2)
            out += name; out += payload; out += trailing
            let cdStart = out.count
            le(0x0201_4B50, 4); le(20, 2); le(UInt64(versionNeeded), 2); le(UInt64(flags), 2); le(0, 2); le(0, 4); le(crc, 4)
            le(UInt64(payload.count), 4); le(UInt64(payload.count), 4); le(UInt64(name.count), 2)
            le(UInt64(cdExtra.count), 2); le(0, 2); le(0, 2); le(0, 2); le(0, 4); le(UInt64(localOffset32), 4)
            out += name; out += cdExtra
            let cdSize = out.count - cdStart
            if let z = zip64 {
                let recordAt = out.count
                le(0x0606_4B50, 4); le(44, 8); le(45, 2); le(45, 2); le(0, 4); le(0, 4)
                le(z.entries, 8); le(z.entries, 8); le(z.size, 8); le(z.offset, 8)
                le(0x0706_4B50, 4); le(0, 4); le(UInt64(recordAt), 8); le(1, 4)
            }
            le(0x0605_4B50, 4); le(0, 2); le(0, 2); le(1, 2); le(1, 2); le(UInt64(cdSize), 4)
            le(UInt64(cdOffsetOverride ?? UInt32(cdStart)), 4); le(0, 2)
            return out
        }
    }

    func problem(_ zip: ZipBytes, _ name: String = #function) throws -> String? {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("oodbench-preflight-\(UUID().uuidString).zip")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(zip.bytes()).write(to: url)
        return try ZipPreflight.problem(in: url)
    }

    func testSoundZipPasses() throws {
        XCTAssertNil(try problem(ZipBytes()))
        var zip64 = ZipBytes()
        zip64.zip64 = (1, 62, 46)   // one entry; the directory starts after the 46-byte local part (30 + 16 name)
        zip64.zip64!.offset = UInt64(30 + zip64.name.count + zip64.payload.count)
        XCTAssertNil(try problem(zip64))
    }

    func testCentralDirectoryBeyondTheFileIsRefused() throws {
        var zip = ZipBytes()
        zip.cdOffsetOverride = 0xFFFF_FF00
        XCTAssertTrue(try problem(zip)?.contains("central directory offset 4294967040") == true)
    }

    /// The first open finding: a ZIP64 record whose directory offset is above Int64.max.
    func testZip64DirectoryOffsetAboveInt64IsRefused() throws {
        var zip = ZipBytes()
        zip.zip64 = (1, 62, 1 << 63 + 5)
        XCTAssertTrue(try problem(zip)?.contains("central directory offset 9223372036854775813") == true)
        zip.zip64 = (UInt64.max, 62, 28)
        XCTAssertTrue(try problem(zip)?.contains("central-directory entries cannot fit") == true)
    }

    /// A directory entry whose ZIP64 extra field carries a local-header offset of 2^64 − 1.
    func testZip64LocalHeaderOffsetIsRefused() throws {
        var zip = ZipBytes()
        zip.localOffset32 = .max
        zip.cdExtra = [0x01, 0x00, 0x08, 0x00] + [UInt8](repeating: 0xFF, count: 8)
        XCTAssertTrue(try problem(zip)?.contains("local header offset 18446744073709551615") == true)
        // A ZIP64 field whose length does not match the all-ones fields is ignored, as ZIPFoundation ignores it:
        // the 32-bit offset (all ones, beyond the file) is then the one checked.
        zip.cdExtra = [0x01, 0x00, 0x10, 0x00] + [UInt8](repeating: 0, count: 16)
        XCTAssertTrue(try problem(zip)?.contains("local header offset 4294967295") == true)
    }

    /// A ZIP64 data descriptor whose sizes replace the directory's with 2^64 − 1.
    func testDataDescriptorSizesAreChecked() throws {
        var zip = ZipBytes()
        zip.flags = 0x8
        zip.versionNeeded = 45
        zip.trailing = [0x50, 0x4B, 0x07, 0x08, 0, 0, 0, 0] + [UInt8](repeating: 0xFF, count: 16)
        XCTAssertTrue(try problem(zip)?.contains("declares an impossible size (18446744073709551615 bytes)") == true)
        // The same descriptor with honest sizes passes.
        let n = UInt8(zip.payload.count)
        zip.trailing = [0x50, 0x4B, 0x07, 0x08, 0, 0, 0, 0, n, 0, 0, 0, 0, 0, 0, 0, n, 0, 0, 0, 0, 0, 0, 0]
        XCTAssertNil(try problem(zip))
    }

    func testTruncatedAndForeignFilesAreRefused() throws {
        let sound = ZipBytes().bytes()
        for cut in [0, 10, sound.count - 30, sound.count - 1] {
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("oodbench-preflight-\(UUID().uuidString).zip")
            defer { try? FileManager.default.removeItem(at: url) }
            try Data(sound.prefix(cut)).write(to: url)
            XCTAssertNotNil(try ZipPreflight.problem(in: url), "cut at \(cut)")
        }
    }
}
