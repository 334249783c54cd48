/// The shape-bias "matrix plot" of Geirhos et al. (upstream `plot_shape_bias_matrixplot`): one row per
/// shape category (with its glyph), ordered by the humans' fraction of texture decisions; for each decision
/// maker a marker per category at 1 − shape bias and a vertical line at its overall 1 − shape bias.
enum ShapeBiasPlot {
    struct Row {
        var name: String
        var style: DecisionMakerStyle
        var perCategory: [Double?]   // shape bias, Categories.all order
        var overall: Double?
    }

    /// `order`: category indices from bottom to top.
    static func svg(id: String, title: String, categories: [String], order: [Int], rows: [Row]) -> String {
        let rowHeight = 34.0
        let left = 150.0, top = 74.0, width = 600.0
        let height = rowHeight * Double(order.count)
        var svg = SVG(width: left + width + 30, height: top + height + 64)
        svg.text(title, left + width / 2, 22, size: 16, anchor: .middle, weight: "bold")
        func x(_ v: Double) -> Double { left + width * v }
        // Vertical grid and both axes: bottom = fraction of texture decisions, top = fraction of shape decisions.
        for k in 0...10 {
            let v = Double(k) / 10
            svg.line(x(v), top, x(v), top + height, stroke: Charts.gridColour)
            svg.line(x(v), top + height, x(v), top + height + 5, stroke: Charts.axisColour)
            svg.text(Charts.tickText(v, step: 0.1), x(v), top + height + 20, size: 12.5, anchor: .middle)
            svg.line(x(v), top, x(v), top - 5, stroke: Charts.axisColour)
            svg.text(Charts.tickText(1 - v, step: 0.1), x(v), top - 9, size: 12.5, anchor: .middle)
        }
        svg.text("Fraction of 'texture' decisions \u{2192}", left + width / 2, top + height + 44, size: 14, anchor: .middle)
        svg.text("\u{2190} Fraction of 'shape' decisions", left + width / 2, top - 30, size: 14, anchor: .middle)
        svg.rect(left, top, width, height, fill: "none", stroke: Charts.axisColour, strokeWidth: 1.2)
        for (r, k) in order.enumerated() {
            let cy = top + height - (Double(r) + 0.5) * rowHeight
            if r > 0 { svg.line(left, cy + rowHeight / 2, left + width, cy + rowHeight / 2, stroke: "#bbb", dash: "1 3") }
            svg.raw(CategoryGlyph.svg(categories[k], x: left - 34, y: cy - 12, size: 24))
            svg.text(categories[k], left - 40, cy + 4.5, size: 13, anchor: .end)
        }
        for row in rows {
            if let o = row.overall {
                svg.line(x(1 - o), top, x(1 - o), top + height, stroke: row.style.colour, width: 2, opacity: 0.7)
            }
        }
        for row in rows {
            for (r, k) in order.enumerated() {
                guard let v = row.perCategory[k] else { continue }
                row.style.draw(in: &svg, x: x(1 - v), y: top + height - (Double(r) + 0.5) * rowHeight, size: 11)
            }
        }
        return svg.document(id: id, title: title)
    }
}
