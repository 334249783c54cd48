/// Small pictograms of the 16 categories, drawn from lines and simple shapes (no image files), for the rows
/// of the shape-bias figure. Each is designed in a 24×24 box and drawn in one colour.
enum CategoryGlyph {
    /// SVG markup of the glyph scaled into a `size` × `size` box with its top-left corner at (x, y).
    static func svg(_ category: String, x: Double, y: Double, size: Double, colour: String = "#333") -> String {
        let s = SVG.num(size / 24)
        return "<g transform=\"translate(\(SVG.num(x)) \(SVG.num(y))) scale(\(s))\" fill=\"none\" stroke=\"\(colour)\" "
            + "stroke-width=\"1.7\" stroke-linecap=\"round\" stroke-linejoin=\"round\">"
            + (shapes[category] ?? "").replacingOccurrences(of: "currentColor", with: colour) + "</g>"
    }

    static let shapes: [String: String] = [
        "airplane": "<path d=\"M12 2 C13 2 13.4 3.5 13.4 5 V9.5 L22 14 V16 L13.4 13.5 V18.5 L16 20.5 V22 L12 21 L8 22 V20.5 L10.6 18.5 V13.5 L2 16 V14 L10.6 9.5 V5 C10.6 3.5 11 2 12 2 Z\"/>",
        "bear": "<circle cx=\"12\" cy=\"13.5\" r=\"7.5\"/><circle cx=\"6\" cy=\"6.5\" r=\"2.6\"/><circle cx=\"18\" cy=\"6.5\" r=\"2.6\"/><ellipse cx=\"12\" cy=\"16.5\" rx=\"3\" ry=\"2.2\"/><circle cx=\"9\" cy=\"12\" r=\"0.6\" fill=\"currentColor\"/><circle cx=\"15\" cy=\"12\" r=\"0.6\" fill=\"currentColor\"/>",
        "bicycle": "<circle cx=\"5.5\" cy=\"16\" r=\"4.5\"/><circle cx=\"18.5\" cy=\"16\" r=\"4.5\"/><path d=\"M5.5 16 L9.5 9 H16 L18.5 16 M9.5 9 L12 16 H5.5 M12 16 L16 9 M8.5 6.5 H11 M16 9 L15 5.5 H17.5\"/>",
        "bird": "<path d=\"M3 13 C5 8 10 7 13 9 L16 6 C18 5 20 6 21 7.5 L18.5 8.5 C18.5 13 15 17 9 17 L5 20 L6 16 C4.5 15.5 3.5 14.5 3 13 Z\"/><circle cx=\"17\" cy=\"7.5\" r=\"0.6\"/><path d=\"M9 12 C11 13 13 12.5 14 11\"/>",
        "boat": "<path d=\"M2 16 H22 L19 21 H5 Z M12 16 V2 M12 3 L19.5 13.5 H12 M12 5 L6 13.5 H12\"/>",
        "bottle": "<path d=\"M10 2 H14 V7 C16.5 8.5 17 10 17 12 V21 C17 21.6 16.6 22 16 22 H8 C7.4 22 7 21.6 7 21 V12 C7 10 7.5 8.5 10 7 Z M7 14 H17 M7 18 H17\"/>",
        "car": "<path d=\"M2 16 V12.5 L5 11.5 L8 6.5 H16 L19.5 11.5 L22 12.5 V16 Z M8.5 11.5 H19.5 M12.5 6.5 V11.5\"/><circle cx=\"7\" cy=\"17\" r=\"2.5\" fill=\"#fff\"/><circle cx=\"17\" cy=\"17\" r=\"2.5\" fill=\"#fff\"/>",
        "cat": "<path d=\"M4 21 V9 L5 3 L9.5 7.5 H14.5 L19 3 L20 9 V21 Z\"/><circle cx=\"9\" cy=\"12.5\" r=\"0.9\"/><circle cx=\"15\" cy=\"12.5\" r=\"0.9\"/><path d=\"M11 16 L12 17 L13 16 M1 15 L8 16 M1 18 L8 17 M23 15 L16 16 M23 18 L16 17\"/>",
        "chair": "<path d=\"M7 2 V21 M7 12 H18 V21 M7 12 V2 H16 V12 M7 6 H16\"/>",
        "clock": "<circle cx=\"12\" cy=\"12\" r=\"9.5\"/><path d=\"M12 5.5 V12 L16.5 14.5\"/><path d=\"M12 2.5 V4 M21.5 12 H20 M12 21.5 V20 M2.5 12 H4\"/>",
        "dog": "<path d=\"M7 5 C9 3.5 15 3.5 17 5 L18.5 13 C18.5 18 16 21 12 21 C8 21 5.5 18 5.5 13 Z\"/><path d=\"M7 5 C4 5 2 8 2.5 13 C4.5 13 6 11 6.5 8 M17 5 C20 5 22 8 21.5 13 C19.5 13 18 11 17.5 8\"/><ellipse cx=\"12\" cy=\"16.5\" rx=\"2\" ry=\"1.4\" fill=\"currentColor\"/><circle cx=\"9.5\" cy=\"11\" r=\"0.6\"/><circle cx=\"14.5\" cy=\"11\" r=\"0.6\"/>",
        "elephant": "<path d=\"M20 20 V13 C20 8 17 5 12 5 C8 5 5.5 7 5 10.5 C4.5 14 4 17 2.5 19.5 C4.5 19.5 6 18 6.5 15.5 M9 20 V15.5 M14 20 V15.5 M20 20 H14 M9 20 H6.5 V15.5\"/><path d=\"M9.5 6.5 C7.5 8 7.5 12.5 11 13.5 C13.5 12 13.5 8 12.5 5.5\"/><circle cx=\"7.5\" cy=\"10\" r=\"0.6\"/>",
        "keyboard": "<rect x=\"1.5\" y=\"6\" width=\"21\" height=\"12\" rx=\"1.5\"/><path d=\"M4.5 9.5 H5.5 M8 9.5 H9 M11.5 9.5 H12.5 M15 9.5 H16 M18.5 9.5 H19.5 M4.5 12.5 H5.5 M8 12.5 H9 M11.5 12.5 H12.5 M15 12.5 H16 M18.5 12.5 H19.5 M7 15.3 H17\"/>",
        "knife": "<path d=\"M3 21 L9.5 14.5 M8 16 L10.5 18.5 M10 14 L21 3 C21.5 7 19 11 13 14.5 L11.5 15.5 Z\"/>",
        "oven": "<rect x=\"3\" y=\"2.5\" width=\"18\" height=\"19\" rx=\"1.5\"/><path d=\"M3 7.5 H21\"/><rect x=\"6\" y=\"10.5\" width=\"12\" height=\"8\" rx=\"1\"/><circle cx=\"7\" cy=\"5\" r=\"0.9\"/><circle cx=\"11\" cy=\"5\" r=\"0.9\"/><path d=\"M15 5 H18.5\"/>",
        "truck": "<path d=\"M1.5 17 V5 H14.5 V17 Z M14.5 9 H19 L22.5 13 V17 H14.5\"/><circle cx=\"6\" cy=\"18\" r=\"2.3\" fill=\"#fff\"/><circle cx=\"18\" cy=\"18\" r=\"2.3\" fill=\"#fff\"/>",
    ]
}
