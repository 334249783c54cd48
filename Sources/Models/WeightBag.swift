import Inference

/// Named float tensors being consumed by a model constructor: `take` checks presence and shape and records
/// use; `finish` rejects tensors nobody took (an unknown layout or architecture).
struct WeightBag {
    let file: String
    var tensors: [String: Tensor]
    private(set) var used: Set<String> = []

    init(file: String, tensors: [String: Tensor]) {
        self.file = file
        self.tensors = tensors
    }

    func has(_ name: String) -> Bool { tensors[name] != nil }

    func shape(_ name: String) throws -> [Int] {
        guard let t = tensors[name] else { throw ModelsError.missingTensor(file: file, tensor: name) }
        return t.shape
    }

    /// The tensor's data; `shape` checks the exact shape (a `[1]` tensor is accepted for a scalar `[]`).
    mutating func take(_ name: String, _ shape: [Int]) throws -> [Float] {
        guard let t = tensors[name] else { throw ModelsError.missingTensor(file: file, tensor: name) }
        guard t.shape == shape || (shape.isEmpty && t.shape == [1]) else {
            throw ModelsError.shapeMismatch(file: file, tensor: name, expected: shape, got: t.shape)
        }
        used.insert(name)
        return t.data
    }

    /// Throws for the first tensor (in name order) that was not taken and is not ignorable.
    func finish(ignoring ignorable: (String) -> Bool) throws {
        for name in tensors.keys.sorted() where !used.contains(name) && !ignorable(name) {
            throw ModelsError.unexpectedTensor(file: file, tensor: name)
        }
    }
}
