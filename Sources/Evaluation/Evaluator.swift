import Crypto
import Datasets
import Dispatch
import Foundation
import Imaging
import Models
import Scoring

/// Runs one model over datasets of stimuli and writes model-vs-human raw-data CSVs
/// (`<out>/raw-data/<dataset>/<dataset>_<model-with-dashes>_session-1.csv`, specs/metrics.md §3), one row per
/// image in loader order, the decision being the 16-class mapping of specs/metrics.md §4.
///
/// Resumable and never half-written: finished CSVs are checked against the stimulus list and kept; while a
/// dataset runs, finished batches go to a hidden `.<csv>.partial` file beside it (not a `*.csv`, so readers
/// ignore it), from which a restarted run continues; the CSV appears only complete, by atomic rename.
public final class Evaluator: @unchecked Sendable {
    /// What one dataset's run produced.
    public struct DatasetResult: Sendable {
        public let dataset: String
        public let csv: URL
        public let images: Int
        /// sha256 over the stimuli in order: per image `name \t category \t condition \t sha256(file) \n`.
        public let stimuliSHA256: String
        public let csvSHA256: String
        /// Seconds spent classifying in this call (0 when the CSV was already complete).
        public let seconds: Double
        /// Images classified in this call (fewer than `images` when resumed from a partial file).
        public let classified: Int
        /// True when a complete CSV was found and kept.
        public let alreadyComplete: Bool
    }

    public let model: any ImageClassifier
    public let outputDirectory: URL
    /// Images per `classify` call.
    public let batchSize: Int
    /// Threads decoding images.
    public let jobs: Int
    /// Progress lines (stderr in the CLI).
    public let progress: @Sendable (String) -> Void

    public init(model: any ImageClassifier, outputDirectory: URL, batchSize: Int = 16, jobs: Int = 2,
                progress: @escaping @Sendable (String) -> Void = { _ in }) {
        precondition(batchSize > 0 && jobs > 0)
        self.model = model
        self.outputDirectory = outputDirectory
        self.batchSize = batchSize
        self.jobs = jobs
        self.progress = progress
    }

    /// The CSV this evaluator writes for `dataset`; a shard of a run writes `<csv>.shard-I-of-N` (not a `*.csv`,
    /// so reports never read one shard as a whole run; `oodbench merge` joins them).
    public func csvURL(dataset: String, shard: Shard = .whole) -> URL {
        let name = RawDataWriter.fileName(dataset: dataset, model: model.name)
        return outputDirectory.appendingPathComponent("raw-data/\(dataset)", isDirectory: true)
            .appendingPathComponent(shard.isWhole ? name : name + "." + shard.tag)
    }

