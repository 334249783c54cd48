import Foundation
import Imaging
import TestSupport
import XCTest

/// PNG/JPEG decoding against Pillow (fixtures made by Tests/Fixtures/codec/make_fixtures.py), round trips,
/// and every bad-input case.
final class CodecTests: XCTestCase {
    struct Case: Decodable {
        let file: String
        let height: Int
        let width: Int
        let channels: Int
        let has16: Bool?
    }

    struct Cases: Decodable { let cases: [Case] }

    static func cases() throws -> [Case] {
        let data = try Data(contentsOf: Mirror.fixture("codec/expected.json"))
        return try JSONDecoder().decode(Cases.self, from: data).cases
    }

    func testDecodesEveryColourTypeAndDepthLikePillow() throws {
        let cases = try Self.cases()
        XCTAssertGreaterThanOrEqual(cases.count, 46)
        for c in cases {
            let url = Mirror.fixture("codec/in/\(c.file)")
            let image = try Image8(contentsOf: url)
            let expected = try [UInt8](Data(contentsOf: Mirror.fixture("codec/expected/\(c.file).u8")))
            XCTAssertEqual(image.width, c.width, c.file)
            XCTAssertEqual(image.height, c.height, c.file)
            XCTAssertEqual(image.channels, c.channels, c.file)
            let differing = zip(image.samples, expected).filter { $0 != $1 }.count
            XCTAssertEqual(image.samples.count, expected.count, c.file)
            XCTAssertEqual(differing, 0, "\(c.file): \(differing) samples differ from Pillow")
            // From Data gives the same, and errors would name the given name.
            let fromData = try Image8(data: Data(contentsOf: url), name: c.file)
            XCTAssertEqual(fromData, image, c.file)
        }
    }

    func testFloatDecodingKeepsSixteenBits() throws {
        for c in try Self.cases() {
            let url = Mirror.fixture("codec/in/\(c.file)")
            let image = try Image(contentsOf: url)
            XCTAssertEqual(image.channels, c.channels, c.file)
            let plane = c.width * c.height
            if c.has16 == true {
                let raw = try Data(contentsOf: Mirror.fixture("codec/expected/\(c.file).u16le"))
                let values: [UInt16] = stride(from: 0, to: raw.count, by: 2).map {
                    UInt16(raw[raw.startIndex + $0]) | UInt16(raw[raw.startIndex + $0 + 1]) << 8
                }
                var worst = 0
                for i in 0..<plane {
                    for k in 0..<c.channels where image.pixels[k * plane + i] != Float(values[i * c.channels + k]) / 65535 {
                        worst += 1
                    }
                }
                XCTAssertEqual(worst, 0, "\(c.file): 16-bit samples not v/65535")
                XCTAssertTrue(values.contains { $0 & 0xFF != 0 }, "fixture has low bytes")
            } else {
                let expected = try [UInt8](Data(contentsOf: Mirror.fixture("codec/expected/\(c.file).u8")))
                for i in stride(from: 0, to: plane, by: 7) {
                    for k in 0..<c.channels {
                        XCTAssertEqual(image.pixels[k * plane + i], Float(expected[i * c.channels + k]) / 255, c.file)
                    }
                }
            }
        }
    }

    func testConversionsBetweenImage8AndImage() {
        let samples: [UInt8] = [0, 1, 2, 127, 128, 254, 255, 3, 4, 200, 100, 50]
        let image8 = Image8(channels: 3, height: 2, width: 2, samples: samples)
        let image = Image(image8)
        // Planar: channel 0 holds samples 0, 3, 6, 9.
        XCTAssertEqual(image.pixels[0], 0)
        XCTAssertEqual(image.pixels[1], Float(127) / 255)
        XCTAssertEqual(image.pixels[4], Float(1) / 255)
        XCTAssertEqual(image.pixels[11], Float(50) / 255)
        XCTAssertEqual(Image8(image), image8)
        XCTAssertEqual(Image8(image, rule: .truncate).samples.count, 12)
    }

