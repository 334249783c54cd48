import Foundation

/// One condition of a dataset, as model-vs-human names it (specs/metrics.md §2, specs/distortions.md §2).
public struct DatasetCondition: Sendable, Equatable {
    /// The literal token of the human CSVs and of field 4 of the stimulus file names (`0.00`, `1`, `true`, `c05`).
    public let token: String
    /// The condition after model-vs-human's pandas normalisation (`0.0`, `1.0`, `True`, `c05`).
    public let canonical: String
    /// The x-axis tick label of the figures.
    public let label: String
    /// Excluded from every benchmark aggregate (`EXCLUDE_CONDITIONS`).
    public let excluded: Bool
}

/// One of the 17 model-vs-human datasets: conditions in plotting order, counts and file naming.
public struct DatasetSpec: Sendable, Equatable {
    /// Where the stimuli come from.
    public enum Source: Sendable, Equatable {
        /// A `<name>.tar.gz` archive of model-vs-human release v0.1 (unpinned); layout `<name>/dnn/session-1/*.png`.
        case releaseArchive
        /// A folder of the texture-vs-shape group; layout `<folder>/<category>/<file>.png`.
        case textureVsShape(folder: String)
    }

    /// Dataset name as in model-vs-human (`high-pass`, `eidolonI`).
    public let name: String
    /// Experiment code, field 2 of the stimulus file names (`cl`, `cop`, `eid`, `ske`; `s5n` for cue-conflict humans).
    public let code: String
    /// Conditions in plotting order; one condition `0` for the non-parametric datasets.
    public let conditions: [DatasetCondition]
    /// Images per category and condition (field 6 of the file names for parametric datasets).
    public let imagesPerCategoryAndCondition: Int
    /// Number of human observers in the raw data.
    public let humanSubjects: Int
    /// One of the 12 parametric datasets (several conditions).
    public let isParametric: Bool
    /// Where the stimuli come from.
    public let source: Source
    /// The distortion name used by `oodbench distort` and `generate`, or nil for datasets that cannot be generated.
    public let distortion: String?

    /// Images of one condition (all 16 categories).
    public var imagesPerCondition: Int { imagesPerCategoryAndCondition * Catalog.categories.count }
    /// Images per category (all conditions).
    public var imagesPerCategory: Int { imagesPerCategoryAndCondition * conditions.count }
    /// Images in the dataset.
    public var imageCount: Int { imagesPerCondition * conditions.count }
    /// Field 6 of the DNN file names: the two-digit K (`40`, `10`, `35`, `20`; `00` for non-parametric datasets).
    public var fileCountField: String {
        isParametric ? String(format: "%02d", imagesPerCategoryAndCondition) : "00"
    }
    /// Whether the stimuli sit in `dnn/session-1/` (model-vs-human's `contains_sessions`).
    public var containsSessions: Bool { source == .releaseArchive }

    /// The condition whose raw token or canonical spelling equals `text` (or numerically equal, or true/false in
    /// any case), following specs/metrics.md §3.5.
    public func condition(matching text: String) -> DatasetCondition? {
        if let exact = conditions.first(where: { $0.token == text || $0.canonical == text }) { return exact }
        let lower = text.lowercased()
        if lower == "true" || lower == "false" {
            return conditions.first { $0.canonical.lowercased() == lower }
        }
        guard let value = Double(text) else { return nil }
        return conditions.first { Double($0.token) == value }
    }
}

/// The catalog of the 17 datasets of model-vs-human (`DEFAULT_DATASETS`, upstream order).
public enum Catalog {
    /// The 16 entry-level categories, alphabetical (model-vs-human order).
    public static let categories = [
        "airplane", "bear", "bicycle", "bird", "boat", "bottle", "car", "cat",
        "chair", "clock", "dog", "elephant", "keyboard", "knife", "oven", "truck",
    ]

