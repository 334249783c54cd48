/// One figure of the report: its SVG, where it goes, and what it shows.
public struct Figure: Sendable {
    /// Page section (`Benchmark`, `Shape bias`, …).
    public var section: String
    /// Element id in the page, also the SVG file's stem (`figures/<id>.svg`).
    public var id: String
    /// Caption under the figure.
    public var caption: String
    /// The `<svg>` element.
    public var svg: String
}
