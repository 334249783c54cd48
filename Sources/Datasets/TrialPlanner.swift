import Crypto
import Distortions
import Foundation

/// One stimulus to make: which source image, which condition, which file name, which seed.
public struct GenerationTask: Sendable, Equatable {
    /// The dataset (`colour`, `eidolonII`).
    public let dataset: String
    /// The source photograph.
    public let source: URL
    /// The condition token as in the human raw data (`0.00`, `c05`, `16-3-10`).
    public let condition: String
    /// The DNN stimulus file name, `NNNN_EXP_dnn_COND_CATEGORY_K_SOURCE.png`.
    public let fileName: String
    /// The per-image seed: from (seed, dataset, file name) only, or for eidolon I, II and III from (seed, source
    /// photograph) only (`TrialPlanner.taskSeed`).
    public let seed: UInt32
}

/// How a `--source` folder is organised.
public enum SourceLayout: String, Sendable, CaseIterable {
    /// 16 category folders (`airplane/`, …, `truck/`) of any PNG or JPEG images.
    case categories
    /// ImageNet images named by id (`n04111531_14126.JPEG`), in any sub-folders.
    case imagenet
}

/// Plans `generate`: the list of stimuli per dataset, in trial order.
public enum TrialPlanner {
    static let imageExtensions: Set<String> = ["png", "jpg", "jpeg"]

