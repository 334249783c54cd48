/// One eidolon condition: reach, coherence and grain of the Koenderink et al. partially coherent disarray
/// (specs/eidolon.md §1).
///
/// The condition strings are model-vs-human's: `REACH-COHERENCE×10-GRAIN`, e.g. `16-3-10` is reach 16,
/// coherence 0.3, grain 10. The three datasets use grain 10 and reach 1, 2, 4, …, 128:
/// `eidolonI` coherence 1.0 (`R-10-10`), `eidolonII` coherence 0.3 (`R-3-10`), `eidolonIII` coherence 0.0 (`R-0-10`).
public struct EidolonCondition: Sendable, Hashable, CustomStringConvertible {
    /// Displacement scale: pixels of the 256 px working picture per unit of displacement field (0 = no warp).
    public let reach: Double
    /// Blend weight of the coherent field, in [0, 1] (1 − coherence goes to the incoherent field).
    public let coherence: Double
    /// σ in pixels of the blur applied to the incoherent noise planes.
    public let grain: Double

    /// The reaches of the three model-vs-human datasets.
    public static let reaches: [Int] = [1, 2, 4, 8, 16, 32, 64, 128]

    public init(reach: Double, coherence: Double, grain: Double = 10.0) {
        precondition(reach >= 0 && reach.isFinite, "reach must be finite and non-negative")
        precondition(coherence >= 0 && coherence <= 1, "coherence must lie in [0, 1]")
        precondition(grain > 0 && grain.isFinite, "grain must be positive")
        self.reach = reach
        self.coherence = coherence
        self.grain = grain
    }

    /// Parses `REACH-COHERENCE-GRAIN` (integers; the middle one is coherence × 10, 0…10), e.g. `16-3-10`.
    /// Returns nil for anything else.
    public init?(parsing text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3,
              parts.allSatisfy({ !$0.isEmpty && $0.count <= 6 && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              let reach = Int(parts[0]), let tenths = Int(parts[1]), let grain = Int(parts[2]),
              tenths <= 10, grain > 0
        else { return nil }
        // Coherence as the reference writes it: 0.3, not 3 * 0.1 (which is 0.30000000000000004).
        self.init(reach: Double(reach), coherence: Double(tenths) / 10.0, grain: Double(grain))
    }

    /// The condition string as in model-vs-human's raw data (`16-3-10`).
    public var description: String {
        "\(Int(reach))-\(Int((coherence * 10).rounded()))-\(Int(grain))"
    }
}

/// The three eidolon datasets of Geirhos et al. (2018) as model-vs-human names them.
public enum EidolonDataset: String, Sendable, CaseIterable {
    case eidolonI
    case eidolonII
    case eidolonIII

    /// Coherence of the dataset: 1.0, 0.3 and 0.0.
    public var coherence: Double {
        switch self {
        case .eidolonI: 1.0
        case .eidolonII: 0.3
        case .eidolonIII: 0.0
        }
    }

    /// The eight condition strings in the order of increasing reach (`1-10-10` … `128-10-10` for eidolonI).
    public var conditions: [String] {
        EidolonCondition.reaches.map { EidolonCondition(reach: Double($0), coherence: coherence).description }
    }

    /// The condition for a condition string of this dataset, or nil if the string is not one of `conditions`.
    public func condition(_ text: String) -> EidolonCondition? {
        guard conditions.contains(text), let parsed = EidolonCondition(parsing: text) else { return nil }
        return parsed
    }
}
