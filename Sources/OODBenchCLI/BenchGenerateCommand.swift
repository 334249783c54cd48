import ArgumentParser
import Datasets
import Foundation
import Imaging
#if canImport(Glibc)
import Glibc
#endif

/// `oodbench bench generate`: the 12 parametric datasets (14,880 stimuli at 224 px) on all cores.
struct BenchGenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Time `generate` for all 12 parametric datasets (14,880 images at 224 px) and report peak memory.",
        discussion: """
        Sources: 16 category folders of 80 images each, made of links to the mirror's texture-vs-shape images \
        (edge, silhouette, the cue-conflict subset; 224×224), unless --source names a folder of your own. With \
        --layout imagenet the same images are linked under the ImageNet ids of the human trial lists (one file per \
        id), and each dataset reproduces its human trial list, as `generate` does from ImageNet: the three eidolon \
        datasets then use disjoint photographs, as in the human experiment, so their noise planes are not shared. The run \
        writes to a temporary folder that is deleted afterwards. Timed in the same run as the reference: the I/O \
        floor (decode + PNG encode without any distortion) and each dataset's single-thread cost per image; then all \
        datasets are generated in one run, as `generate` makes them (grouped by source image: a photograph's eidolon \
        I, II and III share its scale space and, through their shared seed, its noise planes). The \
        Python reference (about an hour for the 12 datasets, issue 5) needs the Eidolon toolbox and is not timed here.

        Examples:
          oodbench bench generate
          oodbench bench generate --jobs 1 --datasets colour,contrast
          oodbench bench generate --source photos/ --keep /tmp/stimuli
          oodbench bench generate --layout imagenet
        """
    )

    @Option(help: "16 category folders with enough images (default: links to the mirror's texture-vs-shape images).")
    var source: String?

    @Option(help: "Worker threads (default: the number of cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Comma-separated datasets (default: the 12 parametric datasets).")
    var datasets: String?

    @Option(help: "Images per dataset timed on one thread for the per-image table.")
    var sample = 16

    @Option(help: "Keep the generated stimuli in this folder instead of a temporary one.")
    var keep: String?

    @Option(help: "categories (balanced plan from 16 category folders) or imagenet (the human trial lists, from images named by ImageNet id).")
    var layout = "categories"

    func validate() throws {
        if jobs < 1 { throw ValidationError("--jobs must be at least 1.") }
        if sample < 1 { throw ValidationError("--sample must be at least 1.") }
        if SourceLayout(rawValue: layout) == nil { throw ValidationError("--layout must be categories or imagenet.") }
        if layout == "imagenet" && source != nil { throw ValidationError("--layout imagenet links its own sources; --source applies to categories.") }
    }

    func run() throws {
        let specs = try (datasets?.split(separator: ",").map { try Catalog.require(String($0)) } ?? Catalog.parametric)
        guard specs.allSatisfy(\.isParametric) else { throw ValidationError("--datasets takes parametric datasets only.") }
        let resolver = try AssetResolver.fromEnvironment(offline: true)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("oodbench-bench-generate-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let out = keep.map { URL(fileURLWithPath: $0) } ?? scratch.appendingPathComponent("out")
        let renderer = try StimulusRenderers.standard(resolver: resolver)
        let plans: [(DatasetSpec, [GenerationTask])]
        if layout == "imagenet" {
            let trials = try specs.map { spec in (spec, try resolver.humanTrialList(for: spec)) }
            let ids = Set(trials.flatMap { $0.1.map { ($0.imageID as NSString).deletingPathExtension } })
            let folder = try Self.linkedImagenetSources(ids: ids.sorted(), resolver: resolver,
                                                        into: scratch.appendingPathComponent("source"))
            let index = try TrialPlanner.imagenetIndex(folder)
            plans = try trials.map { spec, list in
                (spec, try TrialPlanner.imagenetPlan(spec, trials: list, index: index, seed: 0, sourceFolder: folder))
            }
        } else {
            let sourceFolder = try source.map { URL(fileURLWithPath: $0) } ?? Self.linkedSources(resolver: resolver, into: scratch.appendingPathComponent("source"))
            plans = try specs.map { ($0, try TrialPlanner.balancedPlan($0, source: sourceFolder, seed: 0)) }
        }
        let total = plans.reduce(0) { $0 + $1.1.count }
        print("bench generate: \(specs.count) datasets, \(total) images at 224 px, \(layout) layout, \(jobs) worker(s), \(ProcessInfo.processInfo.activeProcessorCount) cores")

        // Reference timed in this run: the I/O floor and each dataset's one-thread cost.
        let floorTasks = Array(plans[0].1.prefix(sample))
        let floorMs = try Self.median(floorTasks.map { task in
            try Self.time { _ = try SourceImageFloor.render(task) }
        }) * 1000
        print(String(format: "I/O floor (decode + 224 px + PNG encode, no distortion), one thread: %.2f ms/image", floorMs))
        print("dataset               images  ms/image (1 thread)")
        var predicted = 0.0
        for (spec, tasks) in plans {
            let sampleTasks = Array(tasks.prefix(sample))
            let perImage = try Self.median(sampleTasks.map { task in try Self.time { _ = try renderer.render(task) } }) * 1000
            predicted += perImage * Double(tasks.count) / 1000
            let name = spec.name.padding(toLength: 20, withPad: " ", startingAt: 0)
            print(String(format: "%@ %7d  %19.2f", name, tasks.count, perImage))
        }
        // One run over all datasets, as `generate` does it: tasks grouped by source photograph (one decode for every
        // dataset; one scale space and one set of noise planes for eidolon I, II and III).
        let t0 = Date()
        try Generator(renderer: renderer, jobs: jobs).run(plans.flatMap(\.1), out: out)
        let wall = Date().timeIntervalSince(t0)
        let verdict = specs.count == 12 ? (wall <= 180 ? "; target ≤ 180 s for the 12 datasets on 2 cores: met" : "; target ≤ 180 s for the 12 datasets on 2 cores: NOT met") : ""
        print(String(format: "total: %d images in %.1f s (%.0f img/s) on %d worker(s), peak RSS %.0f MiB%@", total, wall,
                     Double(total) / wall, jobs, Self.peakRSSMiB(), verdict))
        print(String(format: "one thread, every stimulus made alone (the per-image table): %.0f s; the joint run was %.2fx "
                     + "faster (its workers, and the work shared between the datasets of one photograph); I/O floor alone: %.0f s",
                     predicted, predicted / wall, floorMs * Double(total) / 1000))
        print("(wall times count the generation only, not the one-thread sampling; the machine's other load is not controlled)")
    }

    /// The mirror's 224 px texture-vs-shape images (edge, silhouette, the cue-conflict subset) by category.
    static func imagePools(resolver: AssetResolver) throws -> [String: [URL]] {
        let fm = FileManager.default
        var pools: [String: [URL]] = [:]
        for name in ["edge", "silhouette", "cue-conflict"] {
            let root = try resolver.datasetFolder(name, allowSubset: true)
            for category in Catalog.categories {
                let dir = root.appendingPathComponent(category)
                let files = ((try? fm.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.hasSuffix(".png") }.sorted()
                pools[category, default: []] += files.map { dir.appendingPathComponent($0) }
            }
        }
        return pools
    }

    /// One link per ImageNet id (`<id>.png`), cycling through all the pools' images.
    static func linkedImagenetSources(ids: [String], resolver: AssetResolver, into folder: URL) throws -> URL {
        let pool = try imagePools(resolver: resolver).sorted { $0.key < $1.key }.flatMap(\.value)
        guard !pool.isEmpty else { throw CLIError("no source images in the mirror's texture-vs-shape folders") }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (i, id) in ids.enumerated() {
            try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent("\(id).png"),
                                                       withDestinationURL: pool[i % pool.count])
        }
        return folder
    }

    /// Category folders of 80 links each, cycling through the mirror's 224 px texture-vs-shape images.
    static func linkedSources(resolver: AssetResolver, into folder: URL) throws -> URL {
        let fm = FileManager.default
        let pools = try imagePools(resolver: resolver)
        let perCategory = Catalog.parametric.map(\.imagesPerCategory).max() ?? 80
        for category in Catalog.categories {
            let pool = pools[category] ?? []
            guard !pool.isEmpty else { throw CLIError("no source images for \(category) in the mirror") }
            let dir = folder.appendingPathComponent(category)
            try fm.createDirectory(at: dir, withIntermediateDirectories: true)
            for i in 0..<perCategory {
                try fm.createSymbolicLink(at: dir.appendingPathComponent(String(format: "src%03d.png", i)),
                                          withDestinationURL: pool[i % pool.count])
            }
        }
        return folder
    }

    static func time(_ body: () throws -> Void) rethrows -> Double {
        let t0 = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    }

    static func median(_ values: [Double]) throws -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { throw CLIError("nothing to time") }
        return sorted[sorted.count / 2]
    }

    static func peakRSSMiB() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024  // KiB on Linux
    }
}

/// The I/O floor of one stimulus: decode the source, make it 224 × 224 RGB, encode a PNG (no distortion).
enum SourceImageFloor {
    static func render(_ task: GenerationTask) throws -> Data {
        let image = try Image8(contentsOf: task.source)
        let rgb = image.width == 224 && image.height == 224 ? image
            : image.resized(width: 224, height: 224, filter: .bilinear)
        return try rgb.pngData(compression: .fast)
    }
}
