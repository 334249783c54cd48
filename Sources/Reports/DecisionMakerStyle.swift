/// The colour and marker of one decision maker, the same in every figure.
public struct DecisionMakerStyle: Sendable, Equatable {
    /// Marker shapes, drawn by ``draw(in:x:y:size:)``.
    public enum Marker: String, Sendable, CaseIterable {
        case circle, square, triangleUp, triangleDown, pentagon, hexagon, star, diamond
    }

    /// CSS colour, `#rrggbb`.
    public var colour: String
    public var marker: Marker

    /// Humans: upstream's dark red and diamond.
    public static let humans = DecisionMakerStyle(colour: "#a51e37", marker: .diamond)

    /// Colour-blind-friendly palette for models (Okabe–Ito and Tableau, without red).
    static let palette = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#8c564b", "#7f7f7f", "#bcbd22",
                          "#17becf", "#9467bd", "#d55e00", "#393b79"]
    static let markers: [Marker] = [.circle, .square, .triangleUp, .triangleDown, .pentagon, .hexagon, .star]

    /// Styles for decision makers in order: models get palette colours and markers in turn, `humans` its own.
    public static func assign(_ decisionMakers: [String], humans: String = "humans") -> [String: DecisionMakerStyle] {
        var out: [String: DecisionMakerStyle] = [:]
        var k = 0
        for dm in decisionMakers {
            if dm == humans { out[dm] = .humans; continue }
            out[dm] = DecisionMakerStyle(colour: palette[k % palette.count], marker: markers[k % markers.count])
            k += 1
        }
        return out
    }

    /// Draws the marker centred at (x, y), `size` px across.
    func draw(in svg: inout SVG, x: Double, y: Double, size: Double = 9, filled: Bool = true) {
        let r = size / 2
        let fill = filled ? colour : "#fff"
        let style = "fill=\"\(fill)\" stroke=\"\(filled ? "#fff" : colour)\" stroke-width=\"\(filled ? "0.8" : "1.6")\""
        func polygon(_ points: [(Double, Double)]) {
            svg.raw("<polygon \(style) points=\"" + points.map { "\(SVG.num(x + $0.0)),\(SVG.num(y + $0.1))" }.joined(separator: " ") + "\"/>")
        }
        func regular(_ n: Int, _ radius: Double, rotation: Double) -> [(Double, Double)] {
            (0..<n).map { i in
                let a = rotation + Double(i) * 2 * Double.pi / Double(n)
                return (radius * cos(a), radius * sin(a))
            }
        }
        switch marker {
        case .circle:
            svg.raw("<circle cx=\"\(SVG.num(x))\" cy=\"\(SVG.num(y))\" r=\"\(SVG.num(r))\" \(style)/>")
        case .square:
            svg.raw("<rect x=\"\(SVG.num(x - r * 0.88))\" y=\"\(SVG.num(y - r * 0.88))\" width=\"\(SVG.num(r * 1.76))\" height=\"\(SVG.num(r * 1.76))\" \(style)/>")
        case .triangleUp: polygon(regular(3, r * 1.2, rotation: -Double.pi / 2))
        case .triangleDown: polygon(regular(3, r * 1.2, rotation: Double.pi / 2))
        case .pentagon: polygon(regular(5, r * 1.05, rotation: -Double.pi / 2))
        case .hexagon: polygon(regular(6, r * 1.05, rotation: 0))
        case .diamond: polygon([(0, -r * 1.25), (r, 0), (0, r * 1.25), (-r, 0)])
        case .star:
            let outer = regular(5, r * 1.35, rotation: -Double.pi / 2)
            let inner = regular(5, r * 0.6, rotation: -Double.pi / 2 + Double.pi / 5)
            polygon((0..<5).flatMap { [outer[$0], inner[$0]] })
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
