import Imaging

/// One parametric distortion of model-vs-human, by its dataset name, with its condition strings.
///
/// Names and condition strings are exactly those of the human raw data (`high-pass` / `0.55`, `contrast` / `c05`,
/// `uniform-noise` / `0.35`, `false-colour` / `false`, `colour` / `bw`), in the experiments' order
/// (specs/distortions.md §2). `Distortion.all` is the registry; to add one, define a `static let` in an extension
/// (its own file) and add it to `all`.
public struct Distortion: Sendable, Hashable, CustomStringConvertible {
    /// Applies the distortion: `input` is 8-bit RGB (3 channels, any size ≥ 1 × 1), `condition` one of
    /// `conditions`, `seed` the seed of a fresh numpy `RandomState` (ignored by deterministic distortions).
    public typealias Body = @Sendable (_ engine: Distorter, _ input: Image8, _ condition: String, _ seed: UInt32)
        throws -> DistortedImage

    /// Dataset name, e.g. `high-pass`.
    public let name: String
    /// Condition strings as in the raw data, in the experiment's order.
    public let conditions: [String]
    /// Whether the output depends on the seed.
    public let isRandom: Bool
    /// One line for `--list`.
    public let summary: String
    let body: Body

    public init(name: String, conditions: [String], isRandom: Bool, summary: String, body: @escaping Body) {
        self.name = name
        self.conditions = conditions
        self.isRandom = isRandom
        self.summary = summary
        self.body = body
    }

    public static func == (lhs: Distortion, rhs: Distortion) -> Bool { lhs.name == rhs.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }
    public var description: String { name }

    /// Every registered distortion, in model-vs-human's dataset order.
    public static let all: [Distortion] = [
        .colour, .contrast, .highPass, .lowPass, .phaseScrambling, .powerEqualisation, .falseColour, .rotation,
        .uniformNoise, .eidolonI, .eidolonII, .eidolonIII,
    ]

    /// The distortion with this name (`high-pass`, …), or nil.
    public static func named(_ name: String) -> Distortion? { all.first { $0.name == name } }

    /// The registered condition string for `condition`: the exact token, or a spelling that pandas' normalisation
    /// of the raw-data CSVs gives for it (`3.0` ↔ `3`, `0.1` ↔ `0.10`, `True` ↔ `true`, specs §2); nil if none.
    public func condition(matching condition: String) -> String? {
        if conditions.contains(condition) { return condition }
        if let value = Double(condition) {
            return conditions.first { Double($0) == value }
        }
        return conditions.first { $0.lowercased() == condition.lowercased() }
    }

    /// Applies the distortion to an 8-bit image with a fresh engine (convenient; for many images keep one
    /// `Distorter` per thread and call `Distorter.apply`). See `Distorter.apply` for inputs and errors.
    public func apply(to image: Image8, condition: String, seed: UInt32 = 0,
                      tables: DistortionTables? = nil) throws -> DistortedImage {
        try Distorter(tables: tables).apply(self, condition: condition, to: image, seed: seed)
    }
}

// MARK: - The nine pixel and Fourier distortions (specs/distortions.md §3)

extension Distortion {
    public static let colour = Distortion(
        name: "colour", conditions: ["cr", "bw"], isRandom: false,
        summary: "cr: the RGB image unchanged; bw: greyscale (Rec. 709 luma)"
    ) { engine, input, condition, _ in
        condition == "cr" ? engine.identityRGB(input) : engine.greyOutput(input, layout: .grey)
    }

    public static let contrast = Distortion(
        name: "contrast", conditions: ["c100", "c50", "c30", "c15", "c10", "c05", "c03", "c01"], isRandom: false,
        summary: "greyscale, contrast reduced around 0.5 to c% (c100 = greyscale)"
    ) { engine, input, condition, _ in
        let levels: [String: Double] = ["c100": 1.0, "c50": 0.5, "c30": 0.3, "c15": 0.15, "c10": 0.1, "c05": 0.05,
                                        "c03": 0.03, "c01": 0.01]
        return engine.contrast(input, level: levels[condition]!)
    }

    public static let highPass = Distortion(
        name: "high-pass", conditions: ["inf", "3", "1.5", "1", "0.7", "0.55", "0.45", "0.4"], isRandom: false,
        summary: "greyscale minus its Gaussian blur (σ in pixels), re-centred on 0.4423; inf = greyscale"
    ) { engine, input, condition, _ in
        condition == "inf" ? engine.greyOutput(input, layout: .grey)
            : engine.highPass(input, sigma: Double(condition)!)
    }

    public static let lowPass = Distortion(
        name: "low-pass", conditions: ["0", "1", "3", "5", "7", "10", "15", "40"], isRandom: false,
        summary: "greyscale Gaussian blur (σ in pixels, borders padded with 0.4423); 0 = greyscale"
    ) { engine, input, condition, _ in
        engine.lowPass(input, sigma: Double(condition)!)
    }

    public static let phaseScrambling = Distortion(
        name: "phase-scrambling", conditions: ["0", "30", "60", "90", "120", "150", "180"], isRandom: true,
        summary: "greyscale, Fourier phases shifted by uniform noise of ± width degrees (the reference's quirk kept)"
    ) { engine, input, condition, seed in
        try engine.phaseScrambling(input, width: Int(condition)!, seed: seed)
    }

    public static let powerEqualisation = Distortion(
        name: "power-equalisation", conditions: ["0", "pow"], isRandom: false,
        summary: "pow: greyscale with the mean amplitude spectrum of the experiment images; 0 = greyscale"
    ) { engine, input, condition, _ in
        condition == "0" ? engine.greyOutput(input, layout: .grey) : try engine.powerEqualisation(input)
    }

    public static let falseColour = Distortion(
        name: "false-colour", conditions: ["true", "false"], isRandom: false,
        summary: "false: opponent colours (L−M and S−(L+M) negated); true: the RGB image unchanged"
    ) { engine, input, condition, _ in
        condition == "true" ? engine.identityRGB(input) : try engine.falseColour(input)
    }

    public static let rotation = Distortion(
        name: "rotation", conditions: ["0", "90", "180", "270"], isRandom: false,
        summary: "greyscale rotated counter-clockwise by 0, 90, 180 or 270 degrees"
    ) { engine, input, condition, _ in
        try engine.rotation(input, degrees: Int(condition)!)
    }

    public static let uniformNoise = Distortion(
        name: "uniform-noise", conditions: ["0.00", "0.03", "0.05", "0.10", "0.20", "0.35", "0.60", "0.90"],
        isRandom: true,
        summary: "greyscale at contrast 0.3 plus uniform noise in [−w, w), clipped to [0, 1]"
    ) { engine, input, condition, seed in
        engine.uniformNoise(input, width: Double(condition)!, contrast: 0.3, seed: seed)
    }
}