    /// Evaluates `stimuli` (in the order given: trial 1, 2, …) as dataset `dataset`; with a `shard`, only the
    /// trials that shard owns (``Shard/owns(_:)``), keeping their trial numbers, and `stimuliSHA256` is still
    /// the hash of the whole list (so that merge can check the shards saw the same dataset).
    public func run(dataset: String, stimuli allStimuli: [Stimulus], shard: Shard = .whole) throws -> DatasetResult {
        let csv = csvURL(dataset: dataset, shard: shard)
        let partial = csv.deletingLastPathComponent().appendingPathComponent("." + csv.lastPathComponent + ".partial")
        let positions = Array(shard.positions(of: allStimuli.count))
        let stimuli = positions.map { allStimuli[$0] }
        let expected = zip(positions, stimuli).map { i, s in row(trial: i + 1, stimulus: s, response: "") }
        let fm = FileManager.default
        do {
            try fm.createDirectory(at: csv.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw EvaluationError.unwritable(path: csv.deletingLastPathComponent().path, reason: ImagingError.reason(for: error))
        }

        // 1. A complete CSV for exactly these stimuli is kept.
        if fm.fileExists(atPath: csv.path), let rows = try? RawDataReader.rows(of: csv), matches(rows, expected) {
            try? fm.removeItem(at: partial)  // left behind when a run was killed between the rename and this removal
            progress("\(dataset): \(csv.path) is complete (\(rows.count) rows), kept")
            return DatasetResult(dataset: dataset, csv: csv, images: stimuli.count,
                                 stimuliSHA256: try stimuliHash(allStimuli), csvSHA256: try fileHash(csv),
                                 seconds: 0, classified: 0, alreadyComplete: true)
        }

        // 2. Continue from a partial file whose rows are a prefix of the expected ones.
        //    A torn last line (a write cut short by a full disk or a crash) is dropped first; of the rest, the
        //    longest prefix that matches the expected trials is kept.
        var done: [RawDataRow] = []
        if var data = try? Data(contentsOf: partial) {
            data = data.lastIndex(of: 0x0A).map { data.prefix(through: $0) } ?? Data()
            if (try? data.write(to: partial, options: .atomic)) != nil, let rows = try? RawDataReader.rows(of: partial) {
                var kept = 0
                while kept < min(rows.count, expected.count), matches([rows[kept]], [expected[kept]]) { kept += 1 }
                done = Array(rows.prefix(kept))
                if kept > 0 { progress("\(dataset): resuming after \(kept) of \(stimuli.count) images") }
            }
        }
        if done.isEmpty {
            let header = RawDataWriter.csv([])
            do { try Data(header.utf8).write(to: partial, options: .atomic) } catch {
                throw EvaluationError.unwritable(path: partial.path, reason: ImagingError.reason(for: error))
            }
        } else {
            // Rewrite the partial file with exactly the accepted rows (drops a torn last line).
            do { try Data(RawDataWriter.csv(done).utf8).write(to: partial, options: .atomic) } catch {
                throw EvaluationError.unwritable(path: partial.path, reason: ImagingError.reason(for: error))
            }
        }

        // 3. Classify the rest batch by batch, appending each batch's rows to the partial file.
        var hasher = SHA256()
        for s in stimuli.prefix(done.count) { hasher.update(data: stimulusHashLine(s, fileHash: try fileHash(s.url))) }
        let handle: FileHandle
        do {
            handle = try FileHandle(forWritingTo: partial)
            try handle.seekToEnd()
        } catch {
            throw EvaluationError.unwritable(path: partial.path, reason: ImagingError.reason(for: error))
        }
        defer { try? handle.close() }
        let start = DispatchTime.now().uptimeNanoseconds
        var next = done.count
        let resumedAt = done.count
        let total = stimuli.count
        let headerLength = RawDataWriter.csv([]).utf8.count
        while next < total {
            let batch = Array(stimuli[next..<min(next + batchSize, total)])
            let probabilities: [[Float]]
            do {
                if let files = model as? any StimulusFileClassifier, files.readsFiles {
                    // The model reads the files itself (external:…): hash them, do not decode them.
                    for s in batch { hasher.update(data: stimulusHashLine(s, fileHash: try fileHash(s.url))) }
                    probabilities = try files.classify(files: batch.map(\.url.absoluteURL))
                } else {
                    let (images, hashes) = try decode(batch)
                    for (s, h) in zip(batch, hashes) { hasher.update(data: stimulusHashLine(s, fileHash: h)) }
                    probabilities = try model.classify(images)
                }
            } catch let error as EvaluationError { throw error } catch {
                throw EvaluationError.modelFailed(model: model.name, firstImage: batch[0].url.path, reason: "\(error)")
            }
            guard probabilities.count == batch.count else {
                throw EvaluationError.badModelOutput(model: model.name,
                    reason: "answered \(probabilities.count) rows for a batch of \(batch.count)")
            }
            var rows: [RawDataRow] = []
            for (i, p) in probabilities.enumerated() {
                let response = try decision(p)
                rows.append(row(trial: positions[next + i] + 1, stimulus: batch[i], response: response))
            }
            let lines = Data(RawDataWriter.csv(rows).utf8).dropFirst(headerLength)  // rows only, CRLF-terminated
            do { try handle.write(contentsOf: lines) } catch {
                throw EvaluationError.unwritable(path: partial.path, reason: ImagingError.reason(for: error))
            }
            done += rows
            next += batch.count
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            progress(String(format: "%@: %d/%d images, %.1f images/s", dataset, next, total,
                            Double(next - resumedAt) / max(elapsed, 1e-9)))
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let classified = total - resumedAt

        // 4. The complete CSV, atomically; then the partial file goes.
        do { try RawDataWriter.write(done, to: csv) } catch let ScoringError.unwritable(_, reason) {
            throw EvaluationError.unwritable(path: csv.path, reason: reason)
        }
        try? fm.removeItem(at: partial)
        return DatasetResult(dataset: dataset, csv: csv, images: total,
                             stimuliSHA256: shard.isWhole ? hasher.finalize().map { String(format: "%02x", $0) }.joined()
                                 : try stimuliHash(allStimuli),
                             csvSHA256: try fileHash(csv), seconds: seconds, classified: classified,
                             alreadyComplete: false)
    }

    /// The 16-class decision for one row of the model's probabilities.
    func decision(_ p: [Float]) throws -> String {
        guard p.count == model.labelSpace.classCount else {
            throw EvaluationError.badModelOutput(model: model.name,
                reason: "\(p.count) probabilities per image, expected \(model.labelSpace.classCount) (\(model.labelSpace.rawValue))")
        }
        switch model.labelSpace {
        case .imagenet1000: return Categories16.decision(categoryScores: Categories16.categoryProbabilities(imagenet: p))
        case .categories16: return Categories16.decision(categoryScores: p.map(Double.init))
        }
    }

    func row(trial: Int, stimulus s: Stimulus, response: String) -> RawDataRow {
        RawDataRow(subj: model.name, trial: trial, objectResponse: response, category: s.category,
                   condition: s.condition, imagename: s.imageName)
    }

    /// Same trials, images, categories and conditions in the same order, every response a category.
    func matches(_ rows: [RawDataRow], _ expected: [RawDataRow]) -> Bool {
        guard rows.count == expected.count else { return false }
        for (r, e) in zip(rows, expected) {
            guard r.subj == e.subj, r.trial == e.trial, r.imagename == e.imagename, r.category == e.category,
                  r.condition == e.condition, Categories16.names.contains(r.objectResponse) else { return false }
        }
        return true
    }

    /// Reads and decodes a batch on `jobs` threads; returns the images and their files' sha256.
    func decode(_ batch: [Stimulus]) throws -> ([Image8], [String]) {
        let results = UnsafeMutableBufferPointer<Result<(Image8, String), Error>?>.allocate(capacity: batch.count)
        results.initialize(repeating: nil)
        defer { results.deinitialize(); results.deallocate() }
        nonisolated(unsafe) let slots = results
        let chunks = min(jobs, batch.count)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            for i in stride(from: chunk, to: batch.count, by: chunks) {
                let url = batch[i].url
                slots[i] = Result {
                    let data: Data
                    do { data = try Data(contentsOf: url) } catch {
                        throw EvaluationError.unreadableStimulus(file: url.path, reason: ImagingError.reason(for: error))
                    }
                    let image: Image8
                    do { image = try Image8(data: data, name: url.path) } catch {
                        throw EvaluationError.unreadableStimulus(file: url.path, reason: "\(error)")
                    }
                    return (image, Self.hex(SHA256.hash(data: data)))
                }
            }
        }
        var images: [Image8] = [], hashes: [String] = []
        for slot in results {
            let (image, hash) = try slot!.get()
            images.append(image)
            hashes.append(hash)
        }
        return (images, hashes)
    }

    func stimulusHashLine(_ s: Stimulus, fileHash: String) -> Data {
        Data("\(s.imageName)\t\(s.category)\t\(s.condition)\t\(fileHash)\n".utf8)
    }

    func stimuliHash(_ stimuli: [Stimulus]) throws -> String {
        var hasher = SHA256()
        for s in stimuli { hasher.update(data: stimulusHashLine(s, fileHash: try fileHash(s.url))) }
        return Self.hex(hasher.finalize())
    }

    func fileHash(_ url: URL) throws -> String {
        do { return Self.hex(SHA256.hash(data: try Data(contentsOf: url))) } catch {
            throw EvaluationError.unreadableStimulus(file: url.path, reason: ImagingError.reason(for: error))
        }
    }

    static func hex(_ digest: some Sequence<UInt8>) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}
