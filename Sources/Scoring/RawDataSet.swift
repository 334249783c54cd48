import Foundation

/// The trials of every subject, human and model, grouped by dataset: what the scorer works on.
///
/// Build it with ``load(results:humans:)`` from folders in model-vs-human's layout. Each folder holds either
/// `raw-data/<dataset>/*.csv` or `<dataset>/*.csv`; every `*.csv` of a dataset folder is read (sorted by name)
/// and rows are assigned to subjects by their `subj` value only, never by file name (specs/metrics.md §3.1).
/// Loading checks what the metrics rely on: known datasets, conditions and categories; one trial per image
/// and subject; the same images per condition for every subject (pairing by image id, §3.4).
public struct RawDataSet: Sendable {
    /// One trial, coded for fast scoring.
    struct Trial: Sendable {
        var image: Int32        // index into DatasetTrials.imageIDs
        var condition: Int16    // index into dataset.conditions
        var response: Int8      // category index, -1 for `na`
        var category: Int8      // true (shape) category index
        var texture: Int8       // cue-conflict texture category index, -1 elsewhere
        var file: Int32         // index into RawDataSet.files
        var line: Int32
        var correct: Bool { response == category }
    }

    /// One subject's trials in one dataset.
    struct Subject: Sendable {
        let name: String
        let isHuman: Bool
        var trials: [Trial] = []
        /// Per condition, indices into `trials` sorted by image: the pairing order.
        var byCondition: [[Int]] = []
    }

    /// All subjects of one dataset.
    struct DatasetTrials: Sendable {
        let dataset: BenchmarkDataset
        var imageIDs: [String] = []
        var imageIndex: [String: Int32] = [:]
        var subjects: [Subject] = []
        var subjectIndex: [String: Int] = [:]
        var humans: [Int] { subjects.indices.filter { subjects[$0].isHuman }.sorted { subjects[$0].name < subjects[$1].name } }
        func subject(_ name: String) -> Subject? { subjectIndex[name].map { subjects[$0] } }
    }

    /// Every CSV file read, in reading order (provenance of a report).
    public private(set) var files: [URL] = []
    /// Model names (`subj` values) in order of first appearance.
    public private(set) var models: [String] = []
    var datasets: [String: DatasetTrials] = [:]

    /// Names of the datasets holding at least one model, in benchmark order.
    public var modelDatasets: [String] {
        BenchmarkDataset.all.map(\.name).filter { name in datasets[name]?.subjects.contains { !$0.isHuman } ?? false }
    }

    /// Datasets (benchmark order) in which the given model has trials.
    public func datasets(of model: String) -> [String] {
        BenchmarkDataset.all.map(\.name).filter { datasets[$0]?.subjectIndex[model] != nil }
    }

    /// An empty set; add folders with ``add(folder:humans:)``.
    public init() {}

    /// Reads model results and human data. Every dataset with model trials must have human trials.
    ///
    /// - Parameters:
    ///   - results: folders with model CSVs (rows of `subject-…` are refused there).
    ///   - humans: the folder with the human CSVs (only `subject-…` rows allowed).
    public static func load(results: [URL], humans: URL) throws -> RawDataSet {
        var set = RawDataSet()
        for folder in results { try set.add(folder: folder, humans: false) }
        if set.models.isEmpty { throw ScoringError.noData(paths: results.map(\.path)) }
        try set.add(folder: humans, humans: true)
        for name in set.modelDatasets where set.datasets[name]?.humans.isEmpty ?? true {
            throw ScoringError.noHumanData(dataset: name, path: humans.path)
        }
        try set.finish()
        return set
    }

