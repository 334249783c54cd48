import Foundation
import Scoring

/// Builds every default figure of specs/metrics.md §11 (F1–F8) from a scored benchmark.
struct FigureBuilder {
    let result: BenchmarkResult
    let styles: [String: DecisionMakerStyle]

    init(_ result: BenchmarkResult) {
        self.result = result
        styles = DecisionMakerStyle.assign(result.decisionMakers, humans: BenchmarkResult.humans)
    }

    func style(_ dm: String) -> DecisionMakerStyle { styles[dm] ?? .humans }

    /// Display name: incomplete models get an asterisk.
    func label(_ dm: String) -> String { result.isComplete(dm) ? dm : dm + "*" }

    func all() -> [Figure] {
        benchmarkBars() + scatterPlots() + shapeBias() + nonParametricBars() + accuracyLines() + errorConsistencyLines()
            + errorConsistencyMatrices()
    }

    static let metrics: [(key: String, title: String, file: String, value: @Sendable (Summary) -> Double?)] = [
        ("ood", "OOD accuracy", "benchmark_16-class-accuracy", { $0.oodAccuracy }),
        ("diff", "Accuracy difference", "benchmark_16-class-accuracy-difference", { $0.accuracyDifference }),
        ("obs", "Observed consistency", "benchmark_observed-consistency", { $0.observedConsistency }),
        ("err", "Error consistency", "benchmark_error-consistency", { $0.errorConsistency }),
    ]

    static func niceTop(_ v: Double) -> Double { max(0.1, (v * 10 - 1e-9).rounded(.up) / 10) }

    /// F5: one bar chart per benchmark metric, humans included, sorted best first.
    func benchmarkBars() -> [Figure] {
        Self.metrics.map { m in
            let ascending = m.key == "diff"
            let bars = result.decisionMakers
                .map { Series(name: label($0), style: style($0), values: [result.summary[$0].flatMap(m.value)]) }
                .sorted { a, b in
                    guard let x = a.values[0] ?? nil else { return false }
                    guard let y = b.values[0] ?? nil else { return true }
                    return ascending ? x < y : x > y
                }
            let values = bars.compactMap { $0.values[0] }
            let top = m.key == "diff" ? max(0.15, ((values.max() ?? 0) * 100).rounded(.up) / 100) : Self.niceTop(values.max() ?? 1)
            let bottom = min(0, ((values.min() ?? 0) * 10).rounded(.down) / 10)
            let title = m.title + (ascending ? " (lower is better)" : "")
            return Figure(section: "Benchmark", id: m.file, caption: "\(m.title) over the \(result.datasets.count) datasets, humans included (F5).",
                          svg: Charts.barPlot(id: "svg-" + m.file, title: title, yTitle: m.title, bars: bars,
                                              yMin: bottom, yMax: top, valueFormat: m.key == "diff" ? "%.4f" : "%.3f"))
        }
    }

    /// F6: the six scatter plots of the four metrics against each other.
    func scatterPlots() -> [Figure] {
        var out: [Figure] = []
        let names = ["OOD-accuracy", "accuracy-difference", "observed-consistency", "error-consistency"]
        let humanOOD = result.summary[BenchmarkResult.humans]?.oodAccuracy
        for i in 0..<4 {
            for j in (i + 1)..<4 {
                let mx = Self.metrics[i], my = Self.metrics[j]
                let points = result.decisionMakers.map { dm in
                    Series(name: label(dm), style: style(dm),
                           values: [result.summary[dm].flatMap(mx.value), result.summary[dm].flatMap(my.value)])
                }
                func range(_ k: Int, _ key: String) -> (Double, Double) {
                    let v = points.compactMap { $0.values[k] }
                    let lo = v.min() ?? 0, hi = v.max() ?? 1
                    switch key {
                    case "diff": return (0, max(0.05, (hi * 1.1 * 100).rounded(.up) / 100))
                    case "err": return (min(-0.03, lo - 0.03), Self.niceTop(hi + 0.02))
                    default: return (max(0, ((lo - 0.05) * 10).rounded(.down) / 10), min(1, ((hi + 0.05) * 10).rounded(.up) / 10))
                    }
                }
                let xr = range(0, mx.key), yr = range(1, my.key)
                var expected: [(Double, Double)]?
                if mx.key == "ood" && my.key == "obs", let h = humanOOD {
                    expected = (0...100).map { k in
                        let x = xr.0 + (xr.1 - xr.0) * Double(k) / 100
                        return (x, x * h + (1 - x) * (1 - h))
                    }
                } else if mx.key == "ood" && my.key == "err" {
                    expected = [(xr.0, 0), (xr.1, 0)]
                }
                let id = "scatter-plot_\(names[i])_vs_\(names[j])_multiple-datasets"
                let caption = "\(mx.title) vs \(my.title.lowercased()) (F6)"
                    + (expected == nil ? "." : mx.key == "ood" && my.key == "obs"
                        ? "; dashed: consistency expected by chance given the accuracies, x·h + (1 − x)(1 − h) with h the human OOD accuracy."
                        : "; dashed: κ = 0 expected for independent decisions.")
                out.append(Figure(section: "Benchmark", id: id, caption: caption,
                                  svg: Charts.scatterPlot(id: "svg-" + id, title: "\(mx.title) vs \(my.title.lowercased())",
                                                          xTitle: mx.title, yTitle: my.title, points: points,
                                                          xRange: xr, yRange: yr, expected: expected)))
            }
        }
        return out
    }

