import ArgumentParser
import Foundation
import Reports
import Scoring

/// `oodbench bench report`: times the whole report (read, score, render, write) on the reference data.
struct BenchReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Time `oodbench report` on the 7 reference models + humans (17 datasets).",
        discussion: """
        Runs the report several times into a temporary folder and prints the median time of each stage and the \
        process's CPU time, next to the time it takes only to read the input bytes (the I/O floor, timed in the \
        same run). The Python toolbox needs minutes for the same numbers and figures.

        Examples:
          oodbench bench report
          oodbench bench report --runs 5 --results runs/my-model
        """
    )

    @Option(name: .long, help: "Model results folder (default: $OODBENCH_MIRROR/model-vs-human/raw-data-models).")
    var results: String?

    @Option(name: .long, help: "Human data folder (default: as `oodbench report`).")
    var humans: String?

    @Option(name: .long, help: "Timed runs after one warm-up run.")
    var runs: Int = 3

    func validate() throws {
        if runs < 1 { throw ValidationError("--runs must be at least 1.") }
    }

    func run() async throws {
        let humansFolder = try humans.map { URL(fileURLWithPath: $0) } ?? ReportCommand.defaultHumanData()
        let resultsFolder = results.map { URL(fileURLWithPath: $0) }
            ?? humansFolder.deletingLastPathComponent().appendingPathComponent("raw-data-models")
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("oodbench-bench-report-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        var read: [Double] = [], score: [Double] = [], write: [Double] = [], total: [Double] = [], floor: [Double] = []
        var cpu: [Double] = []
        var summary = ""
        do {
            for run in 0...runs {
                let t0 = Date(), c0 = Self.cpuSeconds()
                let data = try RawDataSet.load(results: [resultsFolder], humans: humansFolder)
                let t1 = Date()
                let result = Scorer.score(data)
                let t2 = Date()
                let written = try Report.write(result, inputs: data.files, toolVersion: OODBench.version, to: out)
                let t3 = Date(), c3 = Self.cpuSeconds()
                var bytes = 0
                for url in data.files { bytes += (try? Data(contentsOf: url).count) ?? 0 }
                let t4 = Date()
                summary = "\(result.decisionMakers.count - 1) models + humans, \(result.datasets.count) datasets, "
                    + "\(data.files.count) CSV files (\(bytes / 1_000_000) MB), \(written.figures.count) figures"
                if run == 0 { continue }   // warm-up
                read.append(t1.timeIntervalSince(t0)); score.append(t2.timeIntervalSince(t1))
                write.append(t3.timeIntervalSince(t2)); total.append(t3.timeIntervalSince(t0))
                floor.append(t4.timeIntervalSince(t3))
                cpu.append(c3 - c0)
            }
        } catch let error as ScoringError {
            throw CLIError(error.description)
        } catch let error as ReportsError {
            throw CLIError(error.description)
        }
        func median(_ v: [Double]) -> Double { v.sorted()[v.count / 2] }
        print("bench report: \(summary); median of \(runs) runs; \(ProcessInfo.processInfo.activeProcessorCount) cores, load average \(Self.loadAverage())")
        print(String(format: "  read + check CSVs   %7.3f s", median(read)))
        print(String(format: "  score               %7.3f s", median(score)))
        print(String(format: "  render + write      %7.3f s  (figures, HTML, CSV tables, sha256 of inputs)", median(write)))
        print(String(format: "  total               %7.3f s  (target <= 3 s); CPU time of the process %.3f s", median(total), median(cpu)))
        print(String(format: "  reference: reading the input bytes only  %7.3f s  (total = %.1fx)", median(floor),
                     median(total) / max(median(floor), 1e-9)))
    }

    /// CPU seconds this process has used (user + system), to tell own work from waiting on a busy machine.
    static func cpuSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    static func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first.map(String.init) ?? "n/a"
    }
}
