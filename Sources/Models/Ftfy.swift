import Foundation

/// A port of `ftfy.fix_text` with its default options (ftfy 6.3, by Robyn Speer, Apache-2.0), the first step of
/// the CLIP text cleaning (specs/clip.md §2.3).
///
/// The text is processed line by line (each segment ends after a "\n"); on each segment these fixes are applied in
/// ftfy's order, repeatedly until nothing changes: ftfy's HTML unescaping (only `&…;` forms, plus all-caps names
/// such as `&EACUTE;`; off once a segment contains "<"), **mojibake repair**, C1 controls read as Windows-1252, Latin
/// ligatures, full/half-width forms, curly quotes, line breaks, terminal escapes, control characters, NFC.
///
/// Mojibake repair is ftfy's `fix_encoding`: when the "badness" heuristic finds sequences typical of UTF-8 decoded in a
/// single-byte code page ("Ã©", "â€™", "Ð¿Ñ€"…), the text is re-encoded in the first code page that can represent
/// it (Latin-1, Windows-1252/1251/1250/1253/1254/1257, ISO-8859-2, MacRoman, CP437 — ftfy's "sloppy" variants keep
/// unassigned bytes) and decoded as UTF-8 (with ftfy's repairs: a no-break space turned into a space, bytes lost as
/// U+FFFD, CESU-8 and Java's C0 80); failing that, mojibake embedded in otherwise good text is fixed in isolation,
/// Latin-1 C1 characters are read as Windows-1252. Checked against the real ftfy on `Tests/Fixtures/ftfy/`.
public enum Ftfy {
    /// `ftfy.fix_text(text)` with default options.
    public static func fixText(_ text: String) -> String {
        if isPlain(text) { return text }
        var out = String.UnicodeScalarView()
        var unescape = true
        var segment = String.UnicodeScalarView()
        func flush() {
            let s = String(segment)
            if unescape && s.unicodeScalars.contains("<") { unescape = false }
            out.append(contentsOf: fixSegment(s, unescapeHTML: unescape).unicodeScalars)
            segment.removeAll()
        }
        for u in text.unicodeScalars {
            segment.append(u)
            if u == "\n" { flush() }
        }
        if !segment.isEmpty { flush() }
        return String(out)
    }

    /// Printable ASCII (plus tab and newline) without "&": every fix is the identity.
    static func isPlain(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { ($0.value >= 0x20 && $0.value < 0x7F && $0 != "&") || $0 == "\n" || $0 == "\t" }
    }

    static func same(_ a: String, _ b: String) -> Bool { a.unicodeScalars.elementsEqual(b.unicodeScalars) }

    /// ftfy's `fix_and_explain` on one segment.
    static func fixSegment(_ segment: String, unescapeHTML: Bool) -> String {
        let unescape = unescapeHTML && !segment.unicodeScalars.contains("<")
        var text = segment
        while true {
            let original = text
            if unescape { text = Self.unescapeHTML(text) }
            text = fixEncoding(text)
            text = fixC1Controls(text)
            text = mapScalars(text) { ligatures[$0.value].map { Array($0.unicodeScalars) } }
            text = fixCharacterWidth(text)
            text = mapScalars(text) { u in
                if u.value == 0x02BC || (0x2018...0x201B).contains(u.value) { return ["'"] }
                if (0x201C...0x201F).contains(u.value) { return ["\""] }
                return nil
            }
            text = fixLineBreaks(text)
            text = removeTerminalEscapes(text)
            text = mapScalars(text) { isRemovedControl($0.value) ? [] : nil }
            text = text.precomposedStringWithCanonicalMapping
            if same(text, original) { return text }
        }
    }

    // MARK: - Mojibake repair (ftfy.fix_encoding)

    /// `ftfy.fix_encoding`: one-step repairs until nothing changes.
    public static func fixEncoding(_ text: String) -> String {
        var text = text
        while true {
            let previous = text
            text = fixEncodingOneStep(text)
            if same(text, previous) { return text }
        }
    }

