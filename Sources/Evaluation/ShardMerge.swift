import Crypto
import Datasets
import Foundation
import Scoring

/// Joins the output folders of `evaluate --shard I/N` runs into the raw-data CSVs (and `run.json`) that one
/// unsharded run writes, byte for byte: same rows, same trial numbers, same order.
///
/// Per model and dataset it refuses (``ShardMergeError``) a missing shard, a shard given twice, shards of
/// different model facts (name, preprocessing, decision mapping, weights) or of different stimuli (the whole
/// dataset's sha256 in each shard's run.json), shard CSVs that do not match their run.json or own trials of
/// another shard.
public enum ShardMerge {
    /// One merged CSV.
    public struct Merged: Sendable {
        public let model: String
        public let dataset: String
        public let csv: URL
        public let rows: Int
        public let shards: Int
    }

    struct Piece {
        let folder: URL
        let model: RunRecord.ModelInfo
        let record: RunRecord
        let entry: RunRecord.DatasetEntry
        let shard: Shard
    }

    /// Reads the `run.json` of every folder and writes `out/raw-data/<dataset>/<csv>` per model and dataset,
    /// plus `out/run.json` when all folders hold one model. Nothing is written unless every group checks out.
    @discardableResult
    public static func merge(runs: [URL], out: URL) throws -> [Merged] {
        var groups: [String: [Piece]] = [:]
        var order: [String] = []
        for folder in runs {
            let url = folder.appendingPathComponent("run.json")
            guard FileManager.default.fileExists(atPath: url.path) else { throw ShardMergeError.noRunRecord(folder: folder.path) }
            guard let record = RunRecord.read(url) else { throw ShardMergeError.unreadable(file: url.path, reason: "not a run record") }
            for entry in record.datasets {
                let shard: Shard
                do { shard = try entry.shard.map { try Shard(parsing: $0) } ?? .whole } catch {
                    throw ShardMergeError.unreadable(file: url.path, reason: "\(error)")
                }
                let key = record.model.name + "\u{0}" + entry.name
                if groups[key] == nil { order.append(key) }
                groups[key, default: []].append(Piece(folder: folder, model: record.model, record: record, entry: entry, shard: shard))
            }
        }
        guard !order.isEmpty else { throw ShardMergeError.nothingToMerge(folders: runs.map(\.path)) }

        // Check everything and build the rows first; write only when all groups are good.
        var outputs: [(piece: Piece, rows: [RawDataRow], pieces: [Piece])] = []
        for key in order {
            let pieces = groups[key]!.sorted { $0.shard.index < $1.shard.index }
            let first = pieces[0]
            let what = "\(first.model.name) on \(first.entry.name)"
            for p in pieces.dropFirst() {
                if !sameModel(p.model, first.model) {
                    throw ShardMergeError.differentModels(what: what, first: first.folder.path, other: p.folder.path,
                                                          difference: modelDifference(first.model, p.model))
                }
                if p.entry.stimuliSHA256 != first.entry.stimuliSHA256 {
                    throw ShardMergeError.differentDatasets(what: what, first: first.folder.path, other: p.folder.path)
                }
                if p.shard.count != first.shard.count {
                    throw ShardMergeError.mixedShardCounts(what: what, first: "\(first.folder.path) (\(first.shard))",
                                                           other: "\(p.folder.path) (\(p.shard))")
                }
            }
            let n = first.shard.count
            var seen: [Int: Piece] = [:]
            for p in pieces {
                if let other = seen[p.shard.index] {
                    throw ShardMergeError.overlappingShard(what: what, shard: p.shard.description,
                                                           folders: [other.folder.path, p.folder.path])
                }
                seen[p.shard.index] = p
            }
            let missing = (0..<n).filter { seen[$0] == nil }
            if !missing.isEmpty {
                throw ShardMergeError.missingShards(what: what, shards: missing.map { "\($0)/\(n)" })
            }
            var all: [RawDataRow] = []
            var counts: [Int] = []
            for p in pieces {
                let csv = p.folder.appendingPathComponent(p.entry.csv)
                let data: Data
                do { data = try Data(contentsOf: csv) } catch {
                    throw ShardMergeError.unreadable(file: csv.path, reason: error.localizedDescription)
                }
                let digest = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
                guard digest == p.entry.csvSHA256 else {
                    throw ShardMergeError.unreadable(file: csv.path, reason: "sha256 differs from its run.json (changed or incomplete)")
                }
                let rows: [RawDataRow]
                do { rows = try RawDataReader.rows(of: csv) } catch {
                    throw ShardMergeError.unreadable(file: csv.path, reason: "\(error)")
                }
                if let bad = rows.first(where: { $0.trial < 1 || !p.shard.owns($0.trial - 1) }) {
                    throw ShardMergeError.foreignTrial(file: csv.path, trial: bad.trial, shard: p.shard.description)
                }
                counts.append(rows.count)
                all += rows
            }
            all.sort { $0.trial < $1.trial }
            let total = all.count
            if let expected = first.entry.datasetImages, pieces.contains(where: { $0.entry.datasetImages != expected }) || total != expected {
                throw ShardMergeError.incomplete(what: what, reason: "the shards hold \(total) trials, the dataset has \(expected) images")
            }
            for p in pieces where p.entry.images != counts[p.shard.index] {
                throw ShardMergeError.incomplete(what: what,
                    reason: "\(p.folder.path): run.json counts \(p.entry.images) trials, its CSV holds \(counts[p.shard.index])")
            }
            for (i, r) in all.enumerated() where r.trial != i + 1 {
                throw ShardMergeError.incomplete(what: what, reason: "trial \(i + 1) is missing or repeated")
            }
            // Each shard must hold exactly its share of the total (catches a shard cut short at its end).
            for (i, c) in counts.enumerated() where c != (total - i + n - 1) / n {
                throw ShardMergeError.incomplete(what: what,
                    reason: "shard \(i)/\(n) holds \(c) trials, expected \((total - i + n - 1) / n) of \(total)")
            }
            outputs.append((first, all, pieces))
        }

        var merged: [Merged] = []
        var records: [String: RunRecord] = [:]
        for (first, rows, pieces) in outputs {
            let relative = "raw-data/\(first.entry.name)/" + RawDataWriter.fileName(dataset: first.entry.name, model: first.model.name)
            let csv = out.appendingPathComponent(relative)
            do { try FileManager.default.createDirectory(at: csv.deletingLastPathComponent(), withIntermediateDirectories: true) } catch {
                throw EvaluationError.unwritable(path: csv.deletingLastPathComponent().path, reason: error.localizedDescription)
            }
            do { try RawDataWriter.write(rows, to: csv) } catch {
                throw EvaluationError.unwritable(path: csv.path, reason: "\(error)")
            }
            let data = (try? Data(contentsOf: csv)) ?? Data()
            let seconds = pieces.map(\.entry.seconds).reduce(0, +)
            let entry = RunRecord.DatasetEntry(
                name: first.entry.name, stimuli: first.entry.stimuli, images: rows.count, subset: first.entry.subset,
                stimuliSHA256: first.entry.stimuliSHA256, csv: relative,
                csvSHA256: SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined(),
                seconds: seconds, imagesPerSecond: seconds > 0 ? Double(rows.count) / seconds : nil,
                finished: pieces.map(\.entry.finished).max() ?? first.entry.finished)
            var record = records[first.model.name]
                ?? RunRecord(model: first.model, batchSize: first.record.batchSize, versions: first.record.versions)
            record.record(entry)
            records[first.model.name] = record
            merged.append(Merged(model: first.model.name, dataset: first.entry.name, csv: csv, rows: rows.count,
                                 shards: pieces.count))
        }
        if records.count == 1, let record = records.values.first {
            try record.write(to: out.appendingPathComponent("run.json"))
        }
        return merged
    }