    /// The `<dataset>` folders of a results or humans folder: `raw-data/<dataset>/` when `raw-data/` exists,
    /// else `<dataset>/`. Folders without CSV files are ignored; a folder with CSVs must be a dataset's.
    static func datasetFolders(_ root: URL) throws -> [(BenchmarkDataset, [URL])] {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: root.path, isDirectory: &isDir), isDir.boolValue else {
            throw ScoringError.unreadable(path: root.path, reason: "not a folder")
        }
        let rawData = root.appendingPathComponent("raw-data", isDirectory: true)
        let base = fm.fileExists(atPath: rawData.path, isDirectory: &isDir) && isDir.boolValue ? rawData : root
        let entries: [String]
        do { entries = try fm.contentsOfDirectory(atPath: base.path).sorted() } catch {
            throw ScoringError.unreadable(path: base.path, reason: error.localizedDescription)
        }
        var out: [(BenchmarkDataset, [URL])] = []
        for entry in entries {
            let folder = base.appendingPathComponent(entry, isDirectory: true)
            guard fm.fileExists(atPath: folder.path, isDirectory: &isDir), isDir.boolValue,
                  let files = try? fm.contentsOfDirectory(atPath: folder.path) else { continue }
            let csvs = files.filter { $0.hasSuffix(".csv") }.sorted().map { folder.appendingPathComponent($0) }
            if csvs.isEmpty { continue }
            guard let dataset = BenchmarkDataset.named(entry) else {
                throw ScoringError.unknownDataset(path: folder.path, name: entry)
            }
            out.append((dataset, csvs))
        }
        return out
    }

    /// Adds every CSV of a results folder (`humans: false`) or of the human data (`humans: true`).
    public mutating func add(folder: URL, humans: Bool) throws {
        for (dataset, csvs) in try RawDataSet.datasetFolders(folder) {
            for url in csvs {
                try add(lines: RawDataReader.read(url), dataset: dataset, file: url, humans: humans)
            }
        }
    }

    /// Adds the parsed rows of one file.
    mutating func add(lines: [RawDataReader.Line], dataset: BenchmarkDataset, file: URL, humans: Bool) throws {
        let fileIndex = Int32(files.count)
        files.append(file)
        let path = file.path
        // Taken out of the dictionary while filling it, so that appends never copy the arrays.
        var d = datasets.removeValue(forKey: dataset.name) ?? DatasetTrials(dataset: dataset)
        defer { datasets[dataset.name] = d }
        let isCueConflict = dataset.name == "cue-conflict"
        for entry in lines {
            let r = entry.row
            let isHuman = r.subj.hasPrefix("subject-")
            if isHuman != humans {
                throw ScoringError.wrongSubjectKind(path: path, line: entry.line, subject: r.subj, expectedHuman: humans)
            }
            guard let category = Categories.index[r.category] else {
                throw ScoringError.unknownCategory(path: path, line: entry.line, column: "category", value: r.category)
            }
            let response: Int
            if r.objectResponse == "na" { response = -1 } else {
                guard let k = Categories.index[r.objectResponse] else {
                    throw ScoringError.unknownCategory(path: path, line: entry.line, column: "object_response",
                                                       value: r.objectResponse)
                }
                response = k
            }
            guard let condition = dataset.conditionIndex(of: r.condition) else {
                throw ScoringError.unknownCondition(path: path, line: entry.line, dataset: dataset.name, token: r.condition)
            }
            var texture = -1
            if isCueConflict {
                let name = StimulusName.texture(r.imagename)
                guard let k = Categories.index[name] else {
                    throw ScoringError.unknownCategory(path: path, line: entry.line, column: "imagename (texture)",
                                                       value: name)
                }
                texture = k
            }
            let id = StimulusName.imageID(r.imagename)
            let image: Int32
            if let known = d.imageIndex[id] { image = known } else {
                image = Int32(d.imageIDs.count)
                d.imageIDs.append(id)
                d.imageIndex[id] = image
            }
            let s: Int
            if let known = d.subjectIndex[r.subj] { s = known } else {
                s = d.subjects.count
                d.subjects.append(Subject(name: r.subj, isHuman: isHuman))
                d.subjectIndex[r.subj] = s
                if !isHuman && !models.contains(r.subj) { models.append(r.subj) }
            }
            d.subjects[s].trials.append(Trial(image: image, condition: Int16(condition), response: Int8(response),
                                              category: Int8(category), texture: Int8(texture),
                                              file: fileIndex, line: Int32(entry.line)))
        }
    }

    /// Sorts every subject's trials per condition by image and checks the pairing: no image twice for one
    /// subject, and in every condition the same images for every subject as for the reference subject (the
    /// first human by name, or the first subject where there are no humans).
    public mutating func finish() throws {
        for name in Array(datasets.keys) {
            var d = datasets[name]!
            let conditionCount = d.dataset.conditions.count
            for s in d.subjects.indices {
                var groups = [[Int]](repeating: [], count: conditionCount)
                let trials = d.subjects[s].trials
                for (i, t) in trials.enumerated() { groups[Int(t.condition)].append(i) }
                for c in groups.indices {
                    groups[c].sort { trials[$0].image < trials[$1].image }
                    for k in groups[c].indices.dropFirst() where trials[groups[c][k]].image == trials[groups[c][k - 1]].image {
                        let t = trials[groups[c][k]]
                        throw ScoringError.duplicateImage(path: files[Int(t.file)].path, line: Int(t.line),
                                                          subject: d.subjects[s].name, imageID: d.imageIDs[Int(t.image)])
                    }
                }
                // An image must keep one condition across files of the same subject: covered by the
                // per-condition comparison with the reference below.
                d.subjects[s].byCondition = groups
            }
            let reference = d.humans.first ?? 0
            for s in d.subjects.indices where s != reference {
                try checkPairing(d, s, reference)
            }
            datasets[name] = d
        }
    }

    /// Throws `mismatchedImages` at the first image one subject has in a condition and the other has not.
    private func checkPairing(_ d: DatasetTrials, _ s: Int, _ r: Int) throws {
        let a = d.subjects[s], b = d.subjects[r]
        for c in d.dataset.conditions.indices {
            let ia = a.byCondition[c], ib = b.byCondition[c]
            if ia.count == ib.count && zip(ia, ib).allSatisfy({ a.trials[$0].image == b.trials[$1].image }) { continue }
            var i = 0, j = 0
            while i < ia.count || j < ib.count {
                let ta = i < ia.count ? a.trials[ia[i]] : nil
                let tb = j < ib.count ? b.trials[ib[j]] : nil
                if let ta, let tb, ta.image == tb.image { i += 1; j += 1; continue }
                // The smaller image id (or the one left over) is the one without a partner.
                let (odd, owner, other, otherSubject) = if let ta, tb == nil || ta.image < tb!.image {
                    (ta, a.name, b.trials.first ?? ta, b.name)
                } else {
                    (tb!, b.name, a.trials.first ?? tb!, a.name)
                }
                throw ScoringError.mismatchedImages(path: files[Int(odd.file)].path, line: Int(odd.line), subject: owner,
                                                    imageID: d.imageIDs[Int(odd.image)],
                                                    condition: d.dataset.conditions[c], reference: otherSubject,
                                                    referencePath: files[Int(other.file)].path)
            }
        }
    }
}
