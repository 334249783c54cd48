import ArgumentParser
import Foundation
import Models

extension ModelOptions {
    /// `external:COMMAND`: starts the model process (docs/external-protocol.md); for an `embeddings` model the
    /// zero-shot head of `--protocol` is built from its text embeddings of the mirror's class names and templates.
    func makeExternal() throws -> any ImageClassifier {
        guard let command = ExternalModel.command(fromSpec: model) else {
            throw ValidationError("external:COMMAND needs a command, e.g. external:'python3 adapter.py'")
        }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive.") }
        guard let p = ZeroShotProtocol(rawValue: zeroShotProtocol) else {
            throw ValidationError("--protocol must be imagenet1000 or direct16.")
        }
        return try ExternalModel(
            command: command, zeroShot: p, timeout: timeout, promptData: { try CLIPResources.protocolData(p) },
            echoStderr: true,
            progress: { done, total in
                if done == total || done % 8000 < 1000 {
                    FileHandle.standardError.write(Data("zero-shot head: \(done)/\(total) prompts embedded\n".utf8))
                }
            })
    }
}