    static func sameModel(_ a: RunRecord.ModelInfo, _ b: RunRecord.ModelInfo) -> Bool {
        a.name == b.name && a.labelSpace == b.labelSpace && a.preprocessing == b.preprocessing
            && a.decisionMapping == b.decisionMapping && a.info == b.info
    }

    static func modelDifference(_ a: RunRecord.ModelInfo, _ b: RunRecord.ModelInfo) -> String {
        if a.preprocessing != b.preprocessing { return "preprocessing '\(a.preprocessing)' vs '\(b.preprocessing)'" }
        if a.labelSpace != b.labelSpace { return "label space \(a.labelSpace) vs \(b.labelSpace)" }
        if a.decisionMapping != b.decisionMapping { return "decision mapping differs" }
        for key in Set(a.info.keys).union(b.info.keys).sorted() where a.info[key] != b.info[key] {
            return "\(key) \(a.info[key] ?? "—") vs \(b.info[key] ?? "—")"
        }
        return "model facts differ"
    }
}

/// Why `oodbench merge` refused its input; each names the model/dataset or folder and the problem.
public enum ShardMergeError: Error, CustomStringConvertible, Equatable {
    case noRunRecord(folder: String)
    case unreadable(file: String, reason: String)
    case nothingToMerge(folders: [String])
    case differentModels(what: String, first: String, other: String, difference: String)
    case differentDatasets(what: String, first: String, other: String)
    case mixedShardCounts(what: String, first: String, other: String)
    case overlappingShard(what: String, shard: String, folders: [String])
    case missingShards(what: String, shards: [String])
    case foreignTrial(file: String, trial: Int, shard: String)
    case incomplete(what: String, reason: String)

    public var description: String {
        switch self {
        case let .noRunRecord(folder): return "\(folder): no run.json (not an `oodbench evaluate` output folder)"
        case let .unreadable(file, reason): return "\(file): \(reason)"
        case let .nothingToMerge(folders): return "\(folders.joined(separator: ", ")): no evaluated datasets to merge"
        case let .differentModels(what, first, other, difference):
            return "\(what): shards of different models in \(first) and \(other) (\(difference))"
        case let .differentDatasets(what, first, other):
            return "\(what): shards of different dataset versions (stimuli sha256 differs) in \(first) and \(other)"
        case let .mixedShardCounts(what, first, other):
            return "\(what): shards of different splits: \(first) and \(other)"
        case let .overlappingShard(what, shard, folders):
            return "\(what): overlapping shard \(shard) in \(folders.joined(separator: " and "))"
        case let .missingShards(what, shards):
            return "\(what): missing shard\(shards.count == 1 ? "" : "s") \(shards.joined(separator: ", "))"
        case let .foreignTrial(file, trial, shard): return "\(file): trial \(trial) does not belong to shard \(shard)"
        case let .incomplete(what, reason): return "\(what): \(reason)"
        }
    }
}
