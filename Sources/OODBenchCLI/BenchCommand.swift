import ArgumentParser

/// `oodbench bench …`: speed and memory figures printed side by side with a reference timed in the same run.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure speed against a reference timed in the same run.",
        subcommands: [
            // One line per benchmark subcommand.
            BenchCLIPCommand.self,
            BenchDistortionsCommand.self,
            BenchReportCommand.self,
            BenchEidolonCommand.self,
            BenchGenerateCommand.self,
            BenchMambaCommand.self,
            EfficientNetBenchCommand.self,
            BenchExternalCommand.self,
        ]
    )
}
