@testable import Datasets
import Foundation
import XCTest

final class TarExtractorTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("oodbench-tar-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    /// One ustar header block (+ data, padded) for `name`.
    func entry(_ name: String, type: Character = "0", data: Data = Data(), link: String = "", breakChecksum: Bool = false) -> Data {
        var header = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int) { for (i, b) in text.utf8.enumerated() { header[offset + i] = b } }
        put(name, at: 0)
        put("0000644", at: 100)
        put("0000000", at: 108)
        put("0000000", at: 116)
        put(String(format: "%011o", data.count), at: 124)
        put("00000000000", at: 136)
        header[156] = type.asciiValue!
        put(link, at: 157)
        put("ustar", at: 257)
        put("00", at: 263)
        for i in 148..<156 { header[i] = 32 }
        var sum = header.reduce(0) { $0 + Int($1) }
        if breakChecksum { sum += 1 }
        put(String(format: "%06o", sum), at: 148)
        header[154] = 0
        var out = Data(header) + data
        out += Data(count: (512 - data.count % 512) % 512)
        return out
    }

    func archive(_ entries: [Data], end: Bool = true) throws -> URL {
        var bytes = entries.reduce(Data(), +)
        if end { bytes += Data(count: 1024) }
        let url = scratch.appendingPathComponent("a-\(UUID().uuidString).tar")
        try bytes.write(to: url)
        return url
    }

    func testExtractsFilesAndFolders() throws {
        let url = try archive([entry("colour/", type: "5"), entry("colour/dnn/session-1/a.png", data: Data("hello".utf8)),
                               entry("./colour/b.txt", data: Data(repeating: 7, count: 1000))])
        let target = scratch.appendingPathComponent("out")
        let written = try TarExtractor.extract(url, into: target)
        XCTAssertEqual(written, ["colour/dnn/session-1/a.png", "colour/b.txt"])
        XCTAssertEqual(try Data(contentsOf: target.appendingPathComponent("colour/dnn/session-1/a.png")), Data("hello".utf8))
        XCTAssertEqual(try Data(contentsOf: target.appendingPathComponent("colour/b.txt")), Data(repeating: 7, count: 1000))
    }

    func testRejectsPathTraversal() throws {
        for name in ["../evil.txt", "colour/../../evil.txt", "/tmp/evil.txt", "a//b"] {
            let url = try archive([entry(name, data: Data("x".utf8))])
            let target = scratch.appendingPathComponent("out-\(UUID().uuidString)")
            XCTAssertThrowsError(try TarExtractor.extract(url, into: target), name) { error in
                XCTAssertTrue("\(error)".contains("escapes the target folder") && "\(error)".contains(name), "\(error)")
            }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.deletingLastPathComponent().appendingPathComponent("evil.txt").path))
    }

    func testRejectsLinksAndSpecialFiles() throws {
        let cases: [(Data, String)] = [
            (entry("link", type: "2", link: "/etc/passwd"), "symbolic link"),
            (entry("hard", type: "1", link: "colour/a.png"), "hard link"),
            (entry("fifo", type: "6"), "unsupported type '6'"),
        ]
        for (bytes, expected) in cases {
            let url = try archive([bytes])
            XCTAssertThrowsError(try TarExtractor.extract(url, into: scratch.appendingPathComponent("o-\(UUID().uuidString)"))) {
                XCTAssertTrue("\($0)".contains(expected), "\($0)")
            }
        }
        // A pax record cannot smuggle a path past the check either.
        let pax = Data("30 path=../../outside/file.txt\n".utf8)
        let url = try archive([entry("PaxHeader", type: "x", data: pax), entry("innocent.txt", data: Data("x".utf8))])
        XCTAssertThrowsError(try TarExtractor.extract(url, into: scratch.appendingPathComponent("pax"))) {
            XCTAssertTrue("\($0)".contains("escapes the target folder"), "\($0)")
        }
    }

    func testRejectsTruncatedArchivesAndBadChecksums() throws {
        var bytes = entry("a.bin", data: Data(repeating: 1, count: 3000))
        bytes = bytes.prefix(1500)
        let url = scratch.appendingPathComponent("cut.tar")
        try bytes.write(to: url)
        XCTAssertThrowsError(try TarExtractor.extract(url, into: scratch.appendingPathComponent("o1"))) {
            XCTAssertTrue("\($0)".contains("ends in the middle"), "\($0)")
        }
        let bad = try archive([entry("a.bin", data: Data("x".utf8), breakChecksum: true)])
        XCTAssertThrowsError(try TarExtractor.extract(bad, into: scratch.appendingPathComponent("o2"))) {
            XCTAssertTrue("\($0)".contains("checksum"), "\($0)")
        }
    }

    /// A real `.tar.gz` written by the system's tar and gzip (as the release archives are).
    /// A file that does not fit (here: RLIMIT_FSIZE, what a full disk looks like to a writer) is an error naming
    /// the file and the reason, not a trap.
    func testFullDiskIsAnError() throws {
        let url = try archive([entry("big.bin", data: Data(repeating: 1, count: 200_000))])
        var old = rlimit()
        getrlimit(Int32(RLIMIT_FSIZE.rawValue), &old)
        let oldHandler = signal(SIGXFSZ, SIG_IGN)
        var limit = old
        limit.rlim_cur = 65_536
        XCTAssertEqual(setrlimit(Int32(RLIMIT_FSIZE.rawValue), &limit), 0)
        defer {
            setrlimit(Int32(RLIMIT_FSIZE.rawValue), &old)
            signal(SIGXFSZ, oldHandler)
        }
        let target = scratch.appendingPathComponent("out")
        XCTAssertThrowsError(try TarExtractor.extract(url, into: target)) { error in
            XCTAssertEqual("\(error)", "\(target.path)/big.bin: cannot write: File too large")
        }
    }

    func testExtractsGzipArchiveMadeByTar() throws {
        let tar = URL(fileURLWithPath: "/bin/tar")
        guard FileManager.default.isExecutableFile(atPath: tar.path) else { throw XCTSkip("/bin/tar not installed") }
        let source = scratch.appendingPathComponent("src/colour/dnn/session-1")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        let longName = "0001_cl_dnn_cr_oven_40_" + String(repeating: "n", count: 120) + ".png"
        try Data(repeating: 3, count: 70_000).write(to: source.appendingPathComponent(longName))
        try Data("b".utf8).write(to: source.appendingPathComponent("b.png"))
        let archive = scratch.appendingPathComponent("colour.tar.gz")
        let process = Process()
        process.executableURL = tar
        process.arguments = ["-czf", archive.path, "-C", scratch.appendingPathComponent("src").path, "colour"]
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        let target = scratch.appendingPathComponent("out")
        let written = try TarExtractor.extract(archive, into: target)
        XCTAssertEqual(Set(written), ["colour/dnn/session-1/\(longName)", "colour/dnn/session-1/b.png"])
        XCTAssertEqual(try Data(contentsOf: target.appendingPathComponent("colour/dnn/session-1/\(longName)")), Data(repeating: 3, count: 70_000))
    }
}
