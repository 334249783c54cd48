import ArgumentParser
import Evaluation
import Foundation
import Reports
import Scoring

/// `oodbench report`: scores raw-data CSVs against the human data and writes the HTML/SVG/CSV report.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Score models against the human data and write an HTML report with figures and CSV tables.",
        discussion: """
        Each RESULTS folder holds raw-data CSVs in model-vs-human's layout, raw-data/<dataset>/*.csv or \
        <dataset>/*.csv, of one or more models; rows of human subjects (subject-…) are refused there. The report \
        computes what model-vs-human computes (OOD accuracy, accuracy difference, observed and error consistency, \
        shape bias, ranks) and writes DIR/index.html (one self-contained page), DIR/figures/*.svg and the tables \
        benchmark.csv, accuracy.csv, consistency.csv and shape-bias.csv. DIR is replaced as a whole.

        Examples:
          oodbench report ../shared/reference-data/model-vs-human/raw-data-models
          oodbench report runs/my-model --out reports/mine
          oodbench report runs/a runs/b --humans path/to/raw-data --out reports/ab
          oodbench report runs/e0/shard-0 runs/e0/shard-1 --out reports/e0   # shards of evaluate --shard, merged first
        """
    )

    @Argument(help: "Folders with model raw-data CSVs (raw-data/<dataset>/*.csv or <dataset>/*.csv).")
    var results: [String]

    @Option(name: .long, help: "Report folder to write (replaced as a whole).")
    var out: String = "reports/report"

    @Option(name: .long, help: "Folder with the human raw-data CSVs (default: $OODBENCH_MIRROR/model-vs-human/raw-data).")
    var humans: String?

    func validate() throws {
        if results.isEmpty { throw ValidationError("Give at least one RESULTS folder with raw-data CSVs.") }
    }

    func run() async throws {
        let start = Date()
        let humansFolder = try humans.map { URL(fileURLWithPath: $0) } ?? Self.defaultHumanData()
        do {
            let folders = try Self.mergingShards(results.map { URL(fileURLWithPath: $0) })
            defer { for f in folders where f.lastPathComponent.hasPrefix("oodbench-report-merge-") { try? FileManager.default.removeItem(at: f) } }
            let data = try RawDataSet.load(results: folders, humans: humansFolder)
            let result = Scorer.score(data)
            let written = try Report.write(result, inputs: data.files, toolVersion: OODBench.version,
                                           to: URL(fileURLWithPath: out))
            for note in result.notes { FileHandle.standardError.write(Data("note: \(note)\n".utf8)) }
            let seconds = Date().timeIntervalSince(start)
            print("\(written.folder.appendingPathComponent("index.html").path)")
            FileHandle.standardError.write(Data(String(
                format: "report: %d models + humans, %d datasets, %d figures, %d input files in %.2f s\n",
                result.decisionMakers.count - 1, result.datasets.count, written.figures.count, data.files.count,
                seconds).utf8))
        } catch let error as ScoringError {
            throw CLIError(error.description)
        } catch let error as ReportsError {
            throw CLIError(error.description)
        }
    }

    /// Folders of `evaluate --shard` runs (a run.json with shard entries) are merged (``ShardMerge``, same checks
    /// as `oodbench merge`) into one temporary folder that takes their place.
    static func mergingShards(_ folders: [URL]) throws -> [URL] {
        let isShard = { (url: URL) in
            RunRecord.read(url.appendingPathComponent("run.json"))?.datasets.contains { $0.shard != nil } ?? false
        }
        let shards = folders.filter(isShard)
        guard !shards.isEmpty else { return folders }
        let merged = FileManager.default.temporaryDirectory.appendingPathComponent("oodbench-report-merge-\(UUID().uuidString)")
        do { try ShardMerge.merge(runs: shards, out: merged) } catch let error as ShardMergeError {
            throw CLIError(error.description)
        } catch let error as EvaluationError {
            throw CLIError(error.description)
        }
        return folders.filter { !isShard($0) } + [merged]
    }

    /// The human raw data when `--humans` is not given: for now the offline mirror's
    /// `model-vs-human/raw-data` (``OfflineMirror``); the dataset manifest will resolve it here later.
    static func defaultHumanData() throws -> URL {
        guard let root = OfflineMirror.root() else {
            throw ValidationError("No human data found: give --humans DIR or set OODBENCH_MIRROR to the shared/reference-data folder.")
        }
        return root.appendingPathComponent("model-vs-human/raw-data", isDirectory: true)
    }
}
