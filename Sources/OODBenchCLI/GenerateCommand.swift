import ArgumentParser
import Datasets
import Foundation

/// `oodbench generate DATASET… --source DIR --out DIR`: builds the parametric datasets from source photographs.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Build the parametric datasets from source images, in model-vs-human layout and file names.",
        discussion: """
        Two source layouts (detected, or set with --layout):
          categories  16 folders airplane/ … truck/ of any PNG/JPEG images; per category, the catalog's count of \
        images per condition (colour 40, power-equalisation and false-colour 35, rotation 20, others 10) is drawn for \
        every condition without replacement (seeded), so each image appears once per dataset.
          imagenet    ImageNet images named by id (n04111531_14126.JPEG, any sub-folders): the human experiment's exact \
        trial list is reproduced, same image, condition and file name as in the human raw data (subject-01's names \
        with _s01_ → _dnn_), read through the manifest.
        Images are brought to 224×224 (resize the shorter side to 256, centre crop 224, as model-vs-human does for \
        other sizes) unless they already are 224×224. Output: OUT/<dataset>/dnn/session-1/*.png plus \
        OUT/<dataset>/generation.json. Finished files are kept, so an interrupted run resumes; every image's seed is \
        derived from (--seed, dataset, file name), so the bytes do not depend on --jobs; eidolon I, II and III of one \
        photograph share one seed, from (--seed, photograph): the same noise planes at coherence 1, 0.3 and 0 \
        (independent between photographs). The datasets are made in one run grouped by source image: each photograph \
        is decoded once, and its eidolon I, II and III share its scale space and its noise planes.

        Examples:
          oodbench generate colour contrast --source photos/ --out stimuli/ --seed 1
          oodbench generate all --source ILSVRC2012/train --out stimuli/ --jobs 2
          oodbench generate uniform-noise --source photos/ --out /tmp/s --per-condition 1 --plan
          oodbench generate contrast --source photos/ --out shared/stimuli --shard 1/4 --jobs 1
        With --shard I/N (or --shard auto under Slurm arrays, Kubernetes Indexed Jobs, OODBENCH_SHARD) only the \
        images p of each dataset's plan with p mod N = I are made; shards may share one OUT folder (each writes only \
        its own files, atomically), and together they write exactly the files of one unsharded run.
        """
    )

    @Argument(help: "Parametric datasets to build (colour … uniform-noise), or `all` for the 12.")
    var datasets: [String]

    @Option(help: "Folder of source images (16 category folders, or ImageNet images named by id).")
    var source: String

    @Option(help: "Output folder; each dataset goes to OUT/<dataset>/dnn/session-1/.")
    var out: String

    @Option(help: "Seed of the image choice and of the random distortions.")
    var seed: UInt64 = 0

    @Option(help: "Worker threads (default: the number of cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Source layout: categories or imagenet (default: detected from the folder).")
    var layout: String?

    @Option(help: "Images per category and condition for the categories layout (default: the catalog's count).")
    var perCondition: Int?

    @Flag(help: "Print the plan (file name, condition, seed, source) as tab-separated lines and make no images.")
    var plan = false

    @Option(help: ArgumentHelp("Make only shard I of N (0-based) of each dataset's images, or 'auto' from "
                               + "SLURM_ARRAY_TASK_ID/COUNT, JOB_COMPLETION_INDEX (with --shard-count) or OODBENCH_SHARD.",
                               valueName: "I/N|auto"))
    var shard: String?

    @Option(help: "Number of shards for --shard auto (a Kubernetes Indexed Job's completions).")
    var shardCount: Int?

    @Flag(help: "Read the human trial lists and data tables only from the mirror or cache, never from the network.")
    var offline = false

    func validate() throws {
        if datasets.isEmpty { throw ValidationError("Name at least one dataset, e.g. `oodbench generate colour --source DIR --out DIR`.") }
        if jobs < 1 { throw ValidationError("--jobs must be at least 1.") }
        if let layout, SourceLayout(rawValue: layout) == nil { throw ValidationError("--layout must be categories or imagenet.") }
        if let perCondition, perCondition < 1 { throw ValidationError("--per-condition must be at least 1.") }
        for name in datasets where name != "all" {
            guard let spec = Catalog.dataset(named: name), spec.isParametric else {
                throw ValidationError("'\(name)' is not one of the 12 parametric datasets: \(Catalog.parametric.map(\.name).joined(separator: ", ")).")
            }
        }
    }

    func run() throws {
        let shard = try Shard.fromOptions(self.shard, count: shardCount)
        let specs = datasets.contains("all") ? Catalog.parametric : try datasets.map { try Catalog.require($0) }
        let sourceURL = URL(fileURLWithPath: source, isDirectory: true)
        let outURL = URL(fileURLWithPath: out, isDirectory: true)
        let chosenLayout = try layout.flatMap(SourceLayout.init(rawValue:)) ?? TrialPlanner.detectLayout(sourceURL)
        if chosenLayout == .imagenet && perCondition != nil {
            throw ValidationError("--per-condition applies to the categories layout only; the imagenet layout follows the human trial list.")
        }
        var plans: [(DatasetSpec, [GenerationTask])] = []
        var index: [String: URL]? = nil
        for spec in specs {
            switch chosenLayout {
            case .categories:
                plans.append((spec, try TrialPlanner.balancedPlan(spec, source: sourceURL, seed: seed, perCondition: perCondition)))
            case .imagenet:
                let resolver = try AssetResolver.fromEnvironment(offline: offline)
                let trials = try resolver.humanTrialList(for: spec)
                if index == nil { index = try TrialPlanner.imagenetIndex(sourceURL) }
                plans.append((spec, try TrialPlanner.imagenetPlan(spec, trials: trials, index: index ?? [:], seed: seed, sourceFolder: sourceURL)))
            }
        }
        if plan {
            for (_, tasks) in plans {
                for task in shard.select(tasks) { print("\(task.dataset)\t\(task.fileName)\t\(task.condition)\t\(task.seed)\t\(task.source.path)") }
            }
            return
        }
        let renderer = try StimulusRenderers.standard(resolver: AssetResolver.fromEnvironment(offline: offline))
        var selected: [(spec: DatasetSpec, tasks: [GenerationTask])] = []
        for (spec, tasks) in plans {
            let record = GenerationRecord(dataset: spec.name, seed: seed, layout: chosenLayout.rawValue,
                                          perCondition: perCondition ?? spec.imagesPerCategoryAndCondition,
                                          images: tasks.count, tool: "oodbench \(OODBench.version)")
            try record.claim(out: outURL)
            selected.append((spec, shard.select(tasks)))
        }
        // One run over every dataset: the generator groups tasks by source photograph (decoded once, and one
        // scale space for eidolon I, II and III).
        let label = selected.count == 1 ? selected[0].spec.name : "\(selected.count) datasets"
        let progress = ProgressLine()
        let started = Date()
        let generator = Generator(renderer: renderer, jobs: jobs) { p in
            let rate = Double(p.done - p.kept) / max(Date().timeIntervalSince(started), 1e-3)
            progress.update("\(label): \(p.done)/\(p.total) (\(p.kept) kept) \(String(format: "%.0f", rate)) img/s")
        }
        let counts: GenerationCounts
        do {
            counts = try generator.run(selected.flatMap(\.tasks), out: outURL)
            progress.finish()
        } catch {
            progress.finish()
            throw error
        }
        for entry in selected {
            let name = entry.spec.name
            print("\(name)\(shard.isWhole ? "" : " shard \(shard)"): \(counts.writtenByDataset[name, default: 0]) written, "
                  + "\(counts.keptByDataset[name, default: 0]) kept → \(Generator.imageFolder(out: outURL, dataset: name).path)")
        }
    }
}
