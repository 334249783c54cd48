import ArgumentParser
import Foundation
import Inference
import Models

/// `oodbench bench clip`: ViT-B/32 (seeded weights) image and text tower throughput, the GEMM rate inside the
/// towers against a plain sgemm of the towers' main shape timed in the same run, and peak memory.
struct BenchCLIPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clip",
        abstract: "CLIP tower throughput and GEMM efficiency (seeded ViT-B/32 weights).",
        discussion: """
        Builds a CLIP model with formula weights (no download), then times a plain sgemm of the towers' largest \
        GEMM shape, the image tower (images/s) and the text tower on short prompts (texts/s). Each figure is the \
        median of at least 3 runs and 1 s. The header states the OpenBLAS core type in use; a warning is printed \
        when OPENBLAS_CORETYPE forces (or OpenBLAS's detection picks) pre-AVX-512 kernels on an AVX-512 CPU. Use a release build.

        Examples:
          oodbench bench clip
          oodbench bench clip --batch 64 --threads 2
          OPENBLAS_CORETYPE=Haswell oodbench bench clip --json
        """
    )

    @Option(help: "Images per image-tower batch.")
    var batch = 16

    @Option(help: "Prompts per text-tower batch.")
    var textBatch = 256

    @Option(help: "Architecture (open_clip name) of the seeded model.")
    var arch = "ViT-B-32-quickgelu"

    @Option(help: "OpenBLAS threads (default: OpenBLAS's own choice).")
    var threads: Int?

    @Option(help: "Minimum seconds per measurement.")
    var seconds = 1.0

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        guard batch > 0, textBatch > 0 else { throw ValidationError("--batch and --text-batch must be positive.") }
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

    func run() throws {
        if let threads { BLASInfo.setThreads(threads) }
        let env = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"]
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let avx512 = cpuinfo.contains(" avx512f")
        let core = BLASInfo.coreName
        let avx512Cores = ["skylakex", "cooperlake", "sapphirerapids", "zen4", "zen5"]
        if avx512, !avx512Cores.contains(core.lowercased()) {
            let why = env.map { "OPENBLAS_CORETYPE=\($0) forces" } ?? "OpenBLAS picked"
            FileHandle.standardError.write(Data("warning: \(why) \(core) kernels on an AVX-512 CPU; OPENBLAS_CORETYPE=SkylakeX is about 2x faster\n".utf8))
        }
        let config = CLIPConfig.named(arch)!
        FileHandle.standardError.write(Data("building seeded \(arch) weights…\n".utf8))
        let model = try CLIPSeededWeights.model(config: config)
        guard case let .vit(width, _, _, patch) = config.vision else { throw CLIError("--arch must be a ViT") }
        let tokens = (config.imageSize / patch) * (config.imageSize / patch) + 1

        // Reference: a plain sgemm of the MLP's first GEMM ([batch·tokens, W] × [W, 4W]).
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

        // Text tower: short prompts, 10 ids including SOT and EOT.
        let row: [Int32] = [49_406, 320, 1125, 539, 320, 2368, 1615, 4629, 269, 49_407] + [Int32](repeating: 0, count: 67)
        let prompts = [[Int32]](repeating: row, count: textBatch)
        _ = try model.encodeTexts(prompts)
        let textSeconds = try measure { _ = try model.encodeTexts(prompts) }
        let textsPerSecond = Double(textBatch) / textSeconds
        let peakMB = peakMemoryMB()

        let result: [String: Any] = [
            "arch": arch, "cores": ProcessInfo.processInfo.activeProcessorCount, "blas_threads": BLASInfo.threads,
            "openblas_coretype_env": env ?? "", "openblas_core": core, "avx512": avx512,
            "sgemm_gflops": sgemmRate, "sgemm_shape": [m, n, k],
            "image_batch": batch, "images_per_s": imagesPerSecond,
            "gemm_gflops_inside_image_tower": insideRate, "gemm_share_of_sgemm": insideRate / sgemmRate,
            "gemm_time_fraction": gemmTime / totalImageTime,
            "text_batch": textBatch, "texts_per_s": textsPerSecond,
            "imagenet_classifier_minutes_estimate": 80_000 / textsPerSecond / 60,
            "peak_memory_mb": peakMB,
            "pytorch_reference": "not timed in this run (no PyTorch in the native build); issue 6 quotes 15.9 images/s and 98 texts/s from another run",
        ]
        if json {
            let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys, .prettyPrinted])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("cores \(ProcessInfo.processInfo.activeProcessorCount), BLAS threads \(BLASInfo.threads), OpenBLAS core \(core) (OPENBLAS_CORETYPE=\(env ?? "unset")), AVX-512 \(avx512 ? "yes" : "no")")
        print(String(format: "sgemm %d×%d×%d          %7.1f GFLOP/s  (reference, same run)", m, n, k, sgemmRate))
        print(String(format: "%@ image tower     %7.1f images/s (batch %d)", arch, imagesPerSecond, batch))
        print(String(format: "  GEMMs inside             %7.1f GFLOP/s  %.2fx sgemm, %.0f%% of tower time", insideRate, insideRate / sgemmRate, 100 * gemmTime / totalImageTime))
        print(String(format: "%@ text tower      %7.1f texts/s  (batch %d, 10-token prompts); 80,000 prompts ≈ %.1f min", arch, textsPerSecond, textBatch, 80_000 / textsPerSecond / 60))
        print(String(format: "peak memory                 %7.0f MB", peakMB))
        print("PyTorch reference: not timed in this run (no PyTorch here); issue 6 quotes 15.9 images/s, 98 texts/s (2 threads) from another run")
    }

    func peakMemoryMB() -> Double {
        guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in s.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
            return kb / 1024
        }
        return 0
    }
}
