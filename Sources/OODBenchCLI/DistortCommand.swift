import ArgumentParser
import Distortions
import Foundation
import Imaging

/// `oodbench distort`: one distortion of model-vs-human applied to one image, written as an 8-bit RGB PNG.
struct DistortCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distort",
        abstract: "Apply one of the Geirhos et al. distortions to an image, exactly as the 2018 reference code.",
        discussion: """
        DISTORTION and CONDITION are the dataset and condition names of model-vs-human's human raw data \
        (`oodbench distort --list` prints them all). The output is an 8-bit RGB PNG (grey results as three equal \
        channels), quantised round half up as the study's 2018 stimuli were written (--rule truncate: the 2023 \
        writer). Random distortions (phase-scrambling, uniform-noise) seed a fresh numpy RandomState with --seed; \
        without it a seed is drawn and printed on stderr.

        Input: PNG or JPEG of any size and colour type; grey becomes three equal channels and alpha is dropped, as \
        PIL's convert('RGB'). The reference works on 224×224 images: other sizes are distorted at their own size \
        exactly as the reference functions would do it, without resizing; power-equalisation needs 224×224 (its \
        mean amplitude spectrum is 224×224) and phase-scrambling an even width and height.

        power-equalisation and false-colour read two data tables of the reference repository, found by sha256 in \
        --tables (default: $OODBENCH_MIRROR/generalisation-humans-DNNs, else \
        ../shared/reference-data/generalisation-humans-DNNs).

        Gaussian filter of low-pass and high-pass (--gaussian): auto (default) filters kernels of radius < 24 taps \
        (σ < 5.875: every high-pass condition, low-pass 1, 3, 5) directly in scipy's order of summation, so the \
        float64 result is bit-identical to the reference, and larger ones (low-pass 7, 10, 15, 40) by FFT, whose \
        result differs from scipy's in the last bits only (max 1e-15 on the goldens, every 8-bit sample equal); \
        exact uses the direct filter at every σ, spectral the FFT at every σ.

        Examples:
          oodbench distort --list
          oodbench distort high-pass 0.55 photo.png out.png
          oodbench distort uniform-noise 0.35 photo.png noisy.png --seed 42
        """
    )

    @Flag(name: .long, help: "List every distortion with its condition strings, then exit.")
    var list = false

    @Argument(help: "Distortion (dataset) name, e.g. high-pass.")
    var distortion: String?

    @Argument(help: "Condition string as in the raw data, e.g. 0.55, c05, bw, false.")
    var condition: String?

    @Argument(help: "Input image (PNG or JPEG).")
    var input: String?

    @Argument(help: "Output PNG path (written atomically).")
    var output: String?

    @Option(name: .long, help: "Seed of the numpy RandomState for random distortions (0…4294967295).")
    var seed: UInt32?

    @Option(name: .long, help: "8-bit quantisation: round (2018 writer, default) or truncate (2023 writer).")
    var rule: QuantisationRuleArgument = .round

    @Option(name: .long, help: "Folder searched (by sha256) for the reference's .npy data tables.")
    var tables: String?

    @Option(name: .long, help: "Gaussian filter of low-pass/high-pass: auto (exact below radius 24, FFT above), exact (scipy's bits at every σ) or spectral (FFT).")
    var gaussian: String = "auto"

    func validate() throws {
        guard GaussianMethod(rawValue: gaussian) != nil else {
            throw ValidationError("--gaussian must be auto, exact or spectral.")
        }
        if list { return }
        guard let distortion, let condition, input != nil, output != nil else {
            throw ValidationError("Give DISTORTION CONDITION INPUT OUTPUT, or --list.")
        }
        guard let found = Distortion.named(distortion) else {
            throw ValidationError(
                "Unknown distortion '\(distortion)'; expected one of \(Distortion.all.map(\.name).joined(separator: ", ")).")
        }
        guard found.condition(matching: condition) != nil else {
            throw ValidationError(
                "Unknown condition '\(condition)' for \(distortion); expected one of \(found.conditions.joined(separator: ", ")).")
        }
    }

    func run() throws {
        if list {
            print(Self.listing(), terminator: "")
            return
        }
        guard let name = distortion, let condition, let input, let output,
              let distortion = Distortion.named(name) else { return }
        let image = try Image8(contentsOf: URL(fileURLWithPath: input))
        let needsTables = distortion == .powerEqualisation || distortion == .falseColour
        let tableValues = needsTables ? try Self.loadTables(tables) : nil
        var seed = self.seed ?? 0
        if distortion.isRandom && self.seed == nil {
            seed = UInt32.random(in: 0...UInt32.max)
            FileHandle.standardError.write(Data("seed \(seed)\n".utf8))
        }
        let engine = Distorter(tables: tableValues)
        engine.gaussianMethod = GaussianMethod(rawValue: gaussian) ?? .automatic
        let result = try engine.apply(distortion, condition: condition, to: image, seed: seed)
        try result.image8(rule.rule, expandGrey: true).writePNG(to: URL(fileURLWithPath: output))
    }

    /// `--list`: one line per distortion, its conditions in the experiment's order.
    static func listing() -> String {
        let width = Distortion.all.map(\.name.count).max() ?? 0
        return Distortion.all.map { d in
            d.name.padding(toLength: width + 2, withPad: " ", startingAt: 0)
                + d.conditions.joined(separator: " ") + (d.isRandom ? "  (random: --seed)" : "") + "\n"
        }.joined()
    }

    /// The data tables from `folder`, `$OODBENCH_MIRROR/generalisation-humans-DNNs` or the shared mirror.
    static func loadTables(_ folder: String?) throws -> DistortionTables {
        if let folder { return try DistortionTables(searching: URL(fileURLWithPath: folder)) }
        var candidates: [URL] = []
        if let mirror = ProcessInfo.processInfo.environment["OODBENCH_MIRROR"], !mirror.isEmpty {
            candidates.append(URL(fileURLWithPath: mirror).appendingPathComponent("generalisation-humans-DNNs"))
        }
        candidates.append(URL(fileURLWithPath: "../shared/reference-data/generalisation-humans-DNNs"))
        for candidate in candidates where FileManager.default.fileExists(atPath: candidate.path) {
            return try DistortionTables(searching: candidate)
        }
        throw CLIError("no data tables found (looked in \(candidates.map(\.path).joined(separator: ", "))); "
                       + "pass --tables DIR holding \(DistortionTables.meanAmplitudeSpectrumFileName) and "
                       + "\(DistortionTables.gammaTableFileName)")
    }
}

/// The `--rule` values.
enum QuantisationRuleArgument: String, ExpressibleByArgument, CaseIterable {
    case round, truncate
    var rule: QuantisationRule { self == .round ? .roundHalfUp : .truncate }
}
