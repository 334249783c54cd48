import Foundation

/// One named series or point set of a chart, drawn in its decision maker's style.
struct Series {
    var name: String
    var style: DecisionMakerStyle
    var values: [Double?]
}

/// The charts of the report, each returning a complete `<svg>` element. Sizes are in CSS px; fonts are
/// large enough to read when the figure is shown at half its width.
enum Charts {
    static let axisColour = "#333"
    static let gridColour = "#e4e4e4"

    /// Round tick values covering [lo, hi] with about `count` steps.
    static func ticks(_ lo: Double, _ hi: Double, count: Int = 6) -> [Double] {
        guard hi > lo else { return [lo] }
        let raw = (hi - lo) / Double(count)
        let mag = pow(10, floor(log10(raw)))
        let step = [1, 2, 5, 10].map { $0 * mag }.first { $0 >= raw * 0.999 } ?? 10 * mag
        var out: [Double] = []
        var k = (lo / step - 1e-9).rounded(.up)
        while k * step <= hi + step * 1e-9 {
            // Through decimal text: 0.6, not 0.6000000000000001; 0, not -0.
            out.append((Double(String(format: "%.\(max(0, 2 - Int(log10(mag))))f", k * step)) ?? k * step) + 0)
            k += 1
        }
        return out
    }

    static func tickText(_ v: Double, step: Double) -> String {
        let decimals = step >= 1 ? 0 : step >= 0.1 ? 1 : step >= 0.01 ? 2 : 3
        let s = String(format: "%.\(decimals)f", v)
        return s == "-0.0" || s == "-0" || s == "-0.00" ? s.replacingOccurrences(of: "-", with: "") : s
    }

    /// The plotting area and its y scale; draws the frame, y grid and y ticks.
    struct Frame {
        var svg: SVG
        let left: Double, top: Double, width: Double, height: Double
        let yMin: Double, yMax: Double

        init(width w: Double, height h: Double, left: Double = 64, right: Double = 16, top: Double = 40,
             bottom: Double = 56, yMin: Double, yMax: Double) {
            svg = SVG(width: w, height: h)
            self.left = left
            self.top = top
            width = w - left - right
            height = h - top - bottom
            self.yMin = yMin
            self.yMax = yMax
        }

        var bottom: Double { top + height }
        func y(_ v: Double) -> Double { top + height * (1 - (v - yMin) / (yMax - yMin)) }

        mutating func title(_ s: String) {
            svg.text(s, left + width / 2, 24, size: s.count > 34 ? 14 : 16, anchor: .middle, weight: "bold")
        }

        mutating func yAxis(_ label: String, ticks: [Double]) {
            let step = ticks.count > 1 ? ticks[1] - ticks[0] : 1
            for t in ticks {
                let yy = y(t)
                svg.line(left, yy, left + width, yy, stroke: gridColour)
                svg.line(left - 5, yy, left, yy, stroke: axisColour)
                svg.text(tickText(t, step: step), left - 8, yy + 4.5, size: 13, anchor: .end)
            }
            svg.text(label, 18, top + height / 2, size: 14, anchor: .middle, rotate: -90)
        }

        mutating func box() {
            svg.line(left, top, left, bottom, stroke: axisColour, width: 1.2)
            svg.line(left, bottom, left + width, bottom, stroke: axisColour, width: 1.2)
        }

        mutating func horizontal(_ v: Double, dash: String = "2 4", colour: String = "#888", width: Double = 1.4) {
            guard v >= yMin && v <= yMax else { return }
            svg.line(left, y(v), left + self.width, y(v), stroke: colour, width: width, dash: dash)
        }
    }

    // MARK: Line plot (accuracy, error consistency, entropy)

    /// Categorical x (condition labels), one line with markers per series; nil values break the line.
    static func linePlot(id: String, title: String, xLabels: [String], xTitle: String, yTitle: String,
                         yMin: Double, yMax: Double, series: [Series], referenceLines: [Double] = []) -> String {
        var f = Frame(width: 440, height: 360, yMin: yMin, yMax: yMax)
        f.title(title)
        f.yAxis(yTitle, ticks: ticks(yMin, yMax))
        let n = max(xLabels.count, 1)
        func x(_ i: Int) -> Double { f.left + f.width * (Double(i) + 0.5) / Double(n) }
        for (i, label) in xLabels.enumerated() {
            f.svg.line(x(i), f.bottom, x(i), f.bottom + 5, stroke: axisColour)
            f.svg.text(label, x(i), f.bottom + 20, size: 13, anchor: .middle)
        }
        f.svg.text(xTitle, f.left + f.width / 2, f.bottom + 44, size: 14, anchor: .middle)
        for r in referenceLines { f.horizontal(r) }
        f.box()
        for s in series {
            var run: [(Double, Double)] = []
            for (i, v) in s.values.enumerated() {
                if let v { run.append((x(i), f.y(v))) } else { f.svg.polyline(run, stroke: s.style.colour, width: 2); run = [] }
            }
            f.svg.polyline(run, stroke: s.style.colour, width: 2)
        }
        for s in series {
            for (i, v) in s.values.enumerated() { if let v { s.style.draw(in: &f.svg, x: x(i), y: f.y(v), size: 10) } }
        }
        return f.svg.document(id: id, title: title)
    }

