import ArgumentParser
import Dispatch
import Foundation
import Imaging
import Inference
import Models

/// `oodbench bench efficientnet`: EfficientNet-Lite0 images per second next to OpenBLAS sgemm timed in the same run.
struct EfficientNetBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "efficientnet",
        abstract: "EfficientNet-Lite0 throughput (images/s) next to the machine's sgemm rate, measured in the same run.",
        discussion: """
        Validates the model on a mirror stimulus first (when the mirror is found), then times classify() — \
        preprocessing, forward pass and softmax — on seeded random 224x224 images: one warm-up batch, then \
        repeats until at least 1 s and 3 runs, and prints the median. The reference is a 1024^3 sgemm timed \
        in the same run; the model's multiply-adds are counted from its architecture. Use a release build.

        Examples:
          swift build -c release && .build/release/oodbench bench efficientnet
          .build/release/oodbench bench efficientnet --batch 16 32 --json
        """
    )

    @OptionGroup var modelOptions: ModelOptions

    @Option(parsing: .upToNextOption, help: "Batch sizes to time.")
    var batch: [Int] = [16, 32]

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
        var rows: [(batch: Int, imagesPerSecond: Double, runs: Int)] = []
        for b in batch {
            let images = Self.randomImages(count: b, seed: 0)
            _ = try effnet.classify(images)  // warm-up (allocates the scratch)
            var times: [Double] = []
            var total = 0.0
            while times.count < 3 || total < 1 {
                let t0 = DispatchTime.now().uptimeNanoseconds
                _ = try effnet.classify(images)
                let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
                times.append(dt); total += dt
            }
            times.sort()
            rows.append((b, Double(b) / times[times.count / 2], times.count))
        }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        if json {
            let object: [String: Any] = [
                "cores": cores, "blas_threads": BLASInfo.threads, "blas_core": BLASInfo.coreName,
                "validation": validated, "multiply_adds_per_image": macs, "sgemm_gflops": sgemm,
                "results": rows.map { ["batch": $0.batch, "images_per_second": $0.imagesPerSecond, "runs": $0.runs,
                                       "gflops": Double(2 * macs) * $0.imagesPerSecond / 1e9] },
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("cores \(cores), OpenBLAS \(BLASInfo.coreName) with \(BLASInfo.threads) threads")
        print("validation: \(validated)")
        print(String(format: "EfficientNet-Lite0: %.1f M multiply-adds per image", Double(macs) / 1e6))
        print(String(format: "reference: sgemm 1024^3  %.1f GFLOP/s", sgemm))
        for r in rows {
            let gflops = Double(2 * macs) * r.imagesPerSecond / 1e9
            print(String(format: "batch %3d  %7.1f images/s  %6.1f GFLOP/s  %.2fx sgemm  (median of %d runs)",
                         r.batch, r.imagesPerSecond, gflops, gflops / sgemm, r.runs))
        }
        print("PyTorch reference (not timed here; issue 9 / spec §5, same machine type): 21 images/s as installed, "
              + "about 37–89 with allocations kept resident")
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
