/// One of the 17 datasets of model-vs-human's benchmark (upstream `constants.DEFAULT_DATASETS` and
/// `datasets/experiments.py`), with its conditions in plotting order (specs/metrics.md §2).
public struct BenchmarkDataset: Sendable, Hashable {
    /// Dataset name as in the raw-data folder names (`contrast`, `eidolonI`, `cue-conflict`).
    public let name: String
    /// Canonical condition strings in plotting order, as the toolbox compares them after pandas' typing
    /// (`True`, `1.0`, `0.1`). Non-parametric datasets have the single condition `0`.
    public let conditions: [String]
    /// x-axis tick label of each condition (`c05` → `5`, `pow` → `equalised`).
    public let labels: [String]
    /// Conditions left out of every benchmark aggregate (upstream `EXCLUDE_CONDITIONS`, fixed in code).
    public let excluded: Set<String>
    /// x-axis label of the per-condition figures.
    public let xLabel: String
    /// True for the 12 datasets with several conditions.
    public let isParametric: Bool

    /// Whether a condition index counts for the benchmark aggregates.
    public func isIncluded(_ conditionIndex: Int) -> Bool { !excluded.contains(conditions[conditionIndex]) }

    /// The 17 datasets in upstream order (edge, silhouette, cue-conflict, colour, …, sketch, stylized).
    public static let all: [BenchmarkDataset] = {
        func p(_ name: String, _ pairs: [(String, String)], excluded: [String], x: String) -> BenchmarkDataset {
            BenchmarkDataset(name: name, conditions: pairs.map(\.0), labels: pairs.map(\.1),
                             excluded: Set(excluded), xLabel: x, isParametric: true)
        }
        func np(_ name: String) -> BenchmarkDataset {
            BenchmarkDataset(name: name, conditions: ["0"], labels: [""], excluded: [], xLabel: "",
                             isParametric: false)
        }
        func same(_ values: [String]) -> [(String, String)] { values.map { ($0, $0) } }
        func eidolon(_ name: String, _ coherence: String, excluded: [Int]) -> BenchmarkDataset {
            let pairs = (0..<8).map { ("\(1 << $0)-\(coherence)-10", "\($0)") }
            return p(name, pairs, excluded: excluded.map { "\(1 << $0)-\(coherence)-10" },
                     x: "Log\u{2082} of 'reach' parameter")
        }
        return [
            np("edge"), np("silhouette"), np("cue-conflict"),
            p("colour", [("cr", "colour"), ("bw", "greyscale")], excluded: ["cr"], x: "Colour"),
            p("contrast", [("c100", "100"), ("c50", "50"), ("c30", "30"), ("c15", "15"), ("c10", "10"),
                           ("c05", "5"), ("c03", "3"), ("c01", "1")],
              excluded: ["c100", "c03", "c01"], x: "Contrast in percent"),
            p("high-pass", [("inf", "inf"), ("3.0", "3.0"), ("1.5", "1.5"), ("1.0", "1.0"), ("0.7", ".7"),
                            ("0.55", ".55"), ("0.45", ".45"), ("0.4", ".4")],
              excluded: ["inf", "0.55", "0.45", "0.4"], x: "Filter standard deviation"),
            p("low-pass", same(["0", "1", "3", "5", "7", "10", "15", "40"]),
              excluded: ["0", "15", "40"], x: "Filter standard deviation"),
            p("phase-scrambling", same(["0", "30", "60", "90", "120", "150", "180"]),
              excluded: ["0", "150", "180"], x: "Phase noise width [\u{B0}]"),
            p("power-equalisation", [("0", "original"), ("pow", "equalised")], excluded: ["0"],
              x: "Power spectrum"),
            p("false-colour", [("True", "true"), ("False", "opponent")], excluded: ["True"], x: "Colour"),
            p("rotation", same(["0", "90", "180", "270"]), excluded: ["0"], x: "Rotation angle [\u{B0}]"),
            eidolon("eidolonI", "10", excluded: [0, 6, 7]),
            eidolon("eidolonII", "3", excluded: [0, 5, 6, 7]),
            eidolon("eidolonIII", "0", excluded: [0, 4, 5, 6, 7]),
            p("uniform-noise", [("0.0", "0.0"), ("0.03", ".03"), ("0.05", ".05"), ("0.1", ".1"), ("0.2", ".2"),
                                ("0.35", ".35"), ("0.6", ".6"), ("0.9", ".9")],
              excluded: ["0.0", "0.6", "0.9"], x: "Uniform noise width"),
            np("sketch"), np("stylized"),
        ]
    }()

    /// The dataset of that name, or nil.
    public static func named(_ name: String) -> BenchmarkDataset? { all.first { $0.name == name } }

    /// Maps a raw condition token to the index of its canonical condition, as pandas' typing does
    /// (specs/metrics.md §3.5): exact match; else `true`/`false` in any case; else numeric equality
    /// (`1` = `1.0`, `0.10` = `0.1`, `inf`). Non-parametric datasets accept any token (condition 0).
    /// Returns nil for a token that matches nothing.
    public func conditionIndex(of token: String) -> Int? {
        guard isParametric else { return 0 }
        if let i = conditions.firstIndex(of: token) { return i }
        let lower = token.lowercased()
        if lower == "true" || lower == "false" {
            return conditions.firstIndex(of: lower == "true" ? "True" : "False")
        }
        if let value = Double(token), !value.isNaN {
            return conditions.firstIndex { Double($0) == value }
        }
        return nil
    }
}

/// The 16 entry-level categories of model-vs-human, alphabetical (specs/metrics.md §4).
public enum Categories {
    /// airplane, bear, …, truck.
    public static let all = ["airplane", "bear", "bicycle", "bird", "boat", "bottle", "car", "cat", "chair",
                             "clock", "dog", "elephant", "keyboard", "knife", "oven", "truck"]
    static let index: [String: Int] = Dictionary(uniqueKeysWithValues: all.enumerated().map { ($1, $0) })
}

/// Image-name rules of the toolbox (`get_short_imagename`, shape-bias texture; specs/metrics.md §3.4, §9).
public enum StimulusName {
    /// The id that pairs trials of different subjects: the ImageNet id `<wnid>_<n>.png` when the
    /// second-to-last `_` part starts with `n0`, else the last `_` part; the whole name when it has no `_`.
    public static func imageID(_ name: String) -> String {
        let utf8 = name.utf8
        guard let last = utf8.lastIndex(of: UInt8(ascii: "_")) else { return name }
        let lastPart = name[utf8.index(after: last)...]
        let head = name[..<last]
        let start = head.utf8.lastIndex(of: UInt8(ascii: "_")).map { head.utf8.index(after: $0) } ?? head.startIndex
        return head[start...].hasPrefix("n0") ? String(name[start...]) : String(lastPart)
    }

    /// The texture category of a cue-conflict image: after the last `_`, up to the first `.`, after the
    /// last `-`, digits removed (`airplane1-bicycle2.png` → `bicycle`).
    public static func texture(_ name: String) -> String {
        var last = Substring(name.split(separator: "_", omittingEmptySubsequences: false).last ?? "")
        if let dot = last.firstIndex(of: ".") { last = last[..<dot] }
        if let dash = last.lastIndex(of: "-") { last = last[last.index(after: dash)...] }
        return String(last.filter { !$0.isNumber })
    }
}
