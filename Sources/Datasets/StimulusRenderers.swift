import Distortions
import Foundation
import Imaging

/// The renderers `generate` can use.
public enum StimulusRenderers {
    /// The standard renderer: decode the source (PNG or JPEG), bring it to 224 × 224 RGB (`SourcePreparation`),
    /// apply the dataset's distortion at the task's condition with the task's seed (the nine pixel/Fourier
    /// distortions and eidolon I/II/III, all through the registry and a pooled `Distorter`), quantise round half up as the
    /// 2018 stimuli were written, and encode a PNG (grey outputs as 1-channel PNGs, as the reference writer does).
    /// The data tables of power-equalisation and false-colour are resolved by sha256 through `resolver`.
    public static func standard(resolver: AssetResolver, compression: PNGCompression = .fast) throws -> any StimulusRenderer {
        let tables = try DistortionTables(
            meanAmplitudeSpectrum: resolver.file(sha256: DistortionTables.meanAmplitudeSpectrumSHA256),
            gammaTable: resolver.file(sha256: DistortionTables.gammaTableSHA256))
        return DistortionRenderer(tables: tables, compression: compression)
    }
}

/// Decode → 224 × 224 → distortion → PNG; engines are pooled, one per worker thread at a time.
struct DistortionRenderer: StimulusRenderer {
    let tables: DistortionTables
    let compression: PNGCompression
    /// One `Distorter` per busy worker (each holds its FFT buffers and, once used, an eidolon factory's scratch).
    let distorters = EnginePool<Distorter>()

    func render(_ task: GenerationTask) throws -> Data {
        var result = Data()
        try render(sameSource: [task]) { _, bytes in result = bytes }
        return result
    }

    /// Decodes and prepares the shared source once and renders every task with one `Distorter`, whose eidolon
    /// factory keeps the scale space of the last picture: eidolon I, II and III of one photograph compute it once.
    func render(sameSource tasks: [GenerationTask], deliver: (Int, Data) throws -> Void) throws {
        guard let first = tasks.first else { return }
        precondition(tasks.allSatisfy { $0.source == first.source }, "tasks of one group share their source")
        let source: Image8
        do { source = try Image8(contentsOf: first.source) } catch {
            throw DatasetsError.render(file: first.source.path, problem: "\(error)")
        }
        let image = SourcePreparation.prepare(source)
        let distorter = distorters.take {
            let made = Distorter(tables: tables)
            made.reusesEidolonWork = true
            return made
        }
        defer { distorters.give(distorter) }
        for (index, task) in tasks.enumerated() {
            let bytes: Data
            do {
                guard let distortion = Distortion.named(task.dataset) else {
                    throw DatasetsError.render(file: task.fileName, problem: "no distortion named '\(task.dataset)'")
                }
                let output = try distorter.apply(distortion, condition: task.condition, to: image, seed: task.seed)
                bytes = try output.image8(.roundHalfUp).pngData(compression: compression)
            } catch let error as DatasetsError {
                throw error
            } catch {
                throw DatasetsError.render(file: task.fileName, problem: "\(error)")
            }
            try deliver(index, bytes)
        }
    }
}

/// A lock-protected pool of non-thread-safe engines: a worker takes one, uses it alone, gives it back.
final class EnginePool<Engine: AnyObject>: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [Engine] = []

    func take(_ make: () -> Engine) -> Engine {
        if let engine = lock.withLock({ idle.popLast() }) { return engine }
        return make()
    }

    func give(_ engine: Engine) { lock.withLock { idle.append(engine) } }
}
