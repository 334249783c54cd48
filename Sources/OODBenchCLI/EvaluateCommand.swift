import ArgumentParser
import Datasets
import Evaluation
import Foundation
import Imaging
import Inference
import Models
import Scoring

/// `oodbench evaluate`: a model over stimulus datasets → model-vs-human raw-data CSVs + `run.json`.
struct EvaluateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Run a model over datasets and write model-vs-human raw-data CSVs and run.json.",
        discussion: """
        Writes OUT/raw-data/<dataset>/<dataset>_<model>_session-1.csv (the toolbox's format: one row per image, \
        the 16-class decision from the model's probabilities) and OUT/run.json (model, preprocessing, dataset \
        hashes, versions, timings). Interrupted runs continue where they stopped; finished CSVs are kept.
        cue-conflict, edge and silhouette come from the offline mirror (cue-conflict: the 321-image subset, \
        labelled as such); other datasets need --stimuli.

        Examples:
          oodbench evaluate --dataset edge silhouette --out results/efficientnet-lite0
          oodbench evaluate --model efficientnet-lite0 --dataset cue-conflict edge silhouette --out results/e0 --batch 32
          oodbench evaluate --dataset contrast --stimuli datasets/contrast --out results/e0
          oodbench evaluate --dataset edge silhouette --shard 0/4 --out results/e0-shard0   # then: oodbench merge
        With --shard I/N (or --shard auto under Slurm arrays, Kubernetes Indexed Jobs, OODBENCH_SHARD), only the \
        trials p with p mod N = I are evaluated, written as <csv>.shard-I-of-N and recorded in run.json; \
        `oodbench merge` checks and joins the shards into the CSVs a single run writes.
        """
    )

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .customLong("dataset"), parsing: .upToNextOption,
            help: ArgumentHelp("Datasets to evaluate (cue-conflict, edge, silhouette offline; 'all' = those three).",
                               valueName: "name"))
    var datasets: [String] = []

    @Option(help: ArgumentHelp("Stimulus folder of the (single) dataset, instead of the offline mirror.",
                               valueName: "dir"))
    var stimuli: String?

    @Option(help: ArgumentHelp("Output folder (raw-data/ and run.json go here).", valueName: "dir"))
    var out: String

    @Option(help: "Images per model call.")
    var batch: Int = 16

    @Option(help: "Threads decoding images.")
    var jobs: Int = 2

    @Option(help: ArgumentHelp("Evaluate only shard I of N (0-based), or 'auto' from SLURM_ARRAY_TASK_ID/COUNT, "
                               + "JOB_COMPLETION_INDEX (with --shard-count) or OODBENCH_SHARD.", valueName: "I/N|auto"))
    var shard: String?

    @Option(help: "Number of shards for --shard auto (a Kubernetes Indexed Job's completions).")
    var shardCount: Int?

    func validate() throws {
        guard !datasets.isEmpty else { throw ValidationError("Name at least one dataset: --dataset edge silhouette") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1.") }
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1.") }
        if stimuli != nil && datasets.count != 1 {
            throw ValidationError("--stimuli names the folder of exactly one dataset: give one --dataset with it.")
        }
    }

    func run() async throws {
        let shard = try Shard.fromOptions(self.shard, count: shardCount)
        let names = datasets == ["all"] ? OfflineMirror.textureShape.map(\.name) : datasets
        if let warning = BLASInfo.kernelWarning() { FileHandle.standardError.write(Data((warning + "\n").utf8)) }
        let model = try modelOptions.makeClassifier()
        var plan: [(name: String, folder: URL, fullCount: Int?)] = []
        for name in names {
            if let stimuli {
                plan.append((name, URL(fileURLWithPath: stimuli, isDirectory: true), nil))
            } else {
                let (folder, full) = try OfflineMirror.stimuli(name)
                plan.append((name, folder, full))
            }
        }
        let outURL = URL(fileURLWithPath: out, isDirectory: true)
        let results = try Self.evaluate(model: model, spec: modelOptions.model, plan: plan, out: outURL,
                                        batch: batch, jobs: jobs, shard: shard)
        for r in results {
            print(String(format: "%@\t%d images\taccuracy %.4f\t%@", r.dataset, r.images, r.accuracy, r.csv.path))
        }
        print("run record: \(outURL.appendingPathComponent("run.json").path)")
    }

    struct Summary {
        let dataset: String
        let images: Int
        let accuracy: Double
        let csv: URL
        let seconds: Double
    }

    /// Evaluates each planned dataset, recording run.json after each; shared with `demo`.
    static func evaluate(model: any ImageClassifier, spec: String,
                         plan: [(name: String, folder: URL, fullCount: Int?)],
                         out: URL, batch: Int, jobs: Int, shard: Shard = .whole) throws -> [Summary] {
        do { try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true) } catch {
            throw CLIError("\(out.path): cannot create the output folder: \(ImagingError.reason(for: error))")
        }
        let evaluator = Evaluator(model: model, outputDirectory: out, batchSize: batch, jobs: jobs) { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        let runURL = out.appendingPathComponent("run.json")
        var record = RunRecord.read(runURL) ?? RunRecord(model: RunRecord.modelInfo(model, spec: spec),
                                                         batchSize: batch, versions: [:])
        record.model = RunRecord.modelInfo(model, spec: spec)
        record.batchSize = batch
        record.versions = ["oodbench": OODBench.version, "openblas": BLASInfo.config,
                           "openblas_core": BLASInfo.coreName]
        var summaries: [Summary] = []
        for item in plan {
            let stimuli = try Stimulus.list(folder: item.folder)
            let result = try evaluator.run(dataset: item.name, stimuli: stimuli, shard: shard)
            let subset = item.fullCount.flatMap { $0 > stimuli.count ? "subset, \(stimuli.count)/\($0)" : nil }
            let previous = record.datasets.first { $0.name == item.name }
            let seconds = result.alreadyComplete ? (previous?.seconds ?? 0) : result.seconds
            record.record(RunRecord.DatasetEntry(
                name: item.name, stimuli: item.folder.path, images: result.images, subset: subset,
                stimuliSHA256: result.stimuliSHA256,
                csv: "raw-data/\(item.name)/\(result.csv.lastPathComponent)", csvSHA256: result.csvSHA256,
                seconds: seconds,
                imagesPerSecond: result.classified > 0 && result.seconds > 0
                    ? Double(result.classified) / result.seconds : previous?.imagesPerSecond,
                finished: result.alreadyComplete ? (previous?.finished ?? ISO8601DateFormatter().string(from: Date()))
                    : ISO8601DateFormatter().string(from: Date()),
                shard: shard.isWhole ? nil : shard.description, datasetImages: shard.isWhole ? nil : stimuli.count))
            try record.write(to: runURL)
            let rows = try RawDataReader.rows(of: result.csv)
            let correct = rows.filter { $0.objectResponse == $0.category }.count
            summaries.append(Summary(dataset: item.name, images: result.images,
                                     accuracy: Double(correct) / Double(max(rows.count, 1)), csv: result.csv,
                                     seconds: result.seconds))
        }
        return summaries
    }
}
