import Foundation

/// A CLIP model spec string.
///
/// Grammar: `clip:SOURCE[@ARCH]`
/// - SOURCE: a weights file (`.safetensors`, or a `.pt`/`.bin`/`.pth` zip: open_clip state dict or OpenAI
///   TorchScript archive), a Hugging Face `CLIPModel` folder, or `seeded` (formula weights, see
///   `CLIPSeededWeights`; ViT architectures only).
/// - ARCH: an open_clip architecture name (`ViT-B-32`, `ViT-B-32-quickgelu`, `RN50-quickgelu`, …; the
///   `-quickgelu` suffix selects QuickGELU) or a config `.json` (open_clip model config, or the clip-fixtures
///   form). Required for open_clip state dicts and `seeded`; optional for TorchScript (inferred, QuickGELU) and
///   HF folders (from `config.json`).
///
/// Examples: `clip:ViT-B-32.pt` (OpenAI), `clip:open_clip_model.safetensors@ViT-B-32-quickgelu`,
/// `clip:hf/clip-vit-base-patch32`, `clip:seeded@ViT-B-32-quickgelu`.
public struct CLIPModelSpec: Sendable, Equatable {
    public var source: String
    public var arch: String?

    /// The grammar, one paragraph for `--help`.
    public static let grammar = """
    clip:SOURCE[@ARCH] — SOURCE is a .safetensors/.pt/.bin file (open_clip state dict or OpenAI TorchScript), a \
    Hugging Face CLIPModel folder, or 'seeded' (formula weights); ARCH is an open_clip architecture name \
    (ViT-B-32, ViT-B-32-quickgelu, RN50-quickgelu, …) or a config .json, required for state dicts and 'seeded'.
    """

    /// Parses `clip:…`; nil if the string does not start with `clip:`.
    public init?(_ spec: String) {
        guard spec.hasPrefix("clip:") else { return nil }
        var body = String(spec.dropFirst(5))
        if let at = body.lastIndex(of: "@") {
            arch = String(body[body.index(after: at)...])
            body = String(body[..<at])
        }
        source = body
        if source.isEmpty { return nil }
    }

    /// Loads the model (see `CLIPLoader.load`).
    public func load() throws -> (model: CLIPModel, weightsFile: URL?, format: String) {
        if source == "seeded" {
            guard let arch else { throw ModelsError.unknownModelSpec("clip:seeded needs an architecture: clip:seeded@ViT-B-32") }
            return (try CLIPSeededWeights.model(config: try CLIPLoader.resolveArch(arch)), nil, "seeded")
        }
        let l = try CLIPLoader.load(URL(fileURLWithPath: source), arch: arch)
        return (l.model, l.weightsFile, l.format)
    }
}
