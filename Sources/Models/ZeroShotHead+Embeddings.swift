extension ZeroShotHead {
    /// The head from prompt embeddings computed elsewhere (an external model's text tower): `embeddings` holds
    /// `classCount × templatesPerClass` rows of `embedDim`, class-major (class 0's templates first, as
    /// `build` orders its prompts). Same steps as `build`: each row L2-normalised, the mean per class, renormalised.
    public init(promptEmbeddings embeddings: [Float], classCount k: Int, templatesPerClass t: Int, embedDim e: Int) {
        precondition(embeddings.count == k * t * e && t > 0)
        var cls = [Float](repeating: 0, count: k * e)
        for p in 0..<(k * t) {
            let row = p * e, c = p / t
            var norm: Float = 0
            for j in 0..<e { norm += embeddings[row + j] * embeddings[row + j] }
            let inv = 1 / norm.squareRoot()
            for j in 0..<e { cls[c * e + j] += embeddings[row + j] * inv }
        }
        for c in 0..<k {
            var norm: Float = 0
            for j in 0..<e { let v = cls[c * e + j] / Float(t); cls[c * e + j] = v; norm += v * v }
            let inv = 1 / norm.squareRoot()
            for j in 0..<e { cls[c * e + j] *= inv }
        }
        self.init(classifier: cls, classCount: k, embedDim: e)
    }
}