    /// `categories` when `folder` holds at least one of the 16 category folders and no other folder; else `imagenet`.
    public static func detectLayout(_ folder: URL) throws -> SourceLayout {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else {
            throw DatasetsError.badSource(path: folder.path, problem: "cannot list the source folder")
        }
        let dirs = entries.filter { name in
            var isDir: ObjCBool = false
            return !name.hasPrefix(".") && FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path, isDirectory: &isDir) && isDir.boolValue
        }
        if !dirs.isEmpty && dirs.allSatisfy({ Catalog.categories.contains($0) }) { return .categories }
        return .imagenet
    }

    /// The per-image seed: the first 4 bytes (little-endian) of sha256("oodbench-generate", seed, dataset, file name).
    public static func imageSeed(seed: UInt64, dataset: String, fileName: String) -> UInt32 {
        seedWord32("oodbench-generate\u{0}\(seed)\u{0}\(dataset)\u{0}\(fileName)")
    }

    /// The seed of the eidolon I, II and III stimuli of one source photograph (`source`: the source part of the
    /// stimulus name, `n04111531_14126.png` or `oven-photo-3.png`): the first 4 bytes of sha256("oodbench-eidolon",
    /// seed, source). One seed for the three datasets: the toolbox draws the same 48 noise planes for it, whatever
    /// the coherence (specs/eidolon.md §5.4–5.5), so eidolon I shows the photograph's coherent field, eidolon III its
    /// incoherent field and eidolon II their 0.3 : 0.7 blend, and the planes are drawn once for all three
    /// (`Distorter.reusesEidolonWork`). Stimuli of different photographs stay independent, so within each dataset
    /// every stimulus is an independent draw of the reference's distribution, as before.
    public static func eidolonSeed(seed: UInt64, source: String) -> UInt32 {
        seedWord32("oodbench-eidolon\u{0}\(seed)\u{0}\(source)")
    }

    /// The seed of one stimulus of `spec`: `eidolonSeed` for eidolon I, II and III, else `imageSeed`.
    public static func taskSeed(seed: UInt64, spec: DatasetSpec, name: StimulusName) -> UInt32 {
        EidolonDataset(rawValue: spec.distortion ?? "") != nil
            ? eidolonSeed(seed: seed, source: name.source)
            : imageSeed(seed: seed, dataset: spec.name, fileName: name.fileName)
    }

    private static func seedWord32(_ text: String) -> UInt32 {
        let digest = Array(SHA256.hash(data: Data(text.utf8)))
        return UInt32(digest[0]) | UInt32(digest[1]) << 8 | UInt32(digest[2]) << 16 | UInt32(digest[3]) << 24
    }

    /// Balanced plan from 16 category folders: per category, `perCondition × conditions` images are drawn (seeded,
    /// without replacement) and dealt to the conditions in catalog order, `perCondition` each. `perCondition`
    /// defaults to the catalog's count (e.g. 40 for colour, 10 for contrast). Trials are numbered in category,
    /// condition, image order. Output names use `<category>-<stem>.png` (an ImageNet-style stem `n…_idx` is kept).
    public static func balancedPlan(_ spec: DatasetSpec, source: URL, seed: UInt64, perCondition: Int? = nil) throws -> [GenerationTask] {
        guard spec.isParametric else { throw DatasetsError.badSource(path: spec.name, problem: "only the 12 parametric datasets can be generated") }
        let k = perCondition ?? spec.imagesPerCategoryAndCondition
        guard k >= 1 else { throw DatasetsError.badSource(path: spec.name, problem: "images per condition must be at least 1") }
        let needed = k * spec.conditions.count
        var tasks: [GenerationTask] = []
        tasks.reserveCapacity(needed * Catalog.categories.count)
        var trial = 1
        var usedNames = Set<String>()
        for category in Catalog.categories {
            let folder = source.appendingPathComponent(category)
            let images = try imageFiles(in: folder, recursive: false)
            if images.count < needed {
                throw DatasetsError.badSource(path: folder.path, problem: "holds \(images.count) images; \(spec.name) needs \(needed) per category (\(spec.conditions.count) conditions × \(k))")
            }
            var rng = SplitMix64(seed: seedWord(seed: seed, parts: [spec.name, category]))
            var order = Array(images.indices)
            for i in stride(from: order.count - 1, to: 0, by: -1) {  // Fisher–Yates
                let j = Int(rng.next() % UInt64(i + 1))
                order.swapAt(i, j)
            }
            for (c, condition) in spec.conditions.enumerated() {
                let chosen = order[(c * k)..<((c + 1) * k)].sorted { images[$0].lastPathComponent < images[$1].lastPathComponent }
                for index in chosen {
                    let url = images[index]
                    let sourceName = outputSourceName(url, category: category)
                    guard usedNames.insert(sourceName).inserted else {
                        throw DatasetsError.badSource(path: url.path, problem: "two source images map to the same stimulus name '\(sourceName)'")
                    }
                    let name = StimulusName(trial: trial, code: spec.code, subject: "dnn", condition: condition.token,
                                            category: category, count: spec.fileCountField, source: sourceName)
                    tasks.append(GenerationTask(dataset: spec.name, source: url, condition: condition.token,
                                                fileName: name.fileName, seed: taskSeed(seed: seed, spec: spec, name: name)))
                    trial += 1
                }
            }
        }
        return tasks
    }

    /// The DNN file names of the human experiment: subject-01's `imagename` column with `_s01_` → `_dnn_`
    /// (model-vs-human's DNN stimulus names), in trial order. `csv` is `<dataset>_subject-01_session_1.csv`.
    public static func humanTrialList(csv: URL, spec: DatasetSpec) throws -> [StimulusName] {
        guard let data = try? Data(contentsOf: csv), let text = String(data: data, encoding: .utf8) else {
            throw DatasetsError.badSource(path: csv.path, problem: "cannot read as UTF-8 text")
        }
        var lines = text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }).makeIterator()
        guard let header = lines.next() else { throw DatasetsError.badSource(path: csv.path, problem: "empty file") }
        let columns = header.split(separator: ",", omittingEmptySubsequences: false).map { $0.lowercased() }
        guard let column = columns.firstIndex(of: "imagename") else {
            throw DatasetsError.badSource(path: csv.path, problem: "no 'imagename' column")
        }
        var out: [StimulusName] = []
        var lineNumber = 1
        while let line = lines.next() {
            lineNumber += 1
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count > column, let parsed = StimulusName(String(fields[column])) else {
                throw DatasetsError.badSource(path: "\(csv.path):\(lineNumber)", problem: "no stimulus name in column 'imagename'")
            }
            guard spec.condition(matching: parsed.condition) != nil, Catalog.categories.contains(parsed.category) else {
                throw DatasetsError.badSource(path: "\(csv.path):\(lineNumber)", problem: "'\(parsed.fileName)' has a condition or category outside \(spec.name)")
            }
            out.append(StimulusName(trial: Int(parsed.trial) ?? lineNumber - 1, code: parsed.code, subject: "dnn",
                                    condition: parsed.condition, category: parsed.category, count: parsed.count,
                                    source: parsed.source))
        }
        guard out.count == spec.imageCount else {
            throw DatasetsError.badSource(path: csv.path, problem: "\(out.count) trials, the catalog says \(spec.imageCount)")
        }
        return out
    }

    /// The human experiment's exact trial list, made from ImageNet images named by id. `index` maps an id
    /// (`n04111531_14126`) to its file (see `imagenetIndex`). Missing images are an error listing the first few.
    public static func imagenetPlan(_ spec: DatasetSpec, trials: [StimulusName], index: [String: URL], seed: UInt64,
                                    sourceFolder: URL) throws -> [GenerationTask] {
        var tasks: [GenerationTask] = []
        var missing: [String] = []
        for trial in trials {
            let id = (trial.imageID as NSString).deletingPathExtension
            guard let url = index[id] else { missing.append(id); continue }
            tasks.append(GenerationTask(dataset: spec.name, source: url, condition: trial.condition, fileName: trial.fileName,
                                        seed: taskSeed(seed: seed, spec: spec, name: trial)))
        }
        if !missing.isEmpty {
            throw DatasetsError.badSource(path: sourceFolder.path, problem: "\(missing.count) of \(trials.count) source images of \(spec.name) are missing (first: \(missing.prefix(5).joined(separator: ", ")))")
        }
        return tasks
    }

    /// Every PNG/JPEG below `folder`, keyed by file name without extension; duplicates are an error.
    public static func imagenetIndex(_ folder: URL) throws -> [String: URL] {
        var index: [String: URL] = [:]
        for url in try imageFiles(in: folder, recursive: true) {
            let stem = url.deletingPathExtension().lastPathComponent
            if let other = index[stem] {
                throw DatasetsError.badSource(path: url.path, problem: "image id \(stem) also at \(other.path)")
            }
            index[stem] = url
        }
        return index
    }

    static func imageFiles(in folder: URL, recursive: Bool) throws -> [URL] {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: folder.path, isDirectory: &isDir), isDir.boolValue else {
            throw DatasetsError.badSource(path: folder.path, problem: "folder not found")
        }
        var out: [URL] = []
        if recursive {
            guard let walker = fm.enumerator(at: folder, includingPropertiesForKeys: nil) else {
                throw DatasetsError.badSource(path: folder.path, problem: "cannot list the folder")
            }
            for case let url as URL in walker where imageExtensions.contains(url.pathExtension.lowercased()) {
                out.append(url)
            }
        } else {
            let names = (try? fm.contentsOfDirectory(atPath: folder.path)) ?? []
            for name in names where !name.hasPrefix(".") {
                let url = folder.appendingPathComponent(name)
                if imageExtensions.contains(url.pathExtension.lowercased()) { out.append(url) }
            }
        }
        return out.sorted { $0.path < $1.path }
    }

    /// `n01234567_89.png` for ImageNet-style stems, else `<category>-<stem with _ → ->.png`.
    static func outputSourceName(_ url: URL, category: String) -> String {
        let stem = url.deletingPathExtension().lastPathComponent
        let parts = stem.split(separator: "_", omittingEmptySubsequences: false)
        if parts.count == 2, parts[0].count == 9, parts[0].hasPrefix("n"), parts[0].dropFirst().allSatisfy(\.isNumber),
           !parts[1].isEmpty, parts[1].allSatisfy(\.isNumber) {
            return stem + ".png"
        }
        let cleaned = stem.replacingOccurrences(of: "_", with: "-").replacingOccurrences(of: " ", with: "-")
        return "\(category)-\(cleaned).png"
    }

    static func seedWord(seed: UInt64, parts: [String]) -> UInt64 {
        let digest = Array(SHA256.hash(data: Data((["oodbench-plan", String(seed)] + parts).joined(separator: "\u{0}").utf8)))
        return digest.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): a small deterministic generator for shuffles.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