    static func fixEncodingOneStep(_ text: String) -> String {
        if text.isEmpty || text.unicodeScalars.allSatisfy({ $0.isASCII }) || !isBad(text) { return text }
        var possible: [String] = []
        for map in charmaps {
            guard var bytes = map.encode(text) else { continue }
            possible.append(map.name)
            if map.name != "macroman" && alteredUTF8Search(bytes) { bytes = restoreByteA0(bytes) }
            if map.name.hasPrefix("sloppy") { bytes = replaceLossySequences(bytes) }
            let variants = bytes.contains(0xED) || bytes.contains(0xC0)
            if let fixed = decodeUTF8(bytes, variants: variants) { return fixed }
        }
        if utf8Detector.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil {
            let fixed = decodeInconsistentUTF8(text)
            if !same(fixed, text) { return fixed }
        }
        // ftfy lists "sloppy-windows-1252", never "windows-1252", so text in Latin-1 is always tried as strict 1252.
        if possible.contains("latin-1") {
            var bytes: [UInt8] = []
            var ok = true
            for u in text.unicodeScalars { if u.value > 0xFF { ok = false; break }; bytes.append(UInt8(u.value)) }
            if ok, let fixed = decodeStrictWindows1252(bytes), !same(fixed, text) { return fixed }
        }
        if text.unicodeScalars.contains(where: { (0x80...0x9F).contains($0.value) }) { return fixC1Controls(text) }
        return text
    }