    func testQuantisationRules() {
        // round half up: 0.5/255 → 1, just below → 0; truncation: floor.
        XCTAssertEqual(QuantisationRule.roundHalfUp.quantise(0.5 / 255), 1)
        XCTAssertEqual(QuantisationRule.roundHalfUp.quantise(0.49 / 255), 0)
        XCTAssertEqual(QuantisationRule.truncate.quantise(0.99 / 255), 0)
        XCTAssertEqual(QuantisationRule.truncate.quantise(1.0), 255)
        XCTAssertEqual(QuantisationRule.roundHalfUp.quantise(1.0), 255)
        XCTAssertEqual(QuantisationRule.roundHalfUp.quantise(1.7), 255)
        XCTAssertEqual(QuantisationRule.truncate.quantise(-0.2), 0)
        XCTAssertEqual(QuantisationRule.roundHalfUp.quantise(.nan), 0)
        // contrast c01 example of specs/distortions.md §1.4: v·255 = 128.775 → 129 (a), 128 (b).
        XCTAssertEqual(QuantisationRule.roundHalfUp.quantise(128.775 / 255), 129)
        XCTAssertEqual(QuantisationRule.truncate.quantise(128.775 / 255), 128)
        // k/255 round-trips exactly under both rules (specs §1.1).
        for k in 0...255 {
            XCTAssertEqual(QuantisationRule.roundHalfUp.quantise(Double(k) / 255.0), UInt8(k))
            XCTAssertEqual(QuantisationRule.truncate.quantise(Double(k) / 255.0), UInt8(k))
        }
        let image = Image8(quantising: [0.2, 0.5, 1.0, 0.0], channels: 1, height: 2, width: 2, rule: .truncate)
        XCTAssertEqual(image.samples, [51, 127, 255, 0])
        let rounded = Image8(quantising: [0.2, 0.5, 1.0, 0.0], channels: 1, height: 2, width: 2)
        XCTAssertEqual(rounded.samples, [51, 128, 255, 0])
    }

    func testPNGRoundTripEveryChannelCount() throws {
        let folder = try temporaryFolder()
        for channels in 1...4 {
            var samples = [UInt8](repeating: 0, count: 37 * 29 * channels)
            var state: UInt32 = 12345
            for i in samples.indices {
                state = state &* 1_664_525 &+ 1_013_904_223
                samples[i] = UInt8(truncatingIfNeeded: state >> 24)
            }
            let image = Image8(channels: channels, height: 29, width: 37, samples: samples)
            let url = folder.appendingPathComponent("rt\(channels).png")
            try image.writePNG(to: url)
            XCTAssertEqual(try Image8(contentsOf: url), image)
            for compression in PNGCompression.allCases {
                XCTAssertEqual(try Image8(data: image.pngData(compression: compression)), image, "\(compression)")
            }
        }
    }

    func testJPEGRoundTripIsClose() throws {
        let url = Mirror.fixture("codec/in/rgb_q90_420.jpg")
        let image = try Image8(contentsOf: url)
        let again = try Image8(data: image.jpegData(quality: 95))
        XCTAssertEqual(again.width, image.width)
        XCTAssertEqual(again.channels, 3)
        let meanAbs = zip(again.samples, image.samples).map { abs(Int($0) - Int($1)) }.reduce(0, +) / image.samples.count
        XCTAssertLessThan(meanAbs, 6)
        let grey = Image8(channels: 1, height: 8, width: 8, samples: [UInt8](repeating: 77, count: 64))
        let folder = try temporaryFolder()
        try grey.writeJPEG(to: folder.appendingPathComponent("g.jpg"))
        let back = try Image8(contentsOf: folder.appendingPathComponent("g.jpg"))
        XCTAssertEqual(back.channels, 1)
        XCTAssertTrue(back.samples.allSatisfy { abs(Int($0) - 77) <= 1 })
        XCTAssertThrowsError(try Image8(channels: 4, height: 2, width: 2).jpegData()) { error in
            guard case ImagingError.unsupported = error else { return XCTFail("\(error)") }
        }
    }

