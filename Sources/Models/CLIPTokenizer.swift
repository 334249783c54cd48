import Foundation

/// The CLIP byte-pair tokenizer (OpenAI "simple tokenizer", specs/clip.md §2): text cleaning, the
/// pre-tokenisation regex, byte-level BPE over the 48,894 merges of `bpe_simple_vocab_16e6.txt.gz`, framing
/// with start/end-of-text and truncation to 77 ids (open_clip behaviour: SOT + first 75 ids + EOT, never fails).
///
/// Thread-safe: the BPE cache is behind a lock.
public final class CLIPTokenizer: @unchecked Sendable {
    /// Which special-token strings in user text map straight to 49,406/49,407.
    public enum Variant: String, Sendable {
        /// `<|startoftext|>` / `<|endoftext|>` (OpenAI `clip.tokenize`).
        case openai
        /// `<start_of_text>` / `<end_of_text>` (open_clip).
        case openClip = "open_clip"
    }

    public static let startOfText: Int32 = 49_406
    public static let endOfText: Int32 = 49_407
    public static let contextLength = 77
    static let mergeCount = 48_894

    public let variant: Variant
    private let encoder: [String: Int32]
    private let ranks: [String: Int]       // "left right" → rank
    private let byteSymbols: [String]      // byte value → symbol
    private var cache: [String: [Int32]] = [:]
    private let lock = NSLock()

    /// Loads the merges from `bpe_simple_vocab_16e6.txt.gz` (or an uncompressed copy).
    public convenience init(vocabulary url: URL, variant: Variant = .openClip) throws {
        let raw: Data
        do { raw = try Data(contentsOf: url) } catch {
            throw ModelsError.invalidFile(file: url.lastPathComponent, reason: "cannot read the BPE vocabulary")
        }
        let text = raw.starts(with: [0x1F, 0x8B]) ? try Gzip.decompress(raw, file: url.lastPathComponent) : raw
        try self.init(merges: String(decoding: text, as: UTF8.self), variant: variant, file: url.lastPathComponent)
    }

    /// Builds the vocabulary from the merges text (header line first, as in the OpenAI file).
    public init(merges text: String, variant: Variant = .openClip, file: String = "merges") throws {
        self.variant = variant
        // §2.1 byte table in table order.
        var order: [Int] = Array(0x21...0x7E) + Array(0xA1...0xAC) + Array(0xAE...0xFF)
        var symbols = [String](repeating: "", count: 256)
        var n = 0
        for b in 0..<256 where !order.contains(b) { order.append(b); symbols[b] = String(Unicode.Scalar(UInt32(256 + n))!); n += 1 }
        for b in order where symbols[b].isEmpty { symbols[b] = String(Unicode.Scalar(UInt32(b))!) }
        byteSymbols = symbols
        var vocab: [String] = order.map { symbols[$0] }
        vocab += order.map { symbols[$0] + "</w>" }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count > Self.mergeCount else {
            throw ModelsError.invalidFile(file: file, reason: "has \(lines.count) lines, needs at least \(Self.mergeCount + 1)")
        }
        var ranks: [String: Int] = [:]
        ranks.reserveCapacity(Self.mergeCount)
        for (rank, line) in lines[1...Self.mergeCount].enumerated() {
            let parts = line.split(whereSeparator: { $0 == " " })
            guard parts.count == 2 else { throw ModelsError.invalidFile(file: file, reason: "merge line \(rank + 2) is not two symbols") }
            let left = String(parts[0]), right = String(parts[1])
            ranks[left + " " + right] = rank
            vocab.append(left + right)
        }
        vocab.append(variant == .openai ? "<|startoftext|>" : "<start_of_text>")
        vocab.append(variant == .openai ? "<|endoftext|>" : "<end_of_text>")
        var enc: [String: Int32] = [:]
        enc.reserveCapacity(vocab.count)
        for (i, t) in vocab.enumerated() { enc[t] = Int32(i) }
        encoder = enc
        self.ranks = ranks
    }

    /// Vocabulary size (49,408).
    public var vocabularySize: Int { encoder.count }

    /// Id of a vocabulary string (e.g. "a</w>" → 320), nil if absent.
    public func id(of token: String) -> Int32? { encoder[token] }

