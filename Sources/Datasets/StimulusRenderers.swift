import Foundation

/// The renderers `generate` can use.
public enum StimulusRenderers {
    /// The standard renderer: decode, bring to 224×224, apply the dataset's distortion at the task's condition with
    /// the task's seed, encode an 8-bit RGB PNG (round half up). Throws until the distortion registry is built.
    public static func standard() throws -> any StimulusRenderer {
        throw DatasetsError.render(file: "generate", problem: "the distortion registry is not available in this build yet")
    }
}
