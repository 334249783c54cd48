import ArgumentParser
import Distortions
import Foundation
import Imaging
import Synchronization

/// `oodbench bench eidolon`: time per eidolon image (one thread, per stage) and a whole dataset on all cores.
struct BenchEidolonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eidolon",
        abstract: "Time the eidolon factory per image and stage, and a whole eidolon dataset on all cores.",
        discussion: """
        Per image means the whole work of one stimulus: picture set-up, DoG scale space, the random fields and the \
        synthesis (no reuse between images; one factory per condition keeps its scratch buffers between runs, as \
        each `generate` worker does). The reference Python toolbox takes 0.5–1.2 s per image on a 2-core \
        AMD EPYC VM (specs/eidolon.md §9); with --reference the numpy re-implementation of the toolbox's algorithm \
        in Tests/Fixtures/eidolon/ is timed in the same run. The dataset run (--dataset) prints its wall time and \
        the workers' summed thread CPU time, which stays meaningful when other processes share the cores.

        Examples:
          oodbench bench eidolon
          oodbench bench eidolon --image photo.png --runs 10
          oodbench bench eidolon --dataset 1280 --jobs 2
        """
    )

    @Option(help: "A square picture to distort (default: a synthetic 224×224 test picture).")
    var image: String?

    @Option(help: "Timed runs per condition (the median is printed).")
    var runs = 5

    @Option(help: "Images of the dataset run (0 skips it; a model-vs-human eidolon dataset has 1280).")
    var dataset = 0

    @Option(help: "Worker threads of the dataset run.")
    var jobs = 2

    @Option(help: "Python interpreter with numpy: also time the toolbox's algorithm in numpy (same run).")
    var reference: String?

    @Option(help: "The numpy timing script (run from the repository root by default).")
    var referenceScript = "Tests/Fixtures/eidolon/numpy_eidolon.py"

    func run() throws {
        let input: Image8
        if let image {
            input = try Image8(contentsOf: URL(fileURLWithPath: image))
        } else {
            input = Self.syntheticPicture()
        }
        _ = try EidolonPicture(image: input)  // fails early on a non-square picture
        print("eidolon factory, one thread per image, median of \(runs) runs (ms of the thread's CPU time, robust on a "
              + "loaded machine; wall = elapsed): total = set-up + scale space + fields + synthesis")
        print("load average \(Self.loadAverage()); FFTW plans from "
              + (EidolonFactory.plansFromWisdom ? "the embedded wisdom" : "FFTW_ESTIMATE (the wisdom does not apply here)"))
        print("condition".padding(toLength: 22, withPad: " ", startingAt: 0)
              + "    total   set-up  scale-sp   fields (draws   blurs)  synthes     wall")
        var separateAtReach8 = 0.0
        for dataset in EidolonDataset.allCases {
            for reach in [1, 8, 128] {
                let condition = EidolonCondition(reach: Double(reach), coherence: dataset.coherence)
                var totals: [Double] = [], setups: [Double] = [], walls: [Double] = [], profiles: [EidolonProfile] = []
                let factory = EidolonFactory()  // scratch reused as in `generate`; the scale space is not (below)
                for run in 0..<(runs + 1) {
                    let w0 = Date()
                    let t0 = EidolonFactory.threadCPUSeconds()
                    let pic = try EidolonPicture(image: input)
                    let t1 = EidolonFactory.threadCPUSeconds()
                    _ = factory.render(pic, condition: condition, seed: UInt32(run), reuse: false)
                    let t2 = EidolonFactory.threadCPUSeconds()
                    let w2 = Date()
                    if run == 0 { continue }  // warm-up (plans, kernel spectra)
                    setups.append(t1 - t0)
                    totals.append(t2 - t0)
                    walls.append(w2.timeIntervalSince(w0))
                    profiles.append(factory.lastProfile)
                }
                let median = { (xs: [Double]) in xs.sorted()[xs.count / 2] * 1000 }
                let label = "\(dataset.rawValue) \(condition)".padding(toLength: 22, withPad: " ", startingAt: 0)
                let figures = [median(totals), median(setups), median(profiles.map(\.scaleSpace)),
                               median(profiles.map(\.fields)), median(profiles.map(\.randomDraws)),
                               median(profiles.map(\.noiseBlurs)), median(profiles.map(\.synthesis)), median(walls)]
                print(label + figures.map { String(format: "%9.1f", $0) }.joined())
                if reach == 8 { separateAtReach8 += figures[0] }
            }
        }
        try timeOnePhotographAtThreeCoherences(input, separate: separateAtReach8)
        if let reference {
            print("reference (toolbox algorithm in numpy, \(referenceScript), CPU time, median of \(runs) runs): "
                  + (try Self.timeReference(python: reference, script: referenceScript, runs: runs)))
        }
        if dataset > 0 {
            let started = Date()
            let next = Mutex(0)
            let cpu = Mutex(0.0)  // the workers' thread CPU seconds, summed (robust on a loaded machine)
            let group = DispatchGroup()
            for _ in 0..<max(jobs, 1) {
                group.enter()
                Thread.detachNewThread {
                    let factory = EidolonFactory()
                    let cpuStart = EidolonFactory.threadCPUSeconds()
                    while true {
                        let index: Int = next.withLock { value in
                            defer { value += 1 }
                            return value
                        }
                        if index >= dataset { break }
                        let d = EidolonDataset.allCases[index % 3]
                        let condition = EidolonCondition(reach: Double(EidolonCondition.reaches[index % 8]),
                                                         coherence: d.coherence)
                        // A different picture per image (one changed sample), so nothing is reused between images.
                        var varied = input
                        varied.samples[0] = UInt8(index % 256)
                        varied.samples[1] = UInt8(index / 256 % 256)
                        if let pic = try? EidolonPicture(image: varied) {
                            _ = factory.render(pic, condition: condition, seed: UInt32(index))
                        }
                    }
                    let used = EidolonFactory.threadCPUSeconds() - cpuStart
                    cpu.withLock { $0 += used }
                    group.leave()
                }
            }
            group.wait()
            let seconds = Date().timeIntervalSince(started)
            print(String(format: "dataset: %d images on %d threads in %.1f s wall (%.1f ms per image per thread); "
                         + "load average %@", dataset, jobs, seconds, seconds * 1000 * Double(jobs) / Double(dataset),
                         Self.loadAverage()))
            let total = cpu.withLock { $0 }
            print(String(format: "dataset: %.1f s of the workers' thread CPU time (%.1f ms per image; %.1f s on %d "
                         + "otherwise idle cores)", total, total * 1000 / Double(dataset), total / Double(max(jobs, 1)),
                         max(jobs, 1)))
        }
    }

    /// The 1, 5 and 15 minute load averages (empty where unavailable).
    static func loadAverage() -> String {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return "n/a" }
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }

    /// Runs the numpy script and returns its per-condition medians in ms.
    static func timeReference(python: String, script: String, runs: Int) throws -> String {
        guard FileManager.default.fileExists(atPath: script) else {
            throw CLIError("\(script): not found (run from the repository root or pass --reference-script)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, script, String(runs)]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Double] else {
            throw CLIError("\(script): the reference run failed (exit \(process.terminationStatus))")
        }
        return json.keys.sorted().map { String(format: "%@ %.0f ms", $0, json[$0]! * 1000) }.joined(separator: ", ")
    }

    /// One photograph's eidolon I, II and III with one seed through one factory, as `generate` makes them: the
    /// scale space is computed and the 48 noise planes are drawn and transformed once for the three.
    private func timeOnePhotographAtThreeCoherences(_ input: Image8, separate: Double) throws {
        let factory = EidolonFactory()
        var totals: [Double] = []
        for run in 0..<(runs + 1) {
            var varied = input  // a new picture and a new seed per run: nothing carries over between runs
            varied.samples[0] = UInt8(run % 256)
            let t0 = EidolonFactory.threadCPUSeconds()
            let pic = try EidolonPicture(image: varied)
            for dataset in EidolonDataset.allCases {
                _ = factory.render(pic, condition: EidolonCondition(reach: 8, coherence: dataset.coherence),
                                   seed: UInt32(1000 + run))
            }
            if run > 0 { totals.append(EidolonFactory.threadCPUSeconds() - t0) }
        }
        let together = totals.sorted()[totals.count / 2] * 1000
        print(String(format: "one photograph as eidolon I, II and III at reach 8 with one seed (as `generate`): %.1f ms "
                     + "for the three, against %.1f ms as three separate stimuli (the rows above)", together, separate))
    }

    /// A deterministic 224×224 RGB picture with edges and texture at several scales.
    static func syntheticPicture() -> Image8 {
        let side = 224
        var samples = [UInt8](repeating: 0, count: side * side * 3)
        for y in 0..<side {
            for x in 0..<side {
                let dx = x - 112, dy = y - 100
                let disc: Double = dx * dx + dy * dy < 3600 ? 80 : 0
                let checks: Double = (x / 28 + y / 28) % 2 == 0 ? 30 : 0
                let waves: Double = 60 * sin(Double(x) / 9) * cos(Double(y) / 13)
                let v: Double = 90 + waves + disc + checks
                let i = (y * side + x) * 3
                samples[i] = UInt8(max(0, min(255, v + 20 * sin(Double(y) / 3))))
                samples[i + 1] = UInt8(max(0, min(255, v)))
                samples[i + 2] = UInt8(max(0, min(255, 255 - v)))
            }
        }
        return Image8(channels: 3, height: side, width: side, samples: samples)
    }
}
