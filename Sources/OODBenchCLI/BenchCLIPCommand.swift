import ArgumentParser
import Foundation
import Inference
import Models

/// `oodbench bench clip`: ViT-B/32 (seeded weights) image and text tower throughput, the GEMM rate inside the
/// image tower against a plain sgemm of the towers' main shape timed in the same run, the model-vs-human text
/// classifier on its real prompts, peak memory, and (with `--python`) open_clip in PyTorch timed in the same run.
struct BenchCLIPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clip",
        abstract: "CLIP tower throughput and GEMM efficiency (seeded ViT-B/32 weights), optionally against open_clip.",
        discussion: """
        Builds a CLIP model with formula weights (no download), then times a plain sgemm of the image tower's \
        largest GEMM shape, the image tower (images/s; the rate inside its GEMMs as a share of the plain sgemm), \
        the text tower on 10-token prompts (texts/s) and, when the offline mirror is found, the model-vs-human \
        zero-shot text classifier on its real prompts (80 templates x 1000 class names: a sample of --head-classes \
        classes, extrapolated to all 80,000 prompts), built both ways in the same run: plain (every prompt in \
        full) and prefix-shared (each template's common token prefix once, then only the suffixes up to EOT; the \
        default), alternating, the median of --classifier-runs builds each. Each other figure is the median of at \
        least 3 runs and --seconds. \
        The header states the OpenBLAS core type and the load average; a warning is printed when \
        OPENBLAS_CORETYPE forces (or OpenBLAS's detection picks) pre-AVX-512 kernels on an AVX-512 CPU. \
        With --python, open_clip's towers (random weights, same batches, same thread count) are timed in a child \
        process running scripts/bench_open_clip.py. Use a release build.

        Examples:
          oodbench bench clip
          oodbench bench clip --threads 2 --python /tmp/venv-torch/bin/python
          oodbench bench clip --batch 64 --head-classes 1000 --json
          oodbench bench clip --head-classes 100 --classifier-runs 3 --seconds 0
        """
    )

    @Option(help: "Images per image-tower batch.")
    var batch = 16

    @Option(help: "Prompts per text-tower batch.")
    var textBatch = 256

    @Option(help: "Architecture (open_clip name) of the seeded model.")
    var arch = "ViT-B-32-quickgelu"

    @Option(help: "OpenBLAS threads, and PyTorch's with --python (default: OpenBLAS's own choice).")
    var threads: Int?

    @Option(help: "Minimum seconds per measurement.")
    var seconds = 1.0

    @Option(help: "Classes of the model-vs-human text classifier to encode (80 prompts each; 1000 = all 80,000; 0 skips it).")
    var headClasses = 20

    @Option(help: "Builds of the text classifier per path (plain and prefix-shared, alternating; the median is reported).")
    var classifierRuns = 1

    @Option(help: ArgumentHelp("A Python with torch and open_clip_torch: time open_clip in the same run.", valueName: "path"))
    var python: String?

    @Option(help: ArgumentHelp("The PyTorch timing script (default: scripts/bench_open_clip.py of the working directory or of the package holding the executable).", valueName: "path"))
    var referenceScript: String?

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        guard batch > 0, textBatch > 0 else { throw ValidationError("--batch and --text-batch must be positive.") }
        guard (0...1000).contains(headClasses) else { throw ValidationError("--head-classes must be in 0...1000.") }
        guard seconds >= 0 else { throw ValidationError("--seconds must not be negative.") }
        guard classifierRuns > 0 else { throw ValidationError("--classifier-runs must be positive.") }
        guard CLIPConfig.named(arch) != nil else {
            throw ValidationError("--arch must be one of: \(CLIPConfig.knownNames.joined(separator: ", ")).")
        }
    }

    /// Median seconds per run of `body`, repeated until `seconds` and 3 runs have passed.
    func measure(_ body: () throws -> Void) rethrows -> Double {
        var times: [Double] = []
        let start = Date()
        repeat {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        } while times.count < 3 || Date().timeIntervalSince(start) < seconds
        times.sort()
        return times[times.count / 2]
    }

    func note(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }

    func run() throws {
        if let threads { BLASInfo.setThreads(threads) }
        let env = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"]
        let avx512 = BLASInfo.cpuHasAVX512
        let core = BLASInfo.coreName
        if let warning = BLASInfo.kernelWarning() { note(warning) }
        let loadStart = Self.loadAverage()
        let config = CLIPConfig.named(arch)!
        note("building seeded \(arch) weights…")
        let model = try CLIPSeededWeights.model(config: config)
        guard case let .vit(width, _, _, patch) = config.vision else { throw CLIError("--arch must be a ViT") }
        let tokens = (config.imageSize / patch) * (config.imageSize / patch) + 1

        // Reference: a plain sgemm of the MLP's first GEMM ([batch·tokens, W] × [W, 4W]).
        note("timing sgemm, image tower, text tower…")
        let m = batch * tokens, n = 4 * width, k = width
        let a = [Float](repeating: 0.5, count: m * k), b = [Float](repeating: 0.25, count: n * k)
        var c = [Float](repeating: 0, count: m * n)
        let gemmSeconds = measure { gemm(transB: true, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: k, c: &c, ldc: n) }
        let sgemmRate = 2.0 * Double(m * n * k) / gemmSeconds / 1e9

        // Image tower.
        let per = 3 * config.imageSize * config.imageSize
        let pixels = (0..<(batch * per)).map { Float(sin(Double($0) * 0.001)) }
        _ = model.encodeImages(pixels, count: batch)  // warm-up
        GemmStats.start()
        var imageRuns = 0
        let imageSeconds = measure { _ = model.encodeImages(pixels, count: batch); imageRuns += 1 }
        let (gemmTime, gemmFlops) = GemmStats.stop()
        let imagesPerSecond = Double(batch) / imageSeconds
        let insideRate = Double(gemmFlops) / gemmTime / 1e9
        let totalImageTime = imageSeconds * Double(imageRuns)
        let peakAfterImages = Self.peakMemoryMB()

        // Text tower: short prompts, 10 ids including SOT and EOT.
        let row: [Int32] = [49_406, 320, 1125, 539, 320, 2368, 1615, 4629, 269, 49_407] + [Int32](repeating: 0, count: 67)
        let prompts = [[Int32]](repeating: row, count: textBatch)
        _ = try model.encodeTexts(prompts)
        let textSeconds = try measure { _ = try model.encodeTexts(prompts) }
        let textsPerSecond = Double(textBatch) / textSeconds

        // The model-vs-human text classifier on its real prompts.
        var head: [String: Any] = [:]
        if headClasses > 0 {
            do {
                let (names, templates) = try CLIPResources.protocolData(.imagenet1000)
                let tokenizer = try CLIPTokenizer(vocabulary: try CLIPResources.vocabulary(explicit: nil, spec: nil), variant: .openClip)
                var lengths = 0
                for name in names.prefix(headClasses) {
                    for t in templates { lengths += tokenizer.tokenize(t.replacingOccurrences(of: "{}", with: name)).ids.firstIndex(of: 49_407).map { $0 + 1 } ?? 77 }
                }
                let sample = Array(names.prefix(headClasses)), count = headClasses * templates.count
                // Both paths on the same prompts, alternating, each the median of `classifierRuns` builds: every prompt
                // in full (plain) and each template's shared prefix once (prefix-shared, the default).
                var plainTimes: [Double] = [], sharedTimes: [Double] = []
                var plainHead: ZeroShotHead?, sharedHead: ZeroShotHead?
                for run in 0..<classifierRuns {
                    note("text classifier, run \(run + 1) of \(classifierRuns): \(count) prompts of \(headClasses) classes, plain then prefix-shared…")
                    for share in [false, true] {
                        let t0 = DispatchTime.now().uptimeNanoseconds
                        let h = try ZeroShotHead.build(model: model, tokenizer: tokenizer, classNames: sample, templates: templates,
                                                       batch: textBatch, sharePrefixes: share)
                        let s = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
                        if share { sharedTimes.append(s); sharedHead = h } else { plainTimes.append(s); plainHead = h }
                    }
                }
                let plainS = plainTimes.sorted()[plainTimes.count / 2], sharedS = sharedTimes.sorted()[sharedTimes.count / 2]
                var worst: Float = 0
                for (a, b) in zip(plainHead!.classifier, sharedHead!.classifier) { worst = max(worst, abs(a - b)) }
                head = ["classes": headClasses, "prompts": count, "runs": classifierRuns,
                        "mean_tokens": Double(lengths) / Double(count),
                        "plain_seconds": plainS, "plain_texts_per_s": Double(count) / plainS,
                        "plain_full_classifier_minutes": 80_000 / (Double(count) / plainS) / 60,
                        "seconds": sharedS, "texts_per_s": Double(count) / sharedS,
                        "full_classifier_minutes": 80_000 / (Double(count) / sharedS) / 60,
                        "speedup": plainS / sharedS, "classifier_max_abs_difference": Double(worst)]
            } catch {
                head = ["skipped": "\(error)"]
            }
        }
        let peakMB = Self.peakMemoryMB()
        let loadEnd = Self.loadAverage()

        // PyTorch reference in a child process.
        var reference: [String: Any] = [:]
        if let python {
            note("timing open_clip with \(python)…")
            switch runReference(python: python, row: Array(row.prefix(10))) {
            case .success(let r): reference = r
            case .failure(let e): reference = ["error": e.description]
            }
        }
        let refImages = reference["images_per_s"] as? Double, refTexts = reference["texts_per_s"] as? Double

        let result: [String: Any] = [
            "arch": arch, "cores": ProcessInfo.processInfo.activeProcessorCount, "blas_threads": BLASInfo.threads,
            "openblas_coretype_env": env ?? "", "openblas_core": core, "avx512": avx512,
            "load_average_start": loadStart, "load_average_end": loadEnd,
            "sgemm_gflops": sgemmRate, "sgemm_shape": [m, n, k],
            "image_batch": batch, "images_per_s": imagesPerSecond,
            "gemm_gflops_inside_image_tower": insideRate, "gemm_share_of_sgemm": insideRate / sgemmRate,
            "gemm_time_fraction": gemmTime / totalImageTime,
            "text_batch": textBatch, "texts_per_s": textsPerSecond,
            "text_classifier": head,
            "peak_rss_mb": peakMB, "peak_rss_mb_after_image_tower": peakAfterImages,
            "pytorch_reference": python == nil ? ["not_run": "pass --python PATH (torch + open_clip_torch) to time open_clip in this run"] as [String: Any] : reference,
        ]
        if json {
            let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys, .prettyPrinted])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("cores \(ProcessInfo.processInfo.activeProcessorCount), BLAS threads \(BLASInfo.threads), OpenBLAS core \(core) (OPENBLAS_CORETYPE=\(env ?? "unset")), AVX-512 \(avx512 ? "yes" : "no"), load average \(loadStart) → \(loadEnd)")
        print(String(format: "sgemm %d×%d×%d          %7.1f GFLOP/s  (reference, same run)", m, n, k, sgemmRate))
        print(String(format: "%@ image tower     %7.1f images/s (batch %d)%@", arch, imagesPerSecond, batch,
                     refImages.map { String(format: "   PyTorch %.1f images/s, ×%.2f", $0, imagesPerSecond / $0) } ?? ""))
        print(String(format: "  GEMMs inside             %7.1f GFLOP/s  %.0f%% of sgemm, %.0f%% of tower time", insideRate, 100 * insideRate / sgemmRate, 100 * gemmTime / totalImageTime))
        print(String(format: "%@ text tower      %7.1f texts/s  (batch %d, 10-token prompts)%@", arch, textsPerSecond, textBatch,
                     refTexts.map { String(format: "   PyTorch %.1f texts/s, ×%.2f", $0, textsPerSecond / $0) } ?? ""))
        if let rate = head["texts_per_s"] as? Double, let minutes = head["full_classifier_minutes"] as? Double,
           let plainRate = head["plain_texts_per_s"] as? Double, let plainMinutes = head["plain_full_classifier_minutes"] as? Double {
            print(String(format: "text classifier (imagenet1000): %d prompts of %d classes, %.1f tokens on average, median of %d",
                         head["prompts"] as? Int ?? 0, headClasses, head["mean_tokens"] as? Double ?? 0, classifierRuns))
            print(String(format: "  plain (every prompt)      %7.1f texts/s  80,000 prompts ≈ %.1f min%@", plainRate, plainMinutes,
                         refTexts.map { String(format: "   PyTorch ≈ %.1f min", 80_000 / $0 / 60) } ?? ""))
            print(String(format: "  prefix-shared (default)   %7.1f texts/s  80,000 prompts ≈ %.1f min   ×%.2f vs plain (classifiers differ by ≤ %.1e)",
                         rate, minutes, head["speedup"] as? Double ?? 0, head["classifier_max_abs_difference"] as? Double ?? 0))
        } else if let why = head["skipped"] as? String {
            print("text classifier: skipped (\(why))")
        }
        print(String(format: "peak RSS                    %7.0f MB (%.0f MB after the image tower)", peakMB, peakAfterImages))
        if python == nil {
            print("PyTorch reference: not run (pass --python PATH to a Python with torch and open_clip_torch)")
        } else if let error = reference["error"] as? String {
            print("PyTorch reference: failed: \(error)")
        } else {
            print("PyTorch reference: open_clip \(reference["open_clip"] ?? "?"), torch \(reference["torch"] ?? "?"), \(reference["threads"] ?? "?") threads, random weights, same batches, same run")
        }
    }

    /// Runs the PyTorch timing script; its JSON answer, or why not.
    func runReference(python: String, row: [Int32]) -> Result<[String: Any], CLIError> {
        guard let script = Self.findScript(explicit: referenceScript) else {
            return .failure(CLIError("scripts/bench_open_clip.py not found; pass --reference-script PATH"))
        }
        let arguments: [String: Any] = [
            "arch": arch, "threads": threads ?? BLASInfo.threads, "batch": batch, "text_batch": textBatch,
            "seconds": seconds, "text_row": row.map(Int.init),
        ]
        do {
            let argumentData = try JSONSerialization.data(withJSONObject: arguments)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [python, script.path, String(decoding: argumentData, as: UTF8.self)]
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.standardError
            try process.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                return .failure(CLIError("\(python) exited with status \(process.terminationStatus) (its error is above)"))
            }
            guard let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last,
                  let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                return .failure(CLIError("\(python) gave no result"))
            }
            return .success(object)
        } catch {
            return .failure(CLIError("\(python): \(error)"))
        }
    }

    /// `explicit`, else `scripts/bench_open_clip.py` in the working directory or in a folder above the executable.
    static func findScript(explicit: String?) -> URL? {
        if let explicit { return URL(fileURLWithPath: explicit) }
        let fm = FileManager.default
        var candidates = [URL(fileURLWithPath: fm.currentDirectoryPath)]
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 { candidates.append(dir); dir = dir.deletingLastPathComponent() }
        return candidates.map { $0.appendingPathComponent("scripts/bench_open_clip.py") }
            .first { fm.fileExists(atPath: $0.path) }
    }

    static func loadAverage() -> String {
        let s = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        return s.split(separator: " ").first.map(String.init) ?? "?"
    }

    static func peakMemoryMB() -> Double {
        guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in s.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
            return kb / 1024
        }
        return 0
    }
}