    /// Token ids of `text` after cleaning, without SOT/EOT.
    public func encode(_ text: String) -> [Int32] {
        var ids: [Int32] = []
        for piece in preTokenize(TextCleaner.clean(text)) {
            if let special = specialID(piece) { ids.append(special); continue }
            ids.append(contentsOf: bpeIDs(piece))
        }
        return ids
    }

    /// One 77-id row: SOT + ids + EOT, right-padded with 0; longer texts keep SOT + the first 75 ids + EOT.
    /// `truncated` says whether ids were dropped.
    public func tokenize(_ text: String) -> (ids: [Int32], truncated: Bool) {
        var row: [Int32] = [Self.startOfText] + encode(text) + [Self.endOfText]
        let truncated = row.count > Self.contextLength
        if truncated {
            row = Array(row.prefix(Self.contextLength))
            row[Self.contextLength - 1] = Self.endOfText
        }
        row += [Int32](repeating: 0, count: Self.contextLength - row.count)
        return (row, truncated)
    }

    private func specialID(_ piece: String) -> Int32? {
        switch (variant, piece) {
        case (.openai, "<|startoftext|>"), (.openClip, "<start_of_text>"): return Self.startOfText
        case (.openai, "<|endoftext|>"), (.openClip, "<end_of_text>"): return Self.endOfText
        default: return nil
        }
    }

    /// The §2.4 regex, case-insensitively, over Unicode scalars.
    func preTokenize(_ text: String) -> [String] {
        let s = Array(text.unicodeScalars)
        let specials: [[Unicode.Scalar]] = (variant == .openai
            ? ["<|startoftext|>", "<|endoftext|>"] : ["<start_of_text>", "<end_of_text>"]).map { Array($0.unicodeScalars) }
        let contractions: [[Unicode.Scalar]] = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"].map { Array($0.unicodeScalars) }
        func matches(_ lit: [Unicode.Scalar], at i: Int) -> Bool {
            guard i + lit.count <= s.count else { return false }
            for k in 0..<lit.count where String(s[i + k]).lowercased() != String(lit[k]) { return false }
            return true
        }
        func isLetter(_ u: Unicode.Scalar) -> Bool {
            switch u.properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
            default: return false
            }
        }
        func isNumber(_ u: Unicode.Scalar) -> Bool {
            switch u.properties.generalCategory {
            case .decimalNumber, .letterNumber, .otherNumber: return true
            default: return false
            }
        }
        var out: [String] = []
        var i = 0
        outer: while i < s.count {
            for lit in specials + contractions where matches(lit, at: i) {
                out.append(String(String.UnicodeScalarView(s[i..<(i + lit.count)])))
                i += lit.count
                continue outer
            }
            let u = s[i]
            var j = i + 1
            if isLetter(u) {
                while j < s.count && isLetter(s[j]) { j += 1 }
            } else if isNumber(u) {
                // exactly one
            } else if TextCleaner.isPythonSpace(u) {
                i += 1
                continue
            } else {
                while j < s.count && !isLetter(s[j]) && !isNumber(s[j]) && !TextCleaner.isPythonSpace(s[j]) { j += 1 }
            }
            out.append(String(String.UnicodeScalarView(s[i..<j])))
            i = j
        }
        return out
    }

    /// §2.5: byte symbols, `</w>` on the last, lowest-rank merges until none applies.
    func bpeIDs(_ piece: String) -> [Int32] {
        lock.lock()
        if let hit = cache[piece] { lock.unlock(); return hit }
        lock.unlock()
        var word = piece.utf8.map { byteSymbols[Int($0)] }
        guard !word.isEmpty else { return [] }
        word[word.count - 1] += "</w>"
        while word.count > 1 {
            var best = Int.max, bestIndex = -1
            for k in 0..<(word.count - 1) {
                if let r = ranks[word[k] + " " + word[k + 1]], r < best { best = r; bestIndex = k }
            }
            if bestIndex < 0 { break }
            let first = word[bestIndex], second = word[bestIndex + 1]
            var merged: [String] = []
            merged.reserveCapacity(word.count)
            var k = 0
            while k < word.count {
                if k < word.count - 1 && word[k] == first && word[k + 1] == second {
                    merged.append(first + second); k += 2
                } else {
                    merged.append(word[k]); k += 1
                }
            }
            word = merged
        }
        let ids = word.map { encoder[$0] ?? 0 }
        lock.lock(); cache[piece] = ids; lock.unlock()
        return ids
    }
}
