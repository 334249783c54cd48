/// A tiny SVG writer: elements appended as text, numbers with at most two decimals, every text escaped.
/// Output depends only on the calls made, so charts are byte-for-byte deterministic.
struct SVG {
    let width: Double
    let height: Double
    private(set) var body = ""

    init(width: Double, height: Double) {
        self.width = width
        self.height = height
        body.reserveCapacity(16_384)
    }

    /// Escapes `&`, `<`, `>`, `"` and `'` for text and attribute values (HTML and SVG alike).
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// A coordinate with at most two decimals, no trailing zeros (`12.5`, `3`, `-0.25`).
    static func num(_ v: Double) -> String {
        guard v.isFinite else { return "0" }
        let scaled = (v * 100).rounded()
        let i = Int(scaled)
        let sign = i < 0 ? "-" : ""
        let a = abs(i)
        let whole = a / 100, frac = a % 100
        if frac == 0 { return sign + String(whole) }
        if frac % 10 == 0 { return "\(sign)\(whole).\(frac / 10)" }
        return "\(sign)\(whole).\(frac < 10 ? "0" : "")\(frac)"
    }

    mutating func raw(_ s: String) { body += s }

    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String,
                       width: Double = 1, dash: String? = nil, opacity: Double? = nil) {
        body += "<line x1=\"\(Self.num(x1))\" y1=\"\(Self.num(y1))\" x2=\"\(Self.num(x2))\" y2=\"\(Self.num(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(Self.num(width))\""
        if let dash { body += " stroke-dasharray=\"\(dash)\"" }
        if let opacity { body += " stroke-opacity=\"\(Self.num(opacity))\"" }
        body += "/>"
    }

    mutating func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, fill: String, stroke: String? = nil,
                       strokeWidth: Double = 1, opacity: Double? = nil) {
        body += "<rect x=\"\(Self.num(x))\" y=\"\(Self.num(y))\" width=\"\(Self.num(max(w, 0)))\" height=\"\(Self.num(max(h, 0)))\" fill=\"\(fill)\""
        if let stroke { body += " stroke=\"\(stroke)\" stroke-width=\"\(Self.num(strokeWidth))\"" }
        if let opacity { body += " fill-opacity=\"\(Self.num(opacity))\"" }
        body += "/>"
    }

    mutating func polyline(_ points: [(Double, Double)], stroke: String, width: Double = 1.5, dash: String? = nil) {
        guard points.count > 1 else { return }
        body += "<polyline fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(Self.num(width))\" stroke-linejoin=\"round\""
        if let dash { body += " stroke-dasharray=\"\(dash)\"" }
        body += " points=\""
        body += points.map { "\(Self.num($0.0)),\(Self.num($0.1))" }.joined(separator: " ")
        body += "\"/>"
    }

    enum Anchor: String { case start, middle, end }

    mutating func text(_ s: String, _ x: Double, _ y: Double, size: Double = 13, anchor: Anchor = .start,
                       fill: String = "#222", weight: String? = nil, rotate: Double? = nil, baseline: String? = nil,
                       italic: Bool = false) {
        body += "<text x=\"\(Self.num(x))\" y=\"\(Self.num(y))\" font-size=\"\(Self.num(size))\""
        if anchor != .start { body += " text-anchor=\"\(anchor.rawValue)\"" }
        if fill != "#222" { body += " fill=\"\(fill)\"" }
        if let weight { body += " font-weight=\"\(weight)\"" }
        if italic { body += " font-style=\"italic\"" }
        if let baseline { body += " dominant-baseline=\"\(baseline)\"" }
        if let rotate { body += " transform=\"rotate(\(Self.num(rotate)) \(Self.num(x)) \(Self.num(y)))\"" }
        body += ">\(Self.escape(s))</text>"
    }

    /// The whole document; `id` and `title` make the figure findable and accessible in the page.
    func document(id: String, title: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"\(Self.escape(id))\" class=\"chart\" viewBox=\"0 0 \(Self.num(width)) \(Self.num(height))\" width=\"\(Self.num(width))\" height=\"\(Self.num(height))\" role=\"img\" aria-label=\"\(Self.escape(title))\" font-family=\"Helvetica, Arial, sans-serif\">"
            + "<title>\(Self.escape(title))</title><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>" + body + "</svg>"
    }
}
