import Foundation

/// A model-vs-human stimulus file name, `NNNN_EXP_WHO_COND_CATEGORY_K_SOURCE.png` (specs/distortions.md §7,
/// specs/metrics.md §3.4), e.g. `0001_cl_dnn_cr_oven_40_n04111531_14126.png`.
public struct StimulusName: Sendable, Equatable {
    /// The 4-digit trial number.
    public let trial: String
    /// Experiment code (`cl`, `eid`, `ske`).
    public let code: String
    /// `dnn` or `s01`…
    public let subject: String
    /// The condition token (field 4).
    public let condition: String
    /// The true category (field 5).
    public let category: String
    /// Field 6 (`40`, `10`, `00`).
    public let count: String
    /// The source image name with its extension (`n04111531_14126.png`, `boat-0068-sketch-23.png`).
    public let source: String

    /// Parses `name`; nil when it does not have the 7+ `_`-separated fields.
    public init?(_ name: String) {
        let parts = name.split(separator: "_", maxSplits: 6, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 7, parts[0].count == 4, parts[0].allSatisfy(\.isNumber), !parts[6].isEmpty else { return nil }
        (trial, code, subject, condition, category, count, source) = (parts[0], parts[1], parts[2], parts[3], parts[4], parts[5], parts[6])
    }

    /// Builds a name from its fields.
    public init(trial: Int, code: String, subject: String, condition: String, category: String, count: String, source: String) {
        self.trial = String(format: "%04d", trial)
        (self.code, self.subject, self.condition, self.category, self.count, self.source) = (code, subject, condition, category, count, source)
    }

    /// The file name.
    public var fileName: String { [trial, code, subject, condition, category, count, source].joined(separator: "_") }

    /// model-vs-human's image id (`get_short_imagename`): the ImageNet id `n…_idx.ext`, else the last `_` field.
    public var imageID: String {
        let parts = fileName.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count > 1 else { return fileName }
        if parts[parts.count - 2].hasPrefix("n0") { return parts[parts.count - 2] + "_" + parts[parts.count - 1] }
        return String(parts[parts.count - 1])
    }
}

/// Checks a stimulus folder in model-vs-human layout against the catalog: file names and counts.
public enum DatasetChecker {
    /// The folder holding the images: `<root>/dnn/session-1` for session datasets, `<root>` otherwise.
    public static func imageFolder(_ root: URL, _ spec: DatasetSpec) -> URL {
        spec.containsSessions ? root.appendingPathComponent("dnn/session-1") : root
    }

    /// Verifies that `root` (the dataset's own folder, e.g. `…/datasets/colour`) holds exactly the catalog's images:
    /// every name parses, code/subject/condition/category/K agree with the catalog, and every condition × category
    /// cell holds its count. Returns the number of images; throws `.datasetMismatch` naming the first problem.
    @discardableResult
    public static func check(_ root: URL, _ spec: DatasetSpec) throws -> Int {
        let fm = FileManager.default
        func mismatch(_ problem: String) -> DatasetsError { .datasetMismatch(folder: root.path, problem: problem) }
        if !spec.containsSessions {
            var total = 0
            for category in Catalog.categories {
                let folder = root.appendingPathComponent(category)
                let files = ((try? fm.contentsOfDirectory(atPath: folder.path)) ?? []).filter { !$0.hasPrefix(".") }
                if files.count != spec.imagesPerCategoryAndCondition {
                    throw mismatch("\(category)/ holds \(files.count) images, the catalog says \(spec.imagesPerCategoryAndCondition)")
                }
                total += files.count
            }
            return total
        }
        let folder = imageFolder(root, spec)
        guard let names = try? fm.contentsOfDirectory(atPath: folder.path) else {
            throw mismatch("no dnn/session-1/ folder")
        }
        var cells: [String: Int] = [:]
        var total = 0
        for name in names where !name.hasPrefix(".") {
            guard let parsed = StimulusName(name) else { throw mismatch("'\(name)' is not a model-vs-human stimulus name") }
            guard parsed.code == spec.code, parsed.subject == "dnn" else {
                throw mismatch("'\(name)': expected code '\(spec.code)' and subject 'dnn'")
            }
            guard let condition = spec.condition(matching: parsed.condition) else {
                throw mismatch("'\(name)': unknown condition '\(parsed.condition)'")
            }
            guard Catalog.categories.contains(parsed.category) else { throw mismatch("'\(name)': unknown category '\(parsed.category)'") }
            guard parsed.count == spec.fileCountField else {
                throw mismatch("'\(name)': field 6 is '\(parsed.count)', the catalog says '\(spec.fileCountField)'")
            }
            cells["\(condition.token)|\(parsed.category)", default: 0] += 1
            total += 1
        }
        for condition in spec.conditions {
            for category in Catalog.categories {
                let count = cells["\(condition.token)|\(category)", default: 0]
                if count != spec.imagesPerCategoryAndCondition {
                    throw mismatch("condition \(condition.token), category \(category): \(count) images, the catalog says \(spec.imagesPerCategoryAndCondition)")
                }
            }
        }
        return total
    }
}