    // MARK: Bar plot

    /// One bar per series value (first value), in the given order; names below the axis, values on the bars.
    static func barPlot(id: String, title: String, yTitle: String, bars: [Series], yMin: Double, yMax: Double,
                        valueFormat: String = "%.3f") -> String {
        let labelSpace = Double(min(bars.map(\.name.count).max() ?? 0, 40)) * 7.2 + 20
        var f = Frame(width: max(420, Double(bars.count) * 52 + 90), height: 280 + labelSpace,
                      bottom: labelSpace, yMin: yMin, yMax: yMax)
        f.title(title)
        f.yAxis(yTitle, ticks: ticks(yMin, yMax))
        let slot = f.width / Double(max(bars.count, 1))
        for (i, b) in bars.enumerated() {
            let cx = f.left + slot * (Double(i) + 0.5)
            if let v = b.values.first ?? nil {
                let y0 = f.y(max(min(0, yMax), yMin)), y1 = f.y(min(max(v, yMin), yMax))
                f.svg.rect(cx - slot * 0.36, min(y0, y1), slot * 0.72, abs(y1 - y0), fill: b.style.colour, opacity: 0.9)
                f.svg.text(String(format: valueFormat, v), cx, min(y0, y1) - 5, size: 11.5, anchor: .middle)
            } else {
                f.svg.text("n/a", cx, f.bottom - 6, size: 11.5, anchor: .middle, fill: "#777")
            }
            f.svg.text(b.name, cx + 4.5, f.bottom + 8, size: 13, anchor: .end, rotate: -90)
        }
        f.horizontal(0, dash: "", colour: axisColour, width: 1)
        f.box()
        return f.svg.document(id: id, title: title)
    }

    // MARK: Scatter plot

    /// One marker per point (values [x, y]), labelled with its name; optional dashed "expected" curve.
    static func scatterPlot(id: String, title: String, xTitle: String, yTitle: String, points: [Series],
                            xRange: (Double, Double), yRange: (Double, Double),
                            expected: [(Double, Double)]? = nil) -> String {
        var f = Frame(width: 420, height: 420, top: 40, bottom: 56, yMin: yRange.0, yMax: yRange.1)
        f.title(title)
        f.yAxis(yTitle, ticks: ticks(yRange.0, yRange.1))
        func x(_ v: Double) -> Double { f.left + f.width * (v - xRange.0) / (xRange.1 - xRange.0) }
        let xt = ticks(xRange.0, xRange.1)
        let step = xt.count > 1 ? xt[1] - xt[0] : 1
        for t in xt {
            f.svg.line(x(t), f.top, x(t), f.bottom, stroke: gridColour)
            f.svg.line(x(t), f.bottom, x(t), f.bottom + 5, stroke: axisColour)
            f.svg.text(tickText(t, step: step), x(t), f.bottom + 20, size: 13, anchor: .middle)
        }
        f.svg.text(xTitle, f.left + f.width / 2, f.bottom + 44, size: 14, anchor: .middle)
        f.box()
        if let expected {
            let pts = expected.filter { $0.1 >= yRange.0 && $0.1 <= yRange.1 && $0.0 >= xRange.0 && $0.0 <= xRange.1 }
            f.svg.polyline(pts.map { (x($0.0), f.y($0.1)) }, stroke: "#999", width: 1.6, dash: "6 4")
            if let last = pts.last {
                f.svg.text("expected", x(last.0) - 4, f.y(last.1) - 7, size: 12, anchor: .end, fill: "#777", italic: true)
            }
        }
        for p in points {
            guard p.values.count == 2, let vx = p.values[0], let vy = p.values[1] else { continue }
            p.style.draw(in: &f.svg, x: x(vx), y: f.y(vy), size: 12)
        }
        // Labels: first free spot around each marker (no overlap with markers or earlier labels), else right.
        typealias Box = (x0: Double, y0: Double, x1: Double, y1: Double)
        var taken: [Box] = points.compactMap { p in
            guard p.values.count == 2, let vx = p.values[0], let vy = p.values[1] else { return nil }
            return (x(vx) - 7, f.y(vy) - 7, x(vx) + 7, f.y(vy) + 7)
        }
        for p in points {
            guard p.values.count == 2, let vx = p.values[0], let vy = p.values[1] else { continue }
            let px = x(vx), py = f.y(vy), w = Double(p.name.count) * 7.0, h = 13.0
            var spots: [(Double, Double, SVG.Anchor)] = [
                (px + 9, py + 4, .start), (px - 9, py + 4, .end), (px, py - 10, .middle), (px, py + 19, .middle),
                (px + 8, py - 8, .start), (px + 8, py + 16, .start), (px - 8, py - 8, .end), (px - 8, py + 16, .end),
            ]
            let near = spots.count
            for dy in [-22.0, 30, -36, 44, -50, 58, -64, 72] {   // further away, with a leader line
                spots += [(px + 14, py + dy, .start), (px - 14, py + dy, .end)]
            }
            func box(_ s: (Double, Double, SVG.Anchor)) -> Box {
                let x0 = s.2 == .start ? s.0 : s.2 == .end ? s.0 - w : s.0 - w / 2
                return (x0, s.1 - h + 3, x0 + w, s.1 + 3)
            }
            func free(_ b: Box) -> Bool {
                b.x0 >= f.left && b.x1 <= f.left + f.width + 14 && b.y0 >= f.top && b.y1 <= f.bottom
                    && !taken.contains { $0.x0 < b.x1 && b.x0 < $0.x1 && $0.y0 < b.y1 && b.y0 < $0.y1 }
            }
            let index = spots.firstIndex { free(box($0)) } ?? (px < f.left + f.width * 0.6 ? 0 : 1)
            let spot = spots[index]
            taken.append(box(spot))
            if index >= near {
                f.svg.line(px, py, spot.0 + (spot.2 == .start ? -2 : 2), spot.1 - 4, stroke: "#999", width: 0.8)
            }
            f.svg.text(p.name, spot.0, spot.1, size: 11.5, anchor: spot.2, fill: "#333")
        }
        return f.svg.document(id: id, title: title)
    }