    /// F1 and F2: shape bias per category (matrix plot) and its box plot.
    func shapeBias() -> [Figure] {
        guard !result.shapeBias.isEmpty else { return [] }
        let dms = result.decisionMakers.filter { result.shapeBias[$0] != nil }
        let humans = result.shapeBias[BenchmarkResult.humans]
        let order = Categories.all.indices.sorted { a, b in
            let x = humans?.perCategory[a].map { 1 - $0 } ?? 2, y = humans?.perCategory[b].map { 1 - $0 } ?? 2
            return x != y ? x < y : Categories.all[a] < Categories.all[b]
        }
        let rows = dms.map { dm in
            ShapeBiasPlot.Row(name: dm, style: style(dm), perCategory: result.shapeBias[dm]!.perCategory,
                              overall: result.shapeBias[dm]!.overall)
        }
        let matrix = Figure(section: "Shape bias", id: "cue-conflict_shape-bias_matrixplot",
                            caption: "Shape vs texture decisions on cue-conflict stimuli per category (F1): markers at each "
                                + "decision maker's fraction of texture decisions per shape category, vertical lines at the "
                                + "average over all categories. Rows ordered by the humans' texture fraction.",
                            svg: ShapeBiasPlot.svg(id: "svg-cue-conflict_shape-bias_matrixplot",
                                                   title: "Shape bias per category (cue-conflict)",
                                                   categories: Categories.all, order: order, rows: rows))
        let boxes = dms.map { Series(name: label($0), style: style($0), values: result.shapeBias[$0]!.boxplot) }
        let box = Figure(section: "Shape bias", id: "cue-conflict_shape-bias_boxplot",
                         caption: "Shape bias over the 16 categories (F2); humans: per-category mean over subjects. "
                             + "Boxes: quartiles and median; whiskers: 1.5 IQR; dots: categories.",
                         svg: Charts.boxPlot(id: "svg-cue-conflict_shape-bias_boxplot", title: "Shape bias per category",
                                             yTitle: "shape bias", boxes: boxes))
        return [matrix, box]
    }

    /// F4: accuracy bars for edge, silhouette, sketch and stylized.
    func nonParametricBars() -> [Figure] {
        ["edge", "silhouette", "sketch", "stylized"].compactMap { name in
            guard let byDM = result.accuracy[name] else { return nil }
            let bars = result.decisionMakers.compactMap { dm in
                byDM[dm].map { Series(name: label(dm), style: style(dm), values: [$0.first ?? nil]) }
            }.sorted { ($0.values[0] ?? -1) > ($1.values[0] ?? -1) }
            let top = Self.niceTop(bars.compactMap { $0.values[0] }.max() ?? 1)
            let id = "\(name)_OOD-accuracy"
            return Figure(section: "Non-parametric datasets", id: id, caption: "Accuracy on \(name) (F4).",
                          svg: Charts.barPlot(id: "svg-" + id, title: name.capitalized, yTitle: "OOD accuracy",
                                              bars: bars, yMin: 0, yMax: top))
        }
    }

    func lines(_ table: [String: [String: [Double?]]], dataset: BenchmarkDataset) -> [Series] {
        result.decisionMakers.compactMap { dm in table[dataset.name]?[dm].map { Series(name: dm, style: style(dm), values: $0) } }
    }

    /// F3: accuracy per condition for the parametric datasets.
    func accuracyLines() -> [Figure] {
        result.datasets.filter(\.isParametric).map { d in
            let id = "\(d.name)_OOD-accuracy"
            return Figure(section: "Accuracy per condition", id: id,
                          caption: "\(d.name): 16-class accuracy per condition (F3); dotted: chance (1/16).",
                          svg: Charts.linePlot(id: "svg-" + id, title: d.name, xLabels: d.labels, xTitle: d.xLabel,
                                               yTitle: "Classification accuracy", yMin: 0, yMax: 1,
                                               series: lines(result.accuracy, dataset: d), referenceLines: [1.0 / 16]))
        }
    }

    /// F7: error consistency per condition for the parametric datasets.
    func errorConsistencyLines() -> [Figure] {
        result.datasets.filter(\.isParametric).map { d in
            let series = lines(result.errorConsistencyLine, dataset: d)
            let lo = min(-0.2, ((series.flatMap { $0.values.compactMap { $0 } }.min() ?? 0) * 10).rounded(.down) / 10)
            let id = "\(d.name)_error-consistency"
            return Figure(section: "Error consistency per condition", id: id,
                          caption: "\(d.name): error consistency (Cohen's κ) with humans per condition (F7); humans: mean over pairs of subjects.",
                          svg: Charts.linePlot(id: "svg-" + id, title: d.name, xLabels: d.labels, xTitle: d.xLabel,
                                               yTitle: "Error consistency (kappa)", yMin: lo, yMax: 1,
                                               series: series, referenceLines: [0]))
        }
    }

    /// F8: κ between every two individual subjects of the non-parametric datasets.
    func errorConsistencyMatrices() -> [Figure] {
        result.datasets.filter { !$0.isParametric }.compactMap { d in
            guard let (subjects, kappa) = result.errorConsistencyMatrix[d.name] else { return nil }
            let id = "\(d.name)_error-consistency_matrix"
            let colours = subjects.map { s in s.hasPrefix("subject-") ? DecisionMakerStyle.humans.colour : style(s).colour }
            return Figure(section: "Error-consistency matrices", id: id,
                          caption: "\(d.name): error consistency κ between every two observers (F8); diagonal 1.",
                          svg: Charts.heatmap(id: "svg-" + id, title: "\(d.name): error consistency", labels: subjects,
                                              labelColours: colours, values: kappa))
        }
    }

    /// The legend shared by all figures.
    func legend() -> String {
        Charts.legend(id: "svg-legend", entries: result.decisionMakers.map {
            ($0, style($0), result.isComplete($0) ? nil : "(incomplete*)")
        })
    }
}
