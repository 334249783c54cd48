import Foundation
import Inference

/// `oodbench bench mamba`: image-tower throughput of VMamba-S and SiMBA-L (seeded random weights, 224 px) next to
/// CLIP ViT-B/32's image tower timed in the same run, with multiply-adds per image as the implementation counts
/// them (GEMMs and convolutions m·n·k, depthwise taps, the dt projections, scan 2·N + 1 per channel and step)
/// and the share of the process's CPU time spent in the selective scan.
public enum MambaCLIPBenchmark {
    public struct Row: Sendable {
        public let name: String
        public let parameters: Int
        public let multiplyAddsPerImage: Int
        public let scanMultiplyAddsPerImage: Int
        /// Median seconds per image over the timed runs.
        public let secondsPerImage: Double
        public let runs: Int
        /// Share of the process's CPU time spent in the selective-scan kernels during the timed runs (0 for ViT).
        public let scanShare: Double
        /// Cores kept busy on average during the timed runs (process CPU time / wall time).
        public let coresBusy: Double
        public var imagesPerSecond: Double { 1 / secondsPerImage }
        public var multiplyAddsPerSecond: Double { Double(multiplyAddsPerImage) / secondsPerImage }
        /// Multiply-adds per second of process CPU time (mean over the runs): a figure less sensitive to other
        /// processes on the cores than the wall-clock rate.
        public var multiplyAddsPerCPUSecond: Double { coresBusy > 0 ? multiplyAddsPerSecond / coresBusy : 0 }
    }

    /// A tower to time: a closure running `batch` images of 224 px.
    struct Subject {
        let name: String, parameters: Int, macs: Int, scanMacs: Int
        let run: ([Float], Int) -> Void
    }

    static func vitB32(seed: UInt64) throws -> Subject {
        let w = 768, layers = 12, patch = 32, grid = 7, e = 512, m = 3072
        var shapes: [(name: String, shape: [Int])] = [
            ("visual.conv1.weight", [w, 3, patch, patch]), ("visual.class_embedding", [w]),
            ("visual.positional_embedding", [grid * grid + 1, w]), ("visual.ln_pre.weight", [w]), ("visual.ln_pre.bias", [w]),
            ("visual.ln_post.weight", [w]), ("visual.ln_post.bias", [w]), ("visual.proj", [w, e]),
        ]
        for i in 0..<layers {
            let p = "visual.transformer.resblocks.\(i)."
            shapes += [(p + "ln_1.weight", [w]), (p + "ln_1.bias", [w]), (p + "attn.in_proj_weight", [3 * w, w]),
                       (p + "attn.in_proj_bias", [3 * w]), (p + "attn.out_proj.weight", [w, w]), (p + "attn.out_proj.bias", [w]),
                       (p + "ln_2.weight", [w]), (p + "ln_2.bias", [w]), (p + "mlp.c_fc.weight", [m, w]), (p + "mlp.c_fc.bias", [m]),
                       (p + "mlp.c_proj.weight", [w, m]), (p + "mlp.c_proj.bias", [w])]
        }
        var bag = WeightBag(file: "ViT-B/32 (seeded random)", tensors: MambaRandomWeights.make(shapes, seed: seed))
        let vit = try CLIPVisionTransformer(width: w, layers: layers, heads: 12, patch: patch, imageSize: 224, embedDim: e,
                                            activation: .quickGELU, bag: &bag)
        let params = shapes.reduce(0) { $0 + $1.shape.reduce(1, *) }
        let t = grid * grid + 1
        let macs = grid * grid * w * 3 * patch * patch
            + layers * (t * w * 3 * w + 2 * t * t * w + t * w * w + 2 * t * w * m) + w * e
        return Subject(name: "ViT-B/32", parameters: params, macs: macs, scanMacs: 0) { pixels, n in
            var out = [Float](repeating: 0, count: n * e)
            pixels.withUnsafeBufferPointer { p in out.withUnsafeMutableBufferPointer { vit.forward(p.baseAddress!, count: n, out: $0.baseAddress!) } }
        }
    }

