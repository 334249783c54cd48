import Imaging

// MARK: - The three eidolon distortions (specs/eidolon.md)

extension Distortion {
    public static let eidolonI = eidolon(.eidolonI)
    public static let eidolonII = eidolon(.eidolonII)
    public static let eidolonIII = eidolon(.eidolonIII)

    /// The registry entry of one eidolon dataset: input square, any size (224 × 224 in the study; other sizes are
    /// resized to the toolbox's 256 px just the same); output the 224 × 224 grey stimulus.
    private static func eidolon(_ dataset: EidolonDataset) -> Distortion {
        let coherence = dataset == .eidolonI ? "1.0" : dataset == .eidolonII ? "0.3" : "0.0"
        return Distortion(
            name: dataset.rawValue, conditions: dataset.conditions, isRandom: true,
            summary: "Koenderink eidolon, partially coherent disarray (REACH-\(dataset.conditions[0].split(separator: "-")[1])-10: "
                + "reach 1…128 px, coherence \(coherence), grain 10); grey 224×224, square inputs only"
        ) { engine, input, condition, seed in
            guard let parsed = dataset.condition(condition) else {
                throw DistortionsError.unknownCondition(distortion: dataset.rawValue, condition: condition,
                                                        valid: dataset.conditions)
            }
            let picture = try EidolonPicture(image: input, distortion: dataset.rawValue)
            let result = engine.eidolon.render(picture, condition: parsed, seed: seed, reuse: engine.reusesEidolonWork)
            let samples = result.stimulus.samples
            let values = [Double](unsafeUninitializedCapacity: samples.count) { buffer, initialised in
                for i in 0..<samples.count { buffer[i] = Double(samples[i]) / 255.0 }
                initialised = samples.count
            }
            return DistortedImage(width: result.stimulus.width, height: result.stimulus.height, layout: .grey,
                                  values: values)
        }
    }
}
