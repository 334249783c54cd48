import Foundation
import XCTest
import TestSupport
@testable import Models

final class CLIPTokenizerTests: XCTestCase {
    static let vocabURL = Mirror.url("openai-clip/bpe_simple_vocab_16e6.txt.gz")
    nonisolated(unsafe) static var cached: [CLIPTokenizer.Variant: CLIPTokenizer] = [:]

    static func tokenizer(_ v: CLIPTokenizer.Variant) throws -> CLIPTokenizer {
        guard FileManager.default.fileExists(atPath: vocabURL.path) else { throw XCTSkip("BPE vocabulary not in the mirror at \(vocabURL.path)") }
        if let t = cached[v] { return t }
        let t = try CLIPTokenizer(vocabulary: vocabURL, variant: v)
        cached[v] = t
        return t
    }

    struct Entry: Decodable {
        let text: String
        let cleaned_openai: String
        let openai: [Int32]
        let open_clip: [Int32]
        let openai_nfc_instead_of_ftfy: [Int32]
        let openai_truncated: Bool
        let ftfy_matters: Bool
    }
    struct File: Decodable { let entries: [Entry] }

    func entries() throws -> [Entry] {
        let url = Mirror.url("clip-fixtures/tokenizer.json")
        guard FileManager.default.fileExists(atPath: url.path) else { throw XCTSkip("tokenizer.json not in the mirror") }
        return try JSONDecoder().decode(File.self, from: Data(contentsOf: url)).entries
    }

    func testSpecExamples() throws {
        let t = try Self.tokenizer(.openClip)
        XCTAssertEqual(t.vocabularySize, 49_408)
        XCTAssertEqual(t.id(of: "a</w>"), 320); XCTAssertEqual(t.id(of: "a"), 64); XCTAssertEqual(t.id(of: "!"), 0)
        XCTAssertEqual(t.encode("a photo of a cat."), [320, 1125, 539, 320, 2368, 269])
        XCTAssertEqual(t.encode("3.14"), [274, 269, 272, 275])
        XCTAssertEqual(t.encode("&amp;amp;"), [261])
        XCTAssertEqual(t.encode("café"), [15304])
    }

    /// Every fixture string: ids exact against OpenAI and open_clip (ftfy's mojibake repair included).
    func testFixtureRowsExact() throws {
        let oa = try Self.tokenizer(.openai), oc = try Self.tokenizer(.openClip)
        var checked = 0
        for e in try entries() {
            let (rowA, truncA) = oa.tokenize(e.text)
            XCTAssertEqual(rowA, e.openai, "openai: \(e.text.debugDescription)")
            XCTAssertEqual(truncA, e.openai_truncated, e.text)
            XCTAssertEqual(TextCleaner.clean(e.text), e.cleaned_openai, e.text.debugDescription)
            XCTAssertEqual(oc.tokenize(e.text).ids, e.open_clip, "open_clip: \(e.text.debugDescription)")
            checked += 1
        }
        XCTAssertEqual(checked, 31)
        XCTAssertTrue(try entries().contains { $0.text.contains("Ã") && $0.ftfy_matters && $0.openai != $0.openai_nfc_instead_of_ftfy })
    }

    func testHTMLUnescapeLikePython() {
        XCTAssertEqual(TextCleaner.htmlUnescape("&lt;b&gt; &amp &notit; &#x41;&#66;&#128;&#0;&#xD800; &bogus;"),
                       "<b> & ¬it; AB€\u{FFFD}\u{FFFD} &bogus;")
    }
}