    static func mamba(_ name: String, _ arch: MambaCLIPModel.Architecture, seed: UInt64) throws -> Subject {
        let shapes: [(name: String, shape: [Int])]
        switch arch {
        case .vmamba(let c): shapes = c.tensorShapes
        case .simba(let c): shapes = c.tensorShapes
        }
        let model = try MambaCLIPModel(architecture: arch, tensors: MambaRandomWeights.make(shapes, seed: seed),
                                       file: "\(name) (seeded random)")
        let (macs, scan) = model.multiplyAdds(height: 224, width: 224)
        return Subject(name: name, parameters: arch.parameterCount, macs: macs, scanMacs: scan) { pixels, n in
            _ = model.features(pixels, count: n, height: 224, width: 224)
        }
    }

    /// CPU seconds of the whole process (all threads) so far.
    static func processCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Times ViT-B/32, VMamba-S and SiMBA-L (or the subset named in `only`): one warm-up batch each, then one batch
    /// of each in turn until every tower has at least `seconds` and 3 runs; the median batch time per image. `progress` receives one line per step.
    public static func run(seconds: Double, batch: Int, seed: UInt64 = 0, only: Set<String>? = nil,
                           progress: (String) -> Void) throws -> [Row] {
        var pixels = [Float](repeating: 0, count: batch * 3 * 224 * 224)
        var s = seed &+ 1
        for i in pixels.indices {
            s = s &* 6364136223846793005 &+ 1442695040888963407
            pixels[i] = Float(Int64(bitPattern: s) >> 40) / Float(1 << 23)
        }
        var rows: [Row] = []
        let makers: [(String, () throws -> Subject)] = [
            ("vit-b32", { try vitB32(seed: seed) }),
            ("vmamba-s", { try mamba("VMamba-S", .vmamba(.small), seed: seed) }),
            ("simba-l", { try mamba("SiMBA-L", .simba(.large), seed: seed) }),
            ("vmamba-t220", { try mamba("VMamba-T220", .vmamba(.t220), seed: seed) }),
            ("vmamba-b", { try mamba("VMamba-B", .vmamba(.base), seed: seed) }),
        ]
        var subjects: [Subject] = []
        for (key, make) in makers where only?.contains(key) ?? ["vit-b32", "vmamba-s", "simba-l"].contains(key) {
            progress("building \(key) with seeded random weights")
            let subject = try make()
            subject.run(pixels, batch)          // warm-up
            subjects.append(subject)
        }
        // Round-robin: one batch of each tower in turn, so that every tower sees the same share of any load
        // that comes and goes on the machine during the run.
        var times = [[Double]](repeating: [], count: subjects.count)
        var wall = [Double](repeating: 0, count: subjects.count), cpu = wall, scanCPU = wall
        repeat {
            for (k, subject) in subjects.enumerated() {
                let scan0 = SelectiveScan.cpuSeconds, cpu0 = processCPUSeconds()
                let t0 = DispatchTime.now().uptimeNanoseconds
                subject.run(pixels, batch)
                let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
                cpu[k] += processCPUSeconds() - cpu0
                scanCPU[k] += SelectiveScan.cpuSeconds - scan0
                wall[k] += dt
                times[k].append(dt / Double(batch))
            }
        } while times.contains(where: { $0.count < 3 }) || wall.contains(where: { $0 < seconds })
        for (k, subject) in subjects.enumerated() {
            let sorted = times[k].sorted()
            let row = Row(name: subject.name, parameters: subject.parameters, multiplyAddsPerImage: subject.macs,
                          scanMultiplyAddsPerImage: subject.scanMacs, secondsPerImage: sorted[sorted.count / 2],
                          runs: sorted.count, scanShare: cpu[k] > 0 ? scanCPU[k] / cpu[k] : 0,
                          coresBusy: wall[k] > 0 ? cpu[k] / wall[k] : 0)
            progress(String(format: "%@: %.2f images/s", row.name, row.imagesPerSecond))
            rows.append(row)
        }
        return rows
    }
}