    // MARK: Box plot

    /// Quartiles with linear interpolation (numpy's default percentile).
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        let pos = q * Double(sorted.count - 1)
        let lo = Int(pos.rounded(.down)), hi = min(lo + 1, sorted.count - 1)
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - Double(lo))
    }

    /// One box per series (median, quartiles, whiskers at the furthest values within 1.5 IQR; no outliers
    /// drawn, as upstream), plus the individual values as small dots.
    static func boxPlot(id: String, title: String, yTitle: String, boxes: [Series], yMin: Double = 0,
                        yMax: Double = 1) -> String {
        let labelSpace = Double(min(boxes.map(\.name.count).max() ?? 0, 40)) * 7.2 + 20
        var f = Frame(width: max(420, Double(boxes.count) * 60 + 90), height: 280 + labelSpace,
                      bottom: labelSpace, yMin: yMin, yMax: yMax)
        f.title(title)
        f.yAxis(yTitle, ticks: ticks(yMin, yMax))
        let slot = f.width / Double(max(boxes.count, 1))
        for (i, b) in boxes.enumerated() {
            let cx = f.left + slot * (Double(i) + 0.5)
            let v = b.values.compactMap { $0 }.sorted()
            f.svg.text(b.name, cx + 4.5, f.bottom + 8, size: 13, anchor: .end, rotate: -90)
            guard !v.isEmpty else { continue }
            let q1 = quantile(v, 0.25), med = quantile(v, 0.5), q3 = quantile(v, 0.75)
            let iqr = q3 - q1
            let lo = v.first { $0 >= q1 - 1.5 * iqr } ?? q1, hi = v.last { $0 <= q3 + 1.5 * iqr } ?? q3
            let w = min(slot * 0.6, 44)
            f.svg.line(cx, f.y(lo), cx, f.y(q1), stroke: b.style.colour, width: 1.5)
            f.svg.line(cx, f.y(q3), cx, f.y(hi), stroke: b.style.colour, width: 1.5)
            f.svg.line(cx - w / 4, f.y(lo), cx + w / 4, f.y(lo), stroke: b.style.colour, width: 1.5)
            f.svg.line(cx - w / 4, f.y(hi), cx + w / 4, f.y(hi), stroke: b.style.colour, width: 1.5)
            f.svg.rect(cx - w / 2, f.y(q3), w, f.y(q1) - f.y(q3), fill: b.style.colour, stroke: b.style.colour,
                       strokeWidth: 1.5, opacity: 0.35)
            f.svg.line(cx - w / 2, f.y(med), cx + w / 2, f.y(med), stroke: "#111", width: 2)
            for (k, value) in v.enumerated() {
                let dx = (Double(k % 5) - 2) * 3
                f.svg.raw("<circle cx=\"\(SVG.num(cx + dx))\" cy=\"\(SVG.num(f.y(value)))\" r=\"1.6\" fill=\"#333\" fill-opacity=\"0.55\"/>")
            }
        }
        f.box()
        return f.svg.document(id: id, title: title)
    }

    // MARK: Heat map (error-consistency matrix)

    /// Diverging blue–white–red colour for κ in [−1, 1].
    static func diverging(_ v: Double) -> String {
        let t = max(-1, min(1, v))
        let (r, g, b): (Double, Double, Double) = t >= 0
            ? (255 - t * (255 - 178), 255 - t * (255 - 24), 255 - t * (255 - 43))
            : (255 + t * (255 - 33), 255 + t * (255 - 102), 255 + t * (255 - 172))
        return String(format: "#%02x%02x%02x", Int(r.rounded()), Int(g.rounded()), Int(b.rounded()))
    }

    /// A square matrix of κ values with row and column labels coloured per subject; values written in cells.
    static func heatmap(id: String, title: String, labels: [String], labelColours: [String], values: [[Double?]]) -> String {
        let n = Double(labels.count)
        let cell = max(26, min(40, 560 / max(n, 1)))
        let longest = Double(min(labels.map(\.count).max() ?? 0, 36))
        let margin = longest * 7 + 16
        let top = 40 + longest * 6.4 * 0.87 + 12
        let w = margin + cell * n + 90, h = top + cell * n + 16
        var svg = SVG(width: w, height: h)
        svg.text(title, margin + cell * n / 2, 24, size: 16, anchor: .middle, weight: "bold")
        for (i, row) in values.enumerated() {
            for (j, v) in row.enumerated() {
                let x = margin + Double(j) * cell, y = top + Double(i) * cell
                svg.rect(x, y, cell, cell, fill: v.map(diverging) ?? "#eee", stroke: "#fff", strokeWidth: 0.5)
                let text = v.map { String(format: "%.2f", $0).replacingOccurrences(of: "0.", with: ".") } ?? "n/a"
                svg.text(text, x + cell / 2, y + cell / 2 + 4, size: cell >= 32 ? 11 : 9.5, anchor: .middle,
                         fill: (v ?? 0) > 0.6 || (v ?? 0) < -0.6 ? "#fff" : "#222")
            }
        }
        for (i, label) in labels.enumerated() {
            svg.text(label, margin - 6, top + (Double(i) + 0.5) * cell + 4, size: 12, anchor: .end, fill: labelColours[i])
            let cx = margin + (Double(i) + 0.5) * cell
            svg.text(label, cx - 4, top - 6, size: 12, anchor: .start, fill: labelColours[i], rotate: -60)
        }
        // Colour bar
        let bx = margin + cell * n + 24, bh = cell * n
        for k in 0..<40 {
            let v = 1 - Double(k) / 39 * 2
            svg.rect(bx, top + bh * Double(k) / 40, 16, bh / 40 + 0.5, fill: diverging(v))
        }
        for v in [-1.0, -0.5, 0, 0.5, 1] {
            let y = top + bh * (1 - v) / 2
            svg.line(bx + 16, y, bx + 20, y, stroke: axisColour)
            svg.text(tickText(v, step: 0.5), bx + 23, y + 4, size: 11)
        }
        svg.text("κ", bx + 8, top - 8, size: 13, anchor: .middle, italic: true)
        return svg.document(id: id, title: title)
    }

    // MARK: Legend

    /// All decision makers with their marker and colour, in one or more rows.
    static func legend(id: String, entries: [(name: String, style: DecisionMakerStyle, note: String?)]) -> String {
        let widths = entries.map { Double($0.name.count + ($0.note.map { $0.count + 1 } ?? 0)) * 8 + 48 }
        let maxWidth = 1000.0
        var rows: [[Int]] = [[]]
        var used = 0.0
        for (i, w) in widths.enumerated() {
            if used + w > maxWidth && !rows[rows.count - 1].isEmpty { rows.append([]); used = 0 }
            rows[rows.count - 1].append(i)
            used += w
        }
        var svg = SVG(width: maxWidth, height: Double(rows.count) * 26 + 10)
        for (r, row) in rows.enumerated() {
            var x = 8.0
            let y = 18 + Double(r) * 26
            for i in row {
                let e = entries[i]
                svg.line(x, y, x + 24, y, stroke: e.style.colour, width: 2)
                e.style.draw(in: &svg, x: x + 12, y: y, size: 11)
                svg.text(e.name + (e.note.map { " " + $0 } ?? ""), x + 30, y + 4.5, size: 13.5)
                x += widths[i]
            }
        }
        return svg.document(id: id, title: "Decision makers")
    }
}
