import ArgumentParser
import Datasets
import Dispatch
import Distortions
import Evaluation
import Foundation
import Imaging
import Models
import Reports
import Scoring

/// `oodbench demo`: the whole benchmark in one command — real model, real stimuli, real human data, a report.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Evaluate the default model on cue-conflict, edge and silhouette and write a report with the humans.",
        discussion: """
        Stages: (1) find the human and reference-model raw data, the stimuli and the sample photographs \
        (offline mirror first, else the pinned downloads of datasets-manifest/); (2) evaluate the model \
        (default efficientnet-lite0) on cue-conflict, edge and silhouette; (3) render every parametric distortion \
        at every level on the sample photographs; (4) score against the humans and the seven reference models \
        and write OUT/index.html with the CSV tables. cue-conflict offline is the mirror's 321-of-1280 subset: it is \
        scored as a labelled subset (humans and reference models restricted to the same images) in \
        OUT/cue-conflict-subset/; the main page scores the complete data (edge and silhouette for the new model). \
        Evaluation results are kept in WORK, so a second run reuses them.

        Examples:
          oodbench demo
          oodbench demo --out reports/demo --batch 32
          OODBENCH_MIRROR=../shared/reference-data oodbench demo --model efficientnet-lite0:/path/to/weights.pth
        """
    )

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: ArgumentHelp("Report folder (replaced atomically).", valueName: "dir"))
    var out: String = "reports/demo"

    @Option(help: ArgumentHelp("Folder for evaluation results and prepared raw data, kept between runs.",
                               valueName: "dir"))
    var work: String = "reports/demo-data"

    @Option(help: "Images per model call.")
    var batch: Int = 16

    @Option(help: "Threads decoding images.")
    var jobs: Int = 2

    func validate() throws {
        guard batch >= 1, jobs >= 1 else { throw ValidationError("--batch and --jobs must be at least 1.") }
    }

    static let datasets = ["cue-conflict", "edge", "silhouette"]
    static let photoGroup = "generalisation-humans-dnns"

    func run() async throws {
        var timings: [(stage: String, seconds: Double)] = []
        func stage<T>(_ name: String, _ body: () throws -> T) throws -> T {
            FileHandle.standardError.write(Data("== \(name)\n".utf8))
            let t0 = DispatchTime.now().uptimeNanoseconds
            let value = try body()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            timings.append((name, seconds))
            FileHandle.standardError.write(Data(String(format: "   %@: %.1f s\n", name, seconds).utf8))
            return value
        }
        let fm = FileManager.default
        let outURL = URL(fileURLWithPath: out, isDirectory: true).standardizedFileURL
        let workURL = URL(fileURLWithPath: work, isDirectory: true).standardizedFileURL

        // 1. Data: stimuli, raw data, photographs, distortion tables.
        let data = try stage("find data") { try DemoData.locate(work: workURL) }

        // 2. The model on the three datasets.
        let model = try stage("load model") { try modelOptions.makeClassifier() }
        let modelResults = workURL.appendingPathComponent("results/\(model.name)", isDirectory: true)
        let summaries = try stage("evaluate \(model.name)") {
            try EvaluateCommand.evaluate(model: model, spec: modelOptions.model,
                                         plan: Self.datasets.map { ($0, data.stimuli[$0]!.folder, data.stimuli[$0]!.fullCount) },
                                         out: modelResults, batch: batch, jobs: jobs)
        }

        // 3. The gallery, rendered beside the report and moved in after it is written.
        let galleryTemp = workURL.appendingPathComponent("gallery", isDirectory: true)
        let sheets = try stage("render distortion gallery") {
            try? fm.removeItem(at: galleryTemp)
            return try DemoGallery(photos: data.photos, tables: data.tables).render(into: galleryTemp)
        }

        // 4. Scoring and the report.
        let written = try stage("score and write report") {
            try DemoReport(model: model.name, data: data, modelResults: modelResults, work: workURL,
                           evaluation: summaries).write(to: outURL, gallery: (galleryTemp, sheets))
        }

        print("report: \(outURL.appendingPathComponent("index.html").path)")
        for line in written.lines { print(line) }
        print("stage timings:")
        func line(_ name: String, _ seconds: Double) -> String {
            "  " + name.padding(toLength: 30, withPad: " ", startingAt: 0) + String(format: "%7.1f s", seconds)
        }
        for t in timings { print(line(t.stage, t.seconds)) }
        print(line("total", timings.map(\.seconds).reduce(0, +)))
    }
}

/// Everything the demo reads, located through the datasets resolver (mirror, cache, pinned downloads).
struct DemoData {
    /// Per dataset: the stimulus folder and the full dataset's image count.
    var stimuli: [String: (folder: URL, fullCount: Int)] = [:]
    /// `<work>/reference/humans` and `<work>/reference/models`: copies of the verified raw data, `<dataset>/*.csv`.
    var humans: URL
    var referenceModels: URL
    var photos: [(name: String, image: Image8)] = []
    var tables: DistortionTables?

    static func locate(work: URL) throws -> DemoData {
        let fm = FileManager.default
        var resolver = try AssetResolver.fromEnvironment()
        resolver.progress = { p in
            FileHandle.standardError.write(Data("   downloading \(p.name): \(p.received) bytes\n".utf8))
        }
        var data = DemoData(humans: work.appendingPathComponent("reference/humans", isDirectory: true),
                            referenceModels: work.appendingPathComponent("reference/models", isDirectory: true))
        for name in DemoCommand.datasets {
            let folder = try resolver.datasetFolder(name, allowSubset: true)
            data.stimuli[name] = (folder, try Catalog.require(name).imageCount)
        }
        for (group, target) in [("model-vs-human-human-raw-data", data.humans),
                                ("model-vs-human-model-raw-data", data.referenceModels)] {
            for asset in try resolver.manifest.group(group).files where asset.path.hasSuffix(".csv") {
                let source = try resolver.file(group: group, path: asset.path)
                let dataset = source.deletingLastPathComponent().lastPathComponent
                let dir = target.appendingPathComponent(dataset, isDirectory: true)
                let copy = dir.appendingPathComponent(source.lastPathComponent)
                if fm.fileExists(atPath: copy.path) { continue }
                try fm.createDirectory(at: dir, withIntermediateDirectories: true)
                try fm.copyItem(at: source, to: copy)
            }
        }
        let photoGroup = try resolver.manifest.group(DemoCommand.photoGroup)
        for asset in photoGroup.files where Stimulus.isImageName((asset.path as NSString).lastPathComponent) {
            let url = try resolver.file(group: photoGroup.name, path: asset.path)
            data.photos.append((url.lastPathComponent, try Image8(contentsOf: url)))
        }
        data.tables = try DistortionTables(
            meanAmplitudeSpectrum: resolver.file(group: photoGroup.name, path: "code/\(DistortionTables.meanAmplitudeSpectrumFileName)"),
            gammaTable: resolver.file(group: photoGroup.name, path: "code/\(DistortionTables.gammaTableFileName)"))
        return data
    }
}