    /// All 17 datasets in model-vs-human's `DEFAULT_DATASETS` order.
    public static let all: [DatasetSpec] = [
        nonParametric("edge", code: "edg", perCategory: 10, subjects: 10, source: .textureVsShape(folder: "edge")),
        nonParametric("silhouette", code: "sif", perCategory: 10, subjects: 10, source: .textureVsShape(folder: "silhouette")),
        nonParametric("cue-conflict", code: "s5n", perCategory: 80, subjects: 10, source: .textureVsShape(folder: "cue-conflict")),
        parametric("colour", code: "cl", k: 40, [("cr", "cr", "colour", true), ("bw", "bw", "greyscale", false)]),
        parametric("contrast", code: "cop", k: 10, [
            ("c100", "c100", "100", true), ("c50", "c50", "50", false), ("c30", "c30", "30", false),
            ("c15", "c15", "15", false), ("c10", "c10", "10", false), ("c05", "c05", "5", false),
            ("c03", "c03", "3", true), ("c01", "c01", "1", true),
        ]),
        parametric("high-pass", code: "hp", k: 10, [
            ("inf", "inf", "inf", true), ("3", "3.0", "3.0", false), ("1.5", "1.5", "1.5", false),
            ("1", "1.0", "1.0", false), ("0.7", "0.7", ".7", false), ("0.55", "0.55", ".55", true),
            ("0.45", "0.45", ".45", true), ("0.4", "0.4", ".4", true),
        ]),
        parametric("low-pass", code: "lp", k: 10, ["0", "1", "3", "5", "7", "10", "15", "40"].map {
            ($0, $0, $0, ["0", "15", "40"].contains($0))
        }),
        parametric("phase-scrambling", code: "ps", k: 10, ["0", "30", "60", "90", "120", "150", "180"].map {
            ($0, $0, $0, ["0", "150", "180"].contains($0))
        }),
        parametric("power-equalisation", code: "pow", k: 35, [("0", "0", "original", true), ("pow", "pow", "equalised", false)]),
        parametric("false-colour", code: "fc", k: 35, [("true", "True", "true", true), ("false", "False", "opponent", false)]),
        parametric("rotation", code: "rot", k: 20, ["0", "90", "180", "270"].map { ($0, $0, $0, $0 == "0") }),
        eidolon("eidolonI", coherence: 10, included: 2...32),
        eidolon("eidolonII", coherence: 3, included: 2...16),
        eidolon("eidolonIII", coherence: 0, included: 2...8),
        parametric("uniform-noise", code: "nse", k: 10, [
            ("0.00", "0.0", "0.0", true), ("0.03", "0.03", ".03", false), ("0.05", "0.05", ".05", false),
            ("0.10", "0.1", ".1", false), ("0.20", "0.2", ".2", false), ("0.35", "0.35", ".35", false),
            ("0.60", "0.6", ".6", true), ("0.90", "0.9", ".9", true),
        ]),
        nonParametric("sketch", code: "ske", perCategory: 50, subjects: 7, source: .releaseArchive),
        nonParametric("stylized", code: "sty", perCategory: 50, subjects: 5, source: .releaseArchive),
    ]

    /// The 12 parametric datasets, in catalog order (14,880 images).
    public static var parametric: [DatasetSpec] { all.filter(\.isParametric) }

    /// The dataset called `name`, or nil.
    public static func dataset(named name: String) -> DatasetSpec? { all.first { $0.name == name } }

    /// The dataset called `name`; throws `.unknownName` listing the 17 names.
    public static func require(_ name: String) throws -> DatasetSpec {
        guard let spec = dataset(named: name) else { throw DatasetsError.unknownName(name, known: all.map(\.name)) }
        return spec
    }

    private static func parametric(_ name: String, code: String, k: Int,
                                   _ rows: [(String, String, String, Bool)]) -> DatasetSpec {
        DatasetSpec(name: name, code: code,
                    conditions: rows.map { DatasetCondition(token: $0.0, canonical: $0.1, label: $0.2, excluded: $0.3) },
                    imagesPerCategoryAndCondition: k, humanSubjects: 4, isParametric: true,
                    source: .releaseArchive, distortion: name)
    }

    private static func eidolon(_ name: String, coherence: Int, included: ClosedRange<Int>) -> DatasetSpec {
        let rows = (0..<8).map { power -> (String, String, String, Bool) in
            let reach = 1 << power
            let token = "\(reach)-\(coherence)-10"
            return (token, token, "\(power)", !included.contains(reach))
        }
        return parametric(name, code: "eid", k: 10, rows)
    }

    private static func nonParametric(_ name: String, code: String, perCategory: Int, subjects: Int,
                                      source: DatasetSpec.Source) -> DatasetSpec {
        DatasetSpec(name: name, code: code,
                    conditions: [DatasetCondition(token: "0", canonical: "0", label: name, excluded: false)],
                    imagesPerCategoryAndCondition: perCategory, humanSubjects: subjects, isParametric: false,
                    source: source, distortion: nil)
    }
}
