import ArgumentParser
import Foundation
import Inference
import Models

/// `oodbench bench mamba`: CLIP-Mamba image towers against CLIP ViT-B/32's, timed in the same run.
struct BenchMambaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mamba",
        abstract: "Images/s and multiply-add rate of the VMamba-S and SiMBA-L towers next to ViT-B/32 (224 px).",
        discussion: """
        Builds each image tower with seeded random weights (the real architectures: VMamba-S 49,378,752 \
        parameters, SiMBA-L 65,736,512; ViT-B/32 as in CLIP), warms up, then times one batch of each tower in turn \
        until each has --seconds and at least 3 runs, and prints the median time per image, the multiply-adds per image as the \
        implementation counts them (GEMMs and convolutions m·n·k including the x/dt projections, depthwise taps, \
        the scan 2·N + 1 per channel and step; exp/softplus/activations and LayerNorms are not counted), the \
        multiply-add rate relative to ViT-B/32's, the same ratio per CPU second (less sensitive to load), the \
        share of the process's CPU time spent in the selective scan and the cores kept busy (CPU / wall time). The target is a rate of at least 2/3 of ViT-B/32's for each \
        Mamba tower. Batches of at least as many images as cores run one image per core. Build in release mode; \
        the first line gives the load average, since other processes on the cores distort the timings.

        Examples:
          oodbench bench mamba
          oodbench bench mamba --seconds 20 --batch 8
          oodbench bench mamba --only vit-b32,vmamba-t220,vmamba-b
        """
    )

    @Option(name: .long, help: "Minimum timed seconds per tower (after one warm-up batch).")
    var seconds: Double = 5

    @Option(name: .long, help: "Images per batch.")
    var batch: Int = 4

    @Option(name: .long, help: "Seed of the random weights and pixels.")
    var seed: UInt64 = 0

    @Option(name: .long, help: "Comma-separated towers: vit-b32, vmamba-s, simba-l, vmamba-t220, vmamba-b (default: the first three).")
    var only: String?

    func validate() throws {
        if batch < 1 { throw ValidationError("--batch must be at least 1.") }
        if !(seconds >= 0) { throw ValidationError("--seconds must be a non-negative number.") }
        if let only {
            let known: Set = ["vit-b32", "vmamba-s", "simba-l", "vmamba-t220", "vmamba-b"]
            for name in only.split(separator: ",") where !known.contains(String(name)) {
                throw ValidationError("--only: unknown tower '\(name)'; use \(known.sorted().joined(separator: ", ")).")
            }
        }
    }

    func run() async throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        var load = [Double](repeating: 0, count: 3)
        let loadText = getloadavg(&load, 3) == 3 ? String(format: "load average %.2f %.2f %.2f", load[0], load[1], load[2]) : "load average n/a"
        print("cores \(cores), OpenBLAS \(BLASInfo.coreName) kernels, \(BLASInfo.threads) BLAS threads, batch \(batch), 224x224, float32, \(loadText)")
        let subset = only.map { Set($0.split(separator: ",").map(String.init)) }
        let rows = try MambaCLIPBenchmark.run(seconds: seconds, batch: batch, seed: seed, only: subset) { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        let vit = rows.first { $0.name == "ViT-B/32" }
        print("tower         params   GMAC/img   img/s   GMAC/s   rate vs ViT-B/32   per CPU-s   scan GMAC/img   scan CPU   cores busy")
        for r in rows {
            let ratio = vit.map { String(format: "%.2fx", r.multiplyAddsPerSecond / $0.multiplyAddsPerSecond) } ?? "n/a"
            let cpuRatio = vit.map { String(format: "%.2fx", r.multiplyAddsPerCPUSecond / $0.multiplyAddsPerCPUSecond) } ?? "n/a"
            func right(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
            let name = r.name + String(repeating: " ", count: max(0, 12 - r.name.count))
            print(name + String(format: " %6.1fM %9.3f %7.2f %8.1f", Double(r.parameters) / 1e6,
                                Double(r.multiplyAddsPerImage) / 1e9, r.imagesPerSecond, r.multiplyAddsPerSecond / 1e9)
                  + right(ratio, 19) + right(cpuRatio, 12)
                  + String(format: " %15.3f %9.1f%% %12.2f", Double(r.scanMultiplyAddsPerImage) / 1e9, 100 * r.scanShare,
                           r.coresBusy))
        }
    }
}
