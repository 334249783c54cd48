import Foundation
import Imaging
import TestSupport
import XCTest

/// `oodbench distort eidolon…`, run as the built binary: a seeded stimulus equals the golden, a non-square picture
/// is refused with one line and no output.
final class EidolonCommandTests: XCTestCase {
    private func run(_ arguments: [String]) throws -> (status: Int32, stderr: String) {
        guard Mirror.oodbenchIsBuilt else {
            throw XCTSkip("\(Mirror.oodbenchBinary.path) is not built (swift build)")
        }
        let run = try Mirror.runOODBench(arguments)
        return (run.status, run.stderr)
    }

    func testSeededEidolonEqualsTheGoldenAndNonSquareIsRefused() throws {
        let goldens = Mirror.url("eidolon-goldens")
        guard FileManager.default.fileExists(atPath: goldens.appendingPathComponent("manifest.json").path) else {
            throw XCTSkip("eidolon goldens not found under \(Mirror.root.path) (set OODBENCH_MIRROR)")
        }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("oodbench-eidolon-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let output = work.appendingPathComponent("out.png")
        let input = goldens.appendingPathComponent("inputs/img1.png").path
        var result = try run(["distort", "eidolonII", "8-3-10", input, output.path, "--seed", "42"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let written = try Image8(contentsOf: output)
        let expected = try Image8(contentsOf: goldens.appendingPathComponent("img1/eidolonII_8-3-10_seed42_224.png"))
        XCTAssertEqual(written.channels, 3)
        XCTAssertEqual(written.samples, expected.samples.flatMap { [$0, $0, $0] })

        let wide = work.appendingPathComponent("wide.png")
        try Image8(channels: 3, height: 20, width: 30).writePNG(to: wide)
        let refused = work.appendingPathComponent("refused.png")
        result = try run(["distort", "eidolonI", "4-10-10", wide.path, refused.path, "--seed", "1"])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("square"), result.stderr)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: refused.path))
    }
}