    /// Whether ftfy's badness heuristic finds likely mojibake.
    public static func isBad(_ text: String) -> Bool {
        badness.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    /// `fixes.decode_inconsistent_utf8`: UTF-8-looking runs inside good text, fixed one by one.
    static func decodeInconsistentUTF8(_ text: String) -> String {
        let ns = text as NSString
        let total = text.unicodeScalars.count
        var out = ""
        var last = 0
        for m in utf8Detector.matches(in: text, range: NSRange(location: 0, length: ns.length)) {
            out += ns.substring(with: NSRange(location: last, length: m.range.location - last))
            let sub = ns.substring(with: m.range)
            out += (sub.unicodeScalars.count < total && isBad(sub)) ? fixEncoding(sub) : sub
            last = m.range.location + m.range.length
        }
        out += ns.substring(from: last)
        return out
    }

    /// C1 controls (U+0080…U+009F) read as the Windows-1252 characters of those bytes (sloppy: unassigned kept).
    static func fixC1Controls(_ text: String) -> String {
        let sloppy1252 = charmaps[1]
        return mapScalars(text) { u in
            (0x80...0x9F).contains(u.value) ? [Unicode.Scalar(sloppy1252.high[Int(u.value) - 0x80])!] : nil
        }
    }

    // MARK: Byte-level repairs

    static func isCont(_ b: UInt8, excluding85A0: Bool = false) -> Bool {
        (0x80...0xBF).contains(b) && !(excluding85A0 && (b == 0x85 || b == 0xA0))
    }

    /// Length of an `ALTERED_UTF8_RE` match at `i` (0 when none).
    static func alteredUTF8Match(_ b: [UInt8], _ i: Int) -> Int {
        func at(_ k: Int) -> UInt8? { i + k < b.count ? b[i + k] : nil }
        guard let b0 = at(0) else { return 0 }
        let strict: (UInt8?) -> Bool = { $0.map { isCont($0, excluding85A0: true) } ?? false }
        let cont: (UInt8?) -> Bool = { $0.map { isCont($0) } ?? false }
        if [0xC2, 0xC3, 0xC5, 0xCE, 0xD0, 0xD9].contains(b0), at(1) == 0x20 { return 2 }
        if (0xE2...0xE3).contains(b0), at(1) == 0x20, strict(at(2)) { return 3 }
        if (0xE0...0xE3).contains(b0), strict(at(1)), at(2) == 0x20 { return 3 }
        if b0 == 0xF0 {
            if at(1) == 0x20, cont(at(2)), cont(at(3)) { return 4 }
            if cont(at(1)), at(2) == 0x20, cont(at(3)) { return 4 }
            if cont(at(1)), cont(at(2)), at(3) == 0x20 { return 4 }
        }
        return 0
    }

    static func alteredUTF8Search(_ b: [UInt8]) -> Bool { b.indices.contains { alteredUTF8Match(b, $0) > 0 } }

    /// `fixes.restore_byte_a0`: "Ã " before a word → "à ", then every altered sequence gets its A0 back.
    static func restoreByteA0(_ input: [UInt8]) -> [UInt8] {
        var b: [UInt8] = []
        b.reserveCapacity(input.count + 8)
        var i = 0
        let exceptions: [[UInt8]] = [" ", "quele", "quela", "quilo", "s "].map { Array($0.utf8) }
        while i < input.count {
            if input[i] == 0xC3, i + 1 < input.count, input[i + 1] == 0x20,
               !exceptions.contains(where: { Array(input[(i + 2)...].prefix($0.count)) == $0 }) {
                b += [0xC3, 0xA0, 0x20]
                i += 2
            } else {
                b.append(input[i]); i += 1
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        i = 0
        while i < b.count {
            let n = alteredUTF8Match(b, i)
            if n == 0 { out.append(b[i]); i += 1; continue }
            for k in 0..<n { out.append(b[i + k] == 0x20 ? 0xA0 : b[i + k]) }
            i += n
        }
        return out
    }

    /// `fixes.replace_lossy_sequences`: UTF-8 sequences with bytes lost (0x1A, or one '?') → the bytes of U+FFFD.
    static func replaceLossySequences(_ b: [UInt8]) -> [UInt8] {
        func matchLength(_ i: Int) -> Int {
            func at(_ k: Int) -> UInt8? { i + k < b.count ? b[i + k] : nil }
            func inSet(_ v: UInt8?, _ ranges: [ClosedRange<UInt8>]) -> Bool { v.map { x in ranges.contains { $0.contains(x) } } ?? false }
            let sub: ClosedRange<UInt8> = 0x1A...0x1A, q: ClosedRange<UInt8> = 0x3F...0x3F, c: ClosedRange<UInt8> = 0x80...0xBF
            let b0 = at(0)
            if inSet(b0, [0xC2...0xDF]), inSet(at(1), [sub]) { return 2 }
            if inSet(b0, [0xC2...0xC3]), inSet(at(1), [q]) { return 2 }
            if b0 == 0xED, inSet(at(1), [0xA0...0xAF]), inSet(at(2), [sub, q]), at(3) == 0xED, inSet(at(4), [0xB0...0xBF]),
               inSet(at(5), [sub, q, c]) { return 6 }
            if b0 == 0xED, inSet(at(1), [0xA0...0xAF]), inSet(at(2), [sub, q, c]), at(3) == 0xED, inSet(at(4), [0xB0...0xBF]),
               inSet(at(5), [sub, q]) { return 6 }
            if inSet(b0, [0xE0...0xEF]) {
                if inSet(at(1), [sub, q]), inSet(at(2), [sub, c]) { return 3 }
                if inSet(at(1), [sub, c]), inSet(at(2), [sub, q]) { return 3 }
            }
            if inSet(b0, [0xF0...0xF4]) {
                if inSet(at(1), [sub, q]), inSet(at(2), [sub, c]), inSet(at(3), [sub, c]) { return 4 }
                if inSet(at(1), [sub, c]), inSet(at(2), [sub, q]), inSet(at(3), [sub, c]) { return 4 }
                if inSet(at(1), [sub, c]), inSet(at(2), [sub, c]), inSet(at(3), [sub, q]) { return 4 }
            }
            if b0 == 0x1A { return 1 }
            return 0
        }
        var out: [UInt8] = []
        var i = 0
        while i < b.count {
            let n = matchLength(i)
            if n == 0 { out.append(b[i]); i += 1 } else { out += [0xEF, 0xBF, 0xBD]; i += n }
        }
        return out
    }

    /// Python's strict UTF-8 decoder; with `variants`, ftfy's "utf-8-variants" (CESU-8 surrogate pairs, C0 80 = NUL).
    static func decodeUTF8(_ b: [UInt8], variants: Bool) -> String? {
        var out = String.UnicodeScalarView()
        var i = 0
        while i < b.count {
            let b0 = b[i]
            if b0 < 0x80 { out.append(Unicode.Scalar(b0)); i += 1; continue }
            if variants {
                if b0 == 0xC0, i + 1 < b.count, b[i + 1] == 0x80 { out.append(Unicode.Scalar(0)); i += 2; continue }
                if b0 == 0xED, i + 5 < b.count, (0xA0...0xAF).contains(b[i + 1]), isCont(b[i + 2]), b[i + 3] == 0xED,
                   (0xB0...0xBF).contains(b[i + 4]), isCont(b[i + 5]) {
                    let v = (UInt32(b[i + 1] & 0x0F) << 16) + (UInt32(b[i + 2] & 0x3F) << 10)
                        + (UInt32(b[i + 4] & 0x0F) << 6) + UInt32(b[i + 5] & 0x3F) + 0x10000
                    guard let u = Unicode.Scalar(v) else { return nil }
                    out.append(u); i += 6; continue
                }
            }
            let n: Int, lo: UInt8, hi: UInt8
            switch b0 {
            case 0xC2...0xDF: n = 2; lo = 0x80; hi = 0xBF
            case 0xE0: n = 3; lo = 0xA0; hi = 0xBF
            case 0xE1...0xEC, 0xEE...0xEF: n = 3; lo = 0x80; hi = 0xBF
            case 0xED: n = 3; lo = 0x80; hi = 0x9F
            case 0xF0: n = 4; lo = 0x90; hi = 0xBF
            case 0xF1...0xF3: n = 4; lo = 0x80; hi = 0xBF
            case 0xF4: n = 4; lo = 0x80; hi = 0x8F
            default: return nil
            }
            guard i + n <= b.count, (lo...hi).contains(b[i + 1]) else { return nil }
            var v = UInt32(b0) & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07)
            for k in 1..<n {
                guard k == 1 || isCont(b[i + k]) else { return nil }
                v = v << 6 | UInt32(b[i + k] & 0x3F)
            }
            out.append(Unicode.Scalar(v)!)
            i += n
        }
        return String(out)
    }

    static func decodeStrictWindows1252(_ b: [UInt8]) -> String? {
        let table = charmaps[1].high
        var out = String.UnicodeScalarView()
        for x in b {
            if x < 0x80 { out.append(Unicode.Scalar(x)); continue }
            if [0x81, 0x8D, 0x8F, 0x90, 0x9D].contains(x) { return nil }
            out.append(Unicode.Scalar(table[Int(x) - 0x80])!)
        }
        return String(out)
    }

    // MARK: - The other fixes

    static let ligatures: [UInt32: String] = [
        0x0132: "IJ", 0x0133: "ij", 0x0149: "\u{02BC}n", 0x01F1: "DZ", 0x01F2: "Dz", 0x01F3: "dz", 0x01C4: "D\u{017D}",
        0x01C5: "D\u{017E}", 0x01C6: "d\u{017E}", 0x01C7: "LJ", 0x01C8: "Lj", 0x01C9: "lj", 0x01CA: "NJ", 0x01CB: "Nj",
        0x01CC: "nj", 0xFB00: "ff", 0xFB01: "fi", 0xFB02: "fl", 0xFB03: "ffi", 0xFB04: "ffl", 0xFB05: "\u{017F}t", 0xFB06: "st",
    ]

    static func fixCharacterWidth(_ text: String) -> String {
        mapScalars(text) { u in
            if u.value == 0x3000 { return [" "] }
            guard (0xFF01...0xFFEF).contains(u.value) else { return nil }
            let k = String(u).precomposedStringWithCompatibilityMapping
            return same(k, String(u)) ? nil : Array(k.unicodeScalars)
        }
    }

    static func fixLineBreaks(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var previousCR = false
        for u in text.unicodeScalars {
            defer { previousCR = u == "\r" }
            switch u.value {
            case 0x0A: if !previousCR { out.append("\n") }
            case 0x0D, 0x2028, 0x2029, 0x85: out.append("\n")
            default: out.append(u)
            }
        }
        return String(out)
    }

    /// ESC "[" (digits and ";")* letter.
    static func removeTerminalEscapes(_ text: String) -> String {
        guard text.unicodeScalars.contains("\u{1B}") else { return text }
        let s = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < s.count {
            if s[i] == "\u{1B}", i + 1 < s.count, s[i + 1] == "[" {
                var j = i + 2
                while j < s.count, s[j] == ";" || s[j].properties.numericType == .decimal { j += 1 }
                if j < s.count, s[j].isASCII, s[j].properties.isAlphabetic { i = j + 1; continue }
            }
            out.append(s[i]); i += 1
        }
        return String(out)
    }

    static func isRemovedControl(_ v: UInt32) -> Bool {
        v <= 0x08 || v == 0x0B || (0x0E...0x1F).contains(v) || v == 0x7F || (0x206A...0x206F).contains(v) || v == 0xFEFF
            || (0xFFF9...0xFFFC).contains(v)
    }

    static func mapScalars(_ text: String, _ f: (Unicode.Scalar) -> [Unicode.Scalar]?) -> String {
        var out = String.UnicodeScalarView()
        var changed = false
        for u in text.unicodeScalars {
            if let r = f(u) { out.append(contentsOf: r); changed = true } else { out.append(u) }
        }
        return changed ? String(out) : text
    }

    /// ftfy's `unescape_html`: `&name;` from HTML5 (and all-caps forms of lower-case names when Python's
    /// `html.unescape` leaves the all-caps form alone), `&#…;` numeric references only when fully consumed.
    static func unescapeHTML(_ text: String) -> String {
        guard text.unicodeScalars.contains("&") else { return text }
        let ns = text as NSString
        var out = ""
        var last = 0
        for m in htmlEntity.matches(in: text, range: NSRange(location: 0, length: ns.length)) {
            out += ns.substring(with: NSRange(location: last, length: m.range.location - last))
            let entity = ns.substring(with: m.range)
            if let v = htmlEntities[entity] {
                out += v
            } else if entity.hasPrefix("&#") {
                let u = TextCleaner.htmlUnescape(entity)
                out += u.contains(";") ? entity : u
            } else {
                out += entity
            }
            last = m.range.location + m.range.length
        }
        out += ns.substring(from: last)
        return out
    }

    static let htmlEntities: [String: String] = {
        var table: [String: String] = [:]
        for (name, value) in TextCleaner.named where name.hasSuffix(";") {
            table["&" + name] = value
            if name == name.lowercased() {
                let upper = "&" + name.uppercased()
                if same(TextCleaner.htmlUnescape(upper), upper) { table[upper] = value.uppercased() }
            }
        }
        return table
    }()

    // MARK: - Tables and patterns

    struct Charmap: Sendable {
        let name: String
        let high: [UInt32]
        let encodeTable: [UInt32: UInt8]

        init(name: String, sub: UInt32, high: [UInt32]) {
            self.name = name
            self.high = high
            var t: [UInt32: UInt8] = [:]
            for v in UInt32(0)..<0x80 where v != 0x1A { t[v] = UInt8(v) }
            t[sub] = 0x1A
            for (i, v) in high.enumerated() where t[v] == nil { t[v] = UInt8(0x80 + i) }
            encodeTable = t
        }

        /// The bytes, or nil when the text has a character this code page lacks (`possible_encoding`).
        func encode(_ text: String) -> [UInt8]? {
            var out: [UInt8] = []
            out.reserveCapacity(text.utf8.count)
            for u in text.unicodeScalars {
                guard let b = encodeTable[u.value] else { return nil }
                out.append(b)
            }
            return out
        }
    }

    static let charmaps: [Charmap] = FtfyTables.charmaps.map { Charmap(name: $0.name, sub: $0.sub, high: $0.high) }

    nonisolated(unsafe) static let htmlEntity = try! NSRegularExpression(pattern: "&#?[0-9A-Za-z]{1,24};")

    /// ftfy.badness.BADNESS_RE, assembled from the character classes of `FtfyTables`.
    nonisolated(unsafe) static let badness: NSRegularExpression = {
        let c = FtfyTables.categories
        func k(_ names: String...) -> String { names.map { c[$0]! }.joined() }
        let alternatives = [
            "[\(k("c1"))]",
            "[\(k("bad", "lower_accented", "upper_accented", "box", "start_punctuation", "end_punctuation", "currency", "numeric", "law"))][\(k("bad"))]",
            "[a-zA-Z][\(k("lower_common", "upper_common"))][\(k("bad"))]",
            "[\(k("bad"))][\(k("lower_accented", "upper_accented", "box", "start_punctuation", "end_punctuation", "currency", "numeric", "law"))]",
            "[\(k("lower_accented", "lower_common", "box", "end_punctuation", "currency", "numeric"))][\(k("upper_accented"))]",
            "[\(k("box", "end_punctuation", "currency", "numeric"))][\(k("lower_accented"))]",
            "[\(k("lower_accented", "box", "end_punctuation"))][\(k("currency"))]",
            "\\s[\(k("upper_accented"))][\(k("currency"))]",
            "[\(k("upper_accented", "box"))][\(k("numeric", "law"))]",
            "[\(k("lower_accented", "upper_accented", "box", "currency", "end_punctuation"))][\(k("start_punctuation"))][\(k("numeric"))]",
            "[\(k("lower_accented", "upper_accented", "currency", "numeric", "box", "law"))][\(k("end_punctuation"))][\(k("start_punctuation"))]",
            "[\(k("currency", "numeric", "box"))][\(k("start_punctuation"))]",
            "[a-z][\(k("upper_accented"))][\(k("start_punctuation", "currency"))]",
            "[\(k("box"))][\(k("kaomoji"))]",
            "[\(k("lower_accented", "upper_accented", "currency", "numeric", "start_punctuation", "end_punctuation", "law"))][\(k("box"))]",
            "[\(k("box"))][\(k("end_punctuation"))]",
            "[\(k("lower_accented", "upper_accented"))][\(k("start_punctuation", "end_punctuation"))]\\w",
            "[\u{152}\u{153}][^A-Za-z]",
            "[\(k("upper_accented"))]\u{B0}",
            "[\u{C2}\u{C3}\u{CE}\u{D0}][\u{20AC}\u{153}\u{160}\u{161}\u{A2}\u{A3}\u{178}\u{17E}\u{A0}\u{AD}\u{AE}\u{A9}\u{B0}\u{B7}\u{BB}"
                + "\(k("start_punctuation", "end_punctuation"))\u{2013}\u{2014}\u{B4}]",
            "\u{D7}[\u{B2}\u{B3}]",
            "[\u{D8}\u{D9}][\(k("common", "currency", "bad", "numeric", "start_punctuation"))\u{178}\u{160}\u{AE}\u{B0}\u{B5}\u{BB}]"
                + "[\u{D8}\u{D9}][\(k("common", "currency", "bad", "numeric", "start_punctuation"))\u{178}\u{160}\u{AE}\u{B0}\u{B5}\u{BB}]",
            "\u{E0}[\u{B2}\u{B5}\u{B9}\u{BC}\u{BD}\u{BE}]",
            "\u{221A}[\u{B1}\u{2202}\u{2020}\u{2260}\u{AE}\u{2122}\u{B4}\u{2264}\u{2265}\u{A5}\u{B5}\u{F8}]",
            "\u{2248}[\u{B0}\u{A2}]",
            "\u{201A}\u{C4}[\u{EC}\u{EE}\u{EF}\u{F2}\u{F4}\u{FA}\u{F9}\u{FB}\u{2020}\u{B0}\u{A2}\u{3C0}]",
            "\u{201A}[\u{E2}\u{F3}][\u{E0}\u{E4}\u{B0}\u{EA}]",
            "\u{432}\u{402}",
            "[\u{412}\u{413}\u{420}\u{421}][\(k("c1", "bad", "start_punctuation", "end_punctuation", "currency"))\u{B0}\u{B5}][\u{412}\u{413}\u{420}\u{421}]",
            "\u{413}\u{45E}\u{412}\u{402}\u{412}.[A-Za-z ]",
            "\u{C3}[\u{A0}\u{A1}]",
            "[a-z]\\s?[\u{C3}\u{C2}][ ]",
            "^[\u{C3}\u{C2}][ ]",
            "[a-z.,?!\(k("end_punctuation"))]\u{C2}[ \(k("start_punctuation", "end_punctuation"))]",
            "\u{3B2}\u{20AC}[\u{2122}\u{A0}\u{386}\u{AD}\u{AE}\u{B0}]",
            "[\u{392}\u{393}\u{39E}\u{39F}][\(k("c1", "bad", "start_punctuation", "end_punctuation", "currency"))\u{B0}][\u{392}\u{393}\u{39E}\u{39F}]",
            "\u{101}\u{20AC}",
        ]
        return try! NSRegularExpression(pattern: alternatives.joined(separator: "|"))
    }()

    /// ftfy.chardata.UTF8_DETECTOR_RE.
    nonisolated(unsafe) static let utf8Detector: NSRegularExpression = {
        let c = FtfyTables.utf8Clues
        let cont = c["utf8_continuation"]!
        let pattern = "(?<![\(c["utf8_continuation_strict"]!)])([\(c["utf8_first_of_2"]!)][\(cont)]|[\(c["utf8_first_of_3"]!)][\(cont)]{2}"
            + "|[\(c["utf8_first_of_4"]!)][\(cont)]{3})+"
        return try! NSRegularExpression(pattern: pattern)
    }()
}
