import ArgumentParser
import Dispatch
import Evaluation
import Foundation
import Imaging
import Models

/// `oodbench bench external`: the external-model protocol's cost per image, with a child that answers at once,
/// against the same evaluation with an in-process model that answers at once (timed in the same run).
struct BenchExternalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "external",
        abstract: "Protocol overhead of external:COMMAND models per image (instant-answer child vs in-process).",
        discussion: """
        Writes N small PNG stimuli to a temporary folder, then evaluates them (a) with an in-process model that \
        returns constant probabilities and (b) with external:python3 INSTANT-CHILD, a standard-library child that \
        answers every batch with precomputed constant rows (no compute of its own). The difference per image is \
        the protocol's overhead: spawning aside, JSON encoding in the child, the pipe, parsing and checking here. \
        Also times bare classify(files:) round trips without the evaluator. Needs python3. Use a release build.

        Examples:
          oodbench bench external
          oodbench bench external --images 4000 --batch 32 --label-space imagenet1000
          oodbench bench external --input tensor --size 224 --images 256
        """
    )

    @Option(help: "Stimuli to evaluate.")
    var images = 2000

    @Option(help: "Images per batch.")
    var batch = 16

    @Option(help: "Label space of the child: categories16 or imagenet1000 (1000 numbers per image in JSON).")
    var labelSpace = "categories16"

    @Option(help: "Input form: paths or tensor (float32 file of --size images).")
    var input = "paths"

    @Option(help: "Tensor side for --input tensor.")
    var size = 224

    @Option(help: "The Python interpreter of the instant child.")
    var python = "python3"

    func validate() throws {
        guard images > 0, batch > 0, size > 0 else { throw ValidationError("--images, --batch and --size must be positive.") }
        guard ["categories16", "imagenet1000"].contains(labelSpace) else {
            throw ValidationError("--label-space must be categories16 or imagenet1000.")
        }
        guard ["paths", "tensor"].contains(input) else { throw ValidationError("--input must be paths or tensor.") }
    }

    /// A child that answers instantly: constant rows, prebuilt once.
    static let instantChild = #"""
    import json, sys
    k = int(sys.argv[1]); form = sys.argv[2]; size = int(sys.argv[3])
    hello = {"oodbench_protocol": 1, "model": "instant", "label_space": "imagenet1000" if k == 1000 else "categories16",
             "input": {"form": "tensor", "size": size} if form == "tensor" else "paths"}
    print(json.dumps(hello), flush=True)
    row = json.dumps([1.0 / k] * k)
    out = sys.stdout
    for line in sys.stdin:
        req = json.loads(line)
        n = len(req["paths"]) if "paths" in req else req["tensor"]["shape"][0]
        out.write('{"id":%d,"probabilities":[%s]}\n' % (req["id"], ",".join([row] * n)))
        out.flush()
    """#

    /// The in-process reference: reads nothing, answers constant rows.
    final class InstantModel: StimulusFileClassifier, @unchecked Sendable {
        let name = "instant"
        let labelSpace: LabelSpace
        let preprocessing = "none"
        let readsFiles: Bool
        let tensorSize: Int
        init(labelSpace: LabelSpace, readsFiles: Bool, tensorSize: Int) {
            self.labelSpace = labelSpace; self.readsFiles = readsFiles; self.tensorSize = tensorSize
        }
        func classify(files: [URL]) throws -> [[Float]] { rows(files.count) }
        func classify(_ images: [Image8]) throws -> [[Float]] {
            // Same preprocessing work as the external tensor path, so only the protocol differs.
            for image in images { _ = CLIPPreprocessing.normalise(CLIPPreprocessing.evaluationCrop(image, resolution: tensorSize)) }
            return rows(images.count)
        }
        func rows(_ n: Int) -> [[Float]] {
            let k = labelSpace.classCount
            return [[Float]](repeating: [Float](repeating: 1 / Float(k), count: k), count: n)
        }
    }

    func run() throws {
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("oodbench-bench-external-\(getpid())")
        defer { try? fm.removeItem(at: dir) }
        let folder = dir.appendingPathComponent("stimuli/cat")
        try fm.createDirectory(at: folder, withIntermediateDirectories: true)
        var image = Image8(channels: 3, height: 64, width: 64)
        for i in 0..<image.samples.count { image.samples[i] = UInt8(i % 251) }
        let png = try image.pngData()
        for i in 0..<images { try png.write(to: folder.appendingPathComponent(String(format: "cat%06d.png", i))) }
        let stimuli = try Stimulus.list(folder: dir.appendingPathComponent("stimuli"))
        let script = dir.appendingPathComponent("instant_child.py")
        try Data(Self.instantChild.utf8).write(to: script)
        let space: LabelSpace = labelSpace == "imagenet1000" ? .imagenet1000 : .categories16
        let k = space.classCount

        func evaluate(_ model: any ImageClassifier, _ name: String) throws -> Double {
            let out = dir.appendingPathComponent("out-\(name)")
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = try Evaluator(model: model, outputDirectory: out, batchSize: batch, jobs: 2).run(dataset: "bench", stimuli: stimuli)
            return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        }
        let command = "\(python) '\(script.path)' \(k) \(input) \(size)"
        FileHandle.standardError.write(Data("\(images) stimuli, batch \(batch), \(labelSpace), input \(input); child: \(command)\n".utf8))

        let reference = InstantModel(labelSpace: space, readsFiles: input == "paths", tensorSize: size)
        _ = try evaluate(reference, "warmup")
        let referenceSeconds = try evaluate(reference, "reference")

        let spawn0 = DispatchTime.now().uptimeNanoseconds
        let external = try ExternalModel(command: command, timeout: 60, echoStderr: true)
        let spawnSeconds = Double(DispatchTime.now().uptimeNanoseconds - spawn0) / 1e9
        let externalSeconds = try evaluate(external, "external")

        // Bare round trips: classify(files:) on batches of paths, no evaluator, no hashing.
        var roundTrip = 0.0
        if input == "paths" {
            let urls = stimuli.map(\.url)
            let t0 = DispatchTime.now().uptimeNanoseconds
            var start = 0
            while start < urls.count {
                let end = min(start + batch, urls.count)
                let rows = try external.classify(files: Array(urls[start..<end]))
                precondition(rows.count == end - start && rows[0].count == k)
                start = end
            }
            roundTrip = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        }
        external.close()

        let perImage = (externalSeconds - referenceSeconds) / Double(images) * 1000
        print("cores \(ProcessInfo.processInfo.activeProcessorCount); \(images) images, batch \(batch), \(labelSpace), input \(input)")
        print(String(format: "in-process instant model (reference)  %8.3f s  %7.4f ms/image", referenceSeconds, referenceSeconds / Double(images) * 1000))
        print(String(format: "external instant child                %8.3f s  %7.4f ms/image  (+ %.3f s start-up)", externalSeconds, externalSeconds / Double(images) * 1000, spawnSeconds))
        print(String(format: "protocol overhead                     %+8.4f ms/image  (target <= 1 ms)", perImage))
        if input == "paths" {
            print(String(format: "bare classify(files:) round trips     %8.3f s  %7.4f ms/image", roundTrip, roundTrip / Double(images) * 1000))
        }
    }
}