    // MARK: Bad input

    func testNotAnImageNamesTheFile() throws {
        let folder = try temporaryFolder()
        let url = folder.appendingPathComponent("notes.png")
        try Data("hello, this is text".utf8).write(to: url)
        assertError(try Image8(contentsOf: url), .notAnImage(file: url.path))
        let empty = folder.appendingPathComponent("empty.png")
        try Data().write(to: empty)
        assertError(try Image8(contentsOf: empty), .notAnImage(file: empty.path))
        let missing = folder.appendingPathComponent("missing.png")
        assertError(try Image8(contentsOf: missing), .unreadable(file: missing.path, reason: "no such file"))
        assertError(try Image8(contentsOf: folder), .unreadable(file: folder.path, reason: "is a directory"))
    }

    func testTruncatedPNGAtEveryPointThrowsTruncatedOrCorrupt() throws {
        for file in ["rgb8.png", "palette4_trns_adam7.png", "grey16.png"] {
            let data = try Data(contentsOf: Mirror.fixture("codec/in/\(file)"))
            var truncatedCount = 0
            // Cut before the end of the image data (the last 12 bytes are IEND, which is not needed).
            for cut in stride(from: 1, to: data.count - 12, by: 3) {
                do {
                    _ = try Image8(data: data.prefix(cut), name: "cut-\(cut).png")
                    XCTFail("\(file) cut at \(cut) decoded")
                } catch let error as ImagingError {
                    switch error {
                    case .truncated(let name, let format):
                        XCTAssertEqual(name, "cut-\(cut).png")
                        XCTAssertEqual(format, "PNG")
                        truncatedCount += 1
                    case .corrupt(let name, _, _):
                        XCTAssertEqual(name, "cut-\(cut).png")
                    default: XCTFail("\(file) cut at \(cut): \(error)")
                    }
                }
            }
            XCTAssertGreaterThan(truncatedCount, 0)
        }
        let url = try temporaryFolder().appendingPathComponent("half.png")
        let data = try Data(contentsOf: Mirror.fixture("codec/in/rgb8.png"))
        try data.prefix(data.count / 2).write(to: url)
        assertError(try Image8(contentsOf: url), .truncated(file: url.path, format: "PNG"))
        XCTAssertEqual(ImagingError.truncated(file: url.path, format: "PNG").description,
                       "\(url.path): truncated PNG (data ends before the image is complete)")
    }

    func testTruncatedJPEGThrowsTruncated() throws {
        for file in ["rgb_q90_420.jpg", "rgb_progressive.jpg", "grey_q90.jpg"] {
            let data = try Data(contentsOf: Mirror.fixture("codec/in/\(file)"))
            let url = try temporaryFolder().appendingPathComponent("cut-\(file)")
            try data.prefix(data.count * 2 / 3).write(to: url)
            assertError(try Image8(contentsOf: url), .truncated(file: url.path, format: "JPEG"))
            for cut in stride(from: 1, to: data.count - 2, by: 41) {
                do {
                    _ = try Image8(data: data.prefix(cut), name: "j")
                    XCTFail("\(file) cut at \(cut) decoded")
                } catch let error as ImagingError {
                    switch error {
                    case .truncated, .corrupt: break
                    default: XCTFail("\(file) cut at \(cut): \(error)")
                    }
                }
            }
        }
    }

    func testZeroSizedImages() throws {
        let folder = try temporaryFolder()
        let png = folder.appendingPathComponent("zero.png")
        try Self.pngHeaderOnly(width: 0, height: 5).write(to: png)
        assertError(try Image8(contentsOf: png), .zeroSized(file: png.path))
        // A JPEG whose SOF0 says width 0.
        var jpeg = try Data(contentsOf: Mirror.fixture("codec/in/rgb_q90_420.jpg"))
        let sof = try XCTUnwrap(Self.findMarker(0xC0, in: jpeg))
        jpeg[sof + 7] = 0
        jpeg[sof + 8] = 0
        let url = folder.appendingPathComponent("zero.jpg")
        try jpeg.write(to: url)
        assertError(try Image8(contentsOf: url), .zeroSized(file: url.path))
    }

