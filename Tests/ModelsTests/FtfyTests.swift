import Foundation
import TestSupport
import XCTest
@testable import Models

/// The `ftfy.fix_text` port against the real ftfy 6.3.1 and open_clip's tokenizer (Tests/Fixtures/ftfy/, made by
/// make_ftfy_fixture.py): mojibake of several code pages, strings that must stay, and the other fixes.
final class FtfyTests: XCTestCase {
    struct Entry: Decodable { let text: String; let ftfy: String; let changed_by_ftfy: Bool; let open_clip: [Int32] }
    struct File: Decodable { let ftfy: String; let entries: [Entry] }

    func entries() throws -> [Entry] {
        let file = try JSONDecoder().decode(File.self, from: Data(contentsOf: Mirror.fixture("ftfy/expected.json")))
        XCTAssertEqual(file.ftfy, "6.3.1")
        return file.entries
    }

    static func scalars(_ s: String) -> String { s.unicodeScalars.map { String(format: "%04X", $0.value) }.joined(separator: " ") }

    func testFixTextMatchesFtfy() throws {
        let all = try entries()
        XCTAssertGreaterThan(all.filter(\.changed_by_ftfy).count, 25)
        for e in all {
            let got = Ftfy.fixText(e.text)
            // Compare scalars: Swift's == would accept a canonically equivalent but different string.
            XCTAssertEqual(Self.scalars(got), Self.scalars(e.ftfy), "\(e.text.debugDescription) → \(got.debugDescription), ftfy \(e.ftfy.debugDescription)")
        }
    }

    func testTokenIdsMatchOpenCLIP() throws {
        let vocab = Mirror.url("openai-clip/bpe_simple_vocab_16e6.txt.gz")
        guard FileManager.default.fileExists(atPath: vocab.path) else { throw XCTSkip("BPE vocabulary not in the mirror at \(vocab.path)") }
        let tokenizer = try CLIPTokenizer(vocabulary: vocab, variant: .openClip)
        for e in try entries() {
            XCTAssertEqual(tokenizer.tokenize(e.text).ids, e.open_clip, e.text.debugDescription)
        }
    }

    /// Hand-checked cases: the common mojibake, and text ftfy's heuristic must leave alone.
    func testHandCases() {
        XCTAssertEqual(Self.scalars(Ftfy.fixText("cafÃ©")), Self.scalars("caf\u{E9}"))
        XCTAssertEqual(Self.scalars(Ftfy.fixText("donâ€™t")), Self.scalars("don't"))
        XCTAssertEqual(Ftfy.fixText("a photo of a cat."), "a photo of a cat.")
        XCTAssertEqual(Self.scalars(Ftfy.fixText("r\u{E9}sum\u{E9} \u{A3}5")), Self.scalars("r\u{E9}sum\u{E9} \u{A3}5"))
        XCTAssertTrue(Ftfy.isBad("Ã©"))
        XCTAssertFalse(Ftfy.isBad("naïve café"))
    }
}
