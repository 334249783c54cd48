import Foundation
import XCTest
import TestSupport
import Imaging

/// The pixel limit (Image8.defaultMaxPixels, Pillow's decompression-bomb limit of 2 × 89,478,485) applies to JPEG
/// headers as to PNG ones (CodecTests.testTooLargeIsRefusedFromTheHeader): refused from the header, one line.
final class ImageLimitTests: XCTestCase {
    func testJPEGDeclaringFourGigapixelsIsRefusedFromTheHeader() throws {
        let url = Mirror.fixture("limits/jpeg_65500x65500.jpg")
        XCTAssertThrowsError(try Image8(contentsOf: url)) { error in
            XCTAssertEqual(error as? ImagingError,
                           .tooLarge(file: url.path, width: 65_500, height: 65_500, limit: Image8.defaultMaxPixels))
            XCTAssertEqual("\(error)", "\(url.path): image of 65500×65500 pixels exceeds the limit of 178956970 pixels")
        }
        // The same bytes from memory, with a caller's limit.
        let data = try Data(contentsOf: url)
        XCTAssertThrowsError(try Image8(data: data, name: "x.jpg", maxPixels: 1_000)) { error in
            XCTAssertEqual(error as? ImagingError, .tooLarge(file: "x.jpg", width: 65_500, height: 65_500, limit: 1_000))
        }
    }

    func testControlCharactersInNamesAreEscaped() {
        XCTAssertEqual(ImagingError.zeroSized(file: "a\nb.png").description, #"a\nb.png: zero-sized image"#)
    }
}