    func testTooLargeIsRefusedFromTheHeader() throws {
        let folder = try temporaryFolder()
        // 100000 × 100000 declared, no image data: must be refused before any allocation.
        let png = folder.appendingPathComponent("huge.png")
        try Self.pngHeaderOnly(width: 100_000, height: 100_000).write(to: png)
        assertError(try Image8(contentsOf: png),
                    .tooLarge(file: png.path, width: 100_000, height: 100_000, limit: Image8.defaultMaxPixels))
        assertError(try Image(contentsOf: png),
                    .tooLarge(file: png.path, width: 100_000, height: 100_000, limit: Image8.defaultMaxPixels))
        let small = Mirror.fixture("codec/in/rgb8.png")
        assertError(try Image8(contentsOf: small, maxPixels: 100), .tooLarge(file: small.path, width: 13, height: 11, limit: 100))
        let jpeg = Mirror.fixture("codec/in/rgb_q90_420.jpg")
        assertError(try Image8(contentsOf: jpeg, maxPixels: 1000), .tooLarge(file: jpeg.path, width: 53, height: 37, limit: 1000))
        XCTAssertNoThrow(try Image8(contentsOf: small, maxPixels: 143))
    }

    func testCorruptCRCAndUnwritablePath() throws {
        var data = try Data(contentsOf: Mirror.fixture("codec/in/rgb8.png"))
        data[data.startIndex + 20] ^= 0xFF  // inside IHDR: its CRC no longer matches
        assertError(try Image8(data: data, name: "bad.png"), .corrupt(file: "bad.png", format: "PNG", reason: "IHDR: CRC error"))
        let image = Image8(channels: 1, height: 2, width: 2)
        let url = URL(fileURLWithPath: "/nonexistent-folder-oodbench/out.png")
        assertError(try image.writePNG(to: url),
                    .unwritable(file: url.path, reason: "folder /nonexistent-folder-oodbench does not exist"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path))
    }

    // MARK: Helpers

    func assertError<T>(_ expression: @autoclosure () throws -> T, _ expected: ImagingError,
                        file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try expression(), file: file, line: line) { error in
            XCTAssertEqual(error as? ImagingError, expected, file: file, line: line)
            XCTAssertTrue("\(error)".contains(Self.fileOf(expected)), "message names the file", file: file, line: line)
        }
    }

    static func fileOf(_ error: ImagingError) -> String {
        switch error {
        case let .unreadable(f, _), let .notAnImage(f), let .truncated(f, _), let .corrupt(f, _, _), let .zeroSized(f),
             let .tooLarge(f, _, _, _), let .unsupported(f, _), let .unwritable(f, _):
            return f
        }
    }

    func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("imaging-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// A PNG signature and a valid IHDR chunk (RGB, 8 bit), nothing else.
    static func pngHeaderOnly(width: UInt32, height: UInt32) -> Data {
        var ihdr = [UInt8]("IHDR".utf8)
        for v in [width, height] { ihdr += [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
        ihdr += [8, 2, 0, 0, 0]
        let crc = crc32(ihdr)
        var bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13] + ihdr
        bytes += [UInt8(crc >> 24), UInt8((crc >> 16) & 0xFF), UInt8((crc >> 8) & 0xFF), UInt8(crc & 0xFF)]
        return Data(bytes)
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    static func findMarker(_ marker: UInt8, in data: Data) -> Int? {
        let bytes = [UInt8](data)
        for i in 0..<(bytes.count - 1) where bytes[i] == 0xFF && bytes[i + 1] == marker { return i }
        return nil
    }
}
