import Foundation

/// The CLIP text cleaning of specs/clip.md §2.3 (OpenAI / open_clip "lower" cleaning):
/// `ftfy.fix_text` (the `Ftfy` port, mojibake repair included), `html.unescape` twice, strip, whitespace collapse,
/// Python-style lower-casing.
public enum TextCleaner {
    /// Full cleaning for the OpenAI/open_clip tokenizers.
    public static func clean(_ text: String) -> String {
        var s = Ftfy.fixText(text)
        s = htmlUnescape(htmlUnescape(s))
        s = collapseWhitespace(s)
        return pythonLower(s)
    }

    static let named: [String: String] = {
        var table: [String: String] = [:]
        for line in HTMLEntityTable.named.split(separator: "\n") {
            let parts = line.split(separator: "\t")
            guard parts.count == 2 else { continue }
            var s = String.UnicodeScalarView()
            for hex in parts[1].split(separator: ",") {
                if let v = UInt32(hex, radix: 16), let u = Unicode.Scalar(v) { s.append(u) }
            }
            table[String(parts[0])] = String(s)
        }
        return table
    }()

    /// Python's `html.unescape`: named references (HTML5, some without ';'), decimal and hex references.
    public static func htmlUnescape(_ text: String) -> String {
        guard text.contains("&") else { return text }
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < scalars.count {
            guard scalars[i] == "&" else { out.append(scalars[i]); i += 1; continue }
            var j = i + 1
            if j < scalars.count && scalars[j] == "#" {
                // #[0-9]+;? or #[xX][0-9a-fA-F]+;?
                j += 1
                var hex = false
                if j < scalars.count && (scalars[j] == "x" || scalars[j] == "X") { hex = true; j += 1 }
                let start = j
                while j < scalars.count, (hex ? scalars[j].properties.isASCIIHexDigit : ("0"..."9").contains(scalars[j])) { j += 1 }
                if j == start { out.append(scalars[i]); i += 1; continue }
                let digits = String(String.UnicodeScalarView(scalars[start..<j]))
                if j < scalars.count && scalars[j] == ";" { j += 1 }
                let num = UInt64(digits, radix: hex ? 16 : 10) ?? UInt64.max
                if num <= UInt64(UInt32.max), let mapped = HTMLEntityTable.invalidCharrefs[UInt32(num)] {
                    out.append(Unicode.Scalar(mapped)!)
                } else if (0xD800...0xDFFF).contains(num) || num > 0x10FFFF {
                    out.append("\u{FFFD}")
                } else if HTMLEntityTable.invalidCodepoints.contains(UInt32(num)) {
                    // dropped
                } else {
                    out.append(Unicode.Scalar(UInt32(num))!)
                }
                i = j
                continue
            }
            // [^\t\n\f <&#;]{1,32};?
            let stop: Set<Unicode.Scalar> = ["\t", "\n", "\u{0C}", " ", "<", "&", "#", ";"]
            while j < scalars.count && j - (i + 1) < 32 && !stop.contains(scalars[j]) { j += 1 }
            if j == i + 1 { out.append(scalars[i]); i += 1; continue }
            var name = String(String.UnicodeScalarView(scalars[(i + 1)..<j]))
            if j < scalars.count && scalars[j] == ";" { name += ";"; j += 1 }
            if let v = named[name] {
                out.append(contentsOf: v.unicodeScalars)
            } else {
                let ns = Array(name.unicodeScalars)
                var replaced = false
                if ns.count > 2 {
                    for x in stride(from: ns.count - 1, to: 1, by: -1) {
                        let prefix = String(String.UnicodeScalarView(ns[0..<x]))
                        if let v = named[prefix] {
                            out.append(contentsOf: v.unicodeScalars)
                            out.append(contentsOf: ns[x...])
                            replaced = true
                            break
                        }
                    }
                }
                if !replaced { out.append("&"); out.append(contentsOf: name.unicodeScalars) }
            }
            i = j
        }
        return String(out)
    }

    /// Python `str.isspace` for one scalar (Unicode White_Space plus the separators U+001C…U+001F).
    static func isPythonSpace(_ u: Unicode.Scalar) -> Bool {
        u.properties.isWhitespace || (0x1C...0x1F).contains(u.value)
    }

    /// Strip, then collapse every whitespace run to one space.
    public static func collapseWhitespace(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var pendingSpace = false
        for u in text.unicodeScalars {
            if isPythonSpace(u) { pendingSpace = !out.isEmpty; continue }
            if pendingSpace { out.append(" "); pendingSpace = false }
            out.append(u)
        }
        return String(out)
    }

    /// Python `str.lower`: full lower-case mapping per scalar, with the Greek final-sigma rule.
    public static func pythonLower(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        for (i, u) in scalars.enumerated() {
            if u.value == 0x03A3 {
                out.append(isFinalSigma(scalars, i) ? "\u{03C2}" : "\u{03C3}")
                continue
            }
            out.append(contentsOf: u.properties.lowercaseMapping.unicodeScalars)
        }
        return String(out)
    }

    private static func isFinalSigma(_ s: [Unicode.Scalar], _ i: Int) -> Bool {
        var j = i - 1
        while j >= 0 && s[j].properties.isCaseIgnorable { j -= 1 }
        guard j >= 0 && s[j].properties.isCased else { return false }
        var k = i + 1
        while k < s.count && s[k].properties.isCaseIgnorable { k += 1 }
        return !(k < s.count && s[k].properties.isCased)
    }
}
