import ArgumentParser
import Evaluation
import Foundation

/// `oodbench merge RUN_DIRS… --out DIR`: joins `evaluate --shard I/N` outputs into one run's raw-data CSVs.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Check and join the output folders of sharded evaluate runs into the CSVs of one run.",
        discussion: """
        Reads each folder's run.json; per model and dataset the shards must be complete (0/N … N-1/N), disjoint, \
        and from the same model facts (name, preprocessing, decision mapping, weights hash) and the same stimuli \
        (dataset sha256), else nothing is written and the problem is named. Writes OUT/raw-data/<dataset>/<csv>, \
        byte-identical to an unsharded run (same rows, trial numbers and order), and OUT/run.json for one model.

        Examples:
          oodbench merge results/e0-shard0 results/e0-shard1 results/e0-shard2 --out results/e0
          oodbench merge results/shards/* --out results/e0 && oodbench report results/e0 --out reports/e0
        """
    )

    @Argument(help: "Output folders of `oodbench evaluate --shard I/N` (any order).")
    var runs: [String]

    @Option(help: ArgumentHelp("Folder for the merged raw-data/ and run.json.", valueName: "dir"))
    var out: String

    func validate() throws {
        if runs.isEmpty { throw ValidationError("Give the shard folders: oodbench merge DIR… --out DIR") }
    }

    func run() throws {
        let merged: [ShardMerge.Merged]
        do {
            merged = try ShardMerge.merge(runs: runs.map { URL(fileURLWithPath: $0, isDirectory: true) },
                                          out: URL(fileURLWithPath: out, isDirectory: true))
        } catch let error as ShardMergeError {
            throw CLIError(error.description)
        } catch let error as EvaluationError {
            throw CLIError(error.description)
        }
        for m in merged { print("\(m.model)\t\(m.dataset)\t\(m.shards) shards\t\(m.rows) trials\t\(m.csv.path)") }
    }
}
