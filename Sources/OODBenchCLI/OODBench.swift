import ArgumentParser

/// The `oodbench` command. Each subcommand lives in its own file, named after it.
@main
struct OODBench: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "oodbench",
        abstract: "Out-of-distribution robustness and human-likeness of vision models (model-vs-human, natively).",
        discussion: """
        Reproduces the benchmark of Geirhos et al. (model-vs-human): distorted datasets, native CLIP and \
        CLIP-Mamba inference, scoring against the human laboratory data, and a self-contained HTML report.

        Start with `oodbench demo`; the data come from $OODBENCH_MIRROR or the verified cache.
        """,
        version: version,
        subcommands: [
            // One line per subcommand; keep alphabetical within the pipeline order.
            DistortCommand.self,
            DatasetsCommand.self,
            GenerateCommand.self,
            EvaluateCommand.self,
            MergeCommand.self,
            EmbedCommand.self,
            ReportCommand.self,
            DemoCommand.self,
            BenchCommand.self,
        ]
    )
}
