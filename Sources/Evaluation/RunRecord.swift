import Foundation
import Imaging
import Models

/// `run.json`: what produced the raw-data CSVs of an output folder — model, preprocessing, decision mapping,
/// the stimuli (hash per dataset), the tool versions and timings. Datasets evaluated in later runs into the same
/// folder are merged in by name.
public struct RunRecord: Codable, Sendable, Equatable {
    public struct ModelInfo: Codable, Sendable, Equatable {
        /// The spec given on the command line (`efficientnet-lite0`, `clip:PATH`, …).
        public var spec: String
        /// The CSV `subj` name.
        public var name: String
        public var labelSpace: String
        public var preprocessing: String
        /// How probabilities become one of the 16 categories.
        public var decisionMapping: String
        /// Model facts (weights sha256, architecture, protocol, …).
        public var info: [String: String]

        enum CodingKeys: String, CodingKey {
            case spec, name, labelSpace = "label_space", preprocessing, decisionMapping = "decision_mapping", info
        }
    }

    public struct DatasetEntry: Codable, Sendable, Equatable {
        public var name: String
        /// Folder the stimuli were read from.
        public var stimuli: String
        public var images: Int
        /// Whether the folder holds only part of the dataset (the offline cue-conflict subset).
        public var subset: String?
        public var stimuliSHA256: String
        /// CSV path relative to the output folder.
        public var csv: String
        public var csvSHA256: String
        public var seconds: Double
        public var imagesPerSecond: Double?
        public var finished: String
        /// `I/N` when this folder holds only shard I of N of the dataset's trials (`evaluate --shard`); nil for
        /// a whole run. `images` then counts the shard's trials.
        public var shard: String?
        /// With `shard`: the whole dataset's number of images (what the merged CSV must hold).
        public var datasetImages: Int?

        public init(name: String, stimuli: String, images: Int, subset: String?, stimuliSHA256: String, csv: String,
                    csvSHA256: String, seconds: Double, imagesPerSecond: Double?, finished: String,
                    shard: String? = nil, datasetImages: Int? = nil) {
            self.shard = shard
            self.datasetImages = datasetImages
            self.name = name
            self.stimuli = stimuli
            self.images = images
            self.subset = subset
            self.stimuliSHA256 = stimuliSHA256
            self.csv = csv
            self.csvSHA256 = csvSHA256
            self.seconds = seconds
            self.imagesPerSecond = imagesPerSecond
            self.finished = finished
        }

        enum CodingKeys: String, CodingKey {
            case name, stimuli, images, subset, stimuliSHA256 = "stimuli_sha256", csv, csvSHA256 = "csv_sha256"
            case seconds, imagesPerSecond = "images_per_second", finished, shard
            case datasetImages = "dataset_images"
        }
    }

    enum CodingKeys: String, CodingKey {
        case model, batchSize = "batch_size", versions, datasets
    }

    public var model: ModelInfo
    public var batchSize: Int
    public var versions: [String: String]
    public var datasets: [DatasetEntry]

    public init(model: ModelInfo, batchSize: Int, versions: [String: String], datasets: [DatasetEntry] = []) {
        self.model = model
        self.batchSize = batchSize
        self.versions = versions
        self.datasets = datasets
    }

    /// The model part of the record for a classifier and the spec that named it.
    public static func modelInfo(_ model: any ImageClassifier, spec: String) -> ModelInfo {
        let mapping: String
        switch model.labelSpace {
        case .imagenet1000:
            mapping = "softmax over 1000 ImageNet classes; per category the mean probability of its ImageNet "
                + "indices (model-vs-human ImageNetProbabilitiesTo16ClassesMapping); argmax"
        case .categories16:
            mapping = "argmax over the 16 category probabilities"
        }
        return ModelInfo(spec: spec, name: model.name, labelSpace: model.labelSpace.rawValue,
                         preprocessing: model.preprocessing, decisionMapping: mapping, info: model.runInfo)
    }

    /// Adds or replaces the entry of `entry.name`, keeping datasets sorted by name.
    public mutating func record(_ entry: DatasetEntry) {
        datasets.removeAll { $0.name == entry.name }
        datasets.append(entry)
        datasets.sort { $0.name < $1.name }
    }

    /// Reads `url`, or nil when it does not exist or does not parse.
    public static func read(_ url: URL) -> RunRecord? {
        guard let data = try? Data(contentsOf: url) else { return nil }
        return try? JSONDecoder().decode(RunRecord.self, from: data)
    }

    /// Writes the record as pretty, key-sorted JSON, atomically.
    public func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            var data = try encoder.encode(self)
            data.append(0x0A)
            try data.write(to: url, options: .atomic)
        } catch {
            throw EvaluationError.unwritable(path: url.path, reason: ImagingError.reason(for: error))
        }
    }
}
