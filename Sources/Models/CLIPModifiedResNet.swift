import Inference

/// The ModifiedResNet image tower (specs/clip.md §4.3): 3-conv stem + AvgPool2d(2), anti-aliased Bottleneck
/// stages (down-sampling by average pools only), attention pooling with the mean token as the only query.
/// BatchNorms are folded into the preceding bias-free convolutions at load time.
struct CLIPModifiedResNet: Sendable {
    struct Conv: Sendable {
        let shape: Conv2DShape
        let weight: [Float], bias: [Float]

        init(_ prefix: String, bn: String, cin: Int, cout: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
             bag: inout WeightBag) throws {
            shape = Conv2DShape(inChannels: cin, outChannels: cout, kernel: kernel, stride: stride, padding: padding)
            let w = try bag.take(prefix + ".weight", [cout, cin, kernel, kernel])
            let fold = BatchNormFold(weight: try bag.take(bn + ".weight", [cout]), bias: try bag.take(bn + ".bias", [cout]),
                                     runningMean: try bag.take(bn + ".running_mean", [cout]),
                                     runningVar: try bag.take(bn + ".running_var", [cout]))
            (weight, bias) = foldBatchNorm(weight: w, bias: nil, outChannels: cout, bn: fold)
        }

        func callAsFunction(_ x: [Float], _ h: Int, _ w: Int, relu doRelu: Bool) -> ([Float], Int, Int) {
            let oh = shape.outHeight(h), ow = shape.outWidth(w)
            var out = [Float](repeating: 0, count: shape.outChannels * oh * ow)
            var scratch = [Float](repeating: 0, count: max(shape.scratchCount(height: h, width: w), 1))
            conv2d(x, height: h, width: w, shape: shape, weight: weight, bias: bias, out: &out, scratch: &scratch)
            if doRelu { relu(&out, count: out.count) }
            return (out, oh, ow)
        }
    }

    struct Bottleneck: Sendable {
        let conv1: Conv, conv2: Conv, conv3: Conv
        let stride: Int
        let downsample: Conv?
    }

    let stem: [Conv]
    let stages: [[Bottleneck]]
    let width: Int, imageSize: Int, embedDim: Int, heads: Int
    let attnPos: [Float], qW: [Float], qB: [Float], kW: [Float], kB: [Float], vW: [Float], vB: [Float], cW: [Float], cB: [Float]

    init(layers: [Int], width w: Int, heads: Int, imageSize: Int, embedDim: Int, bag: inout WeightBag) throws {
        guard layers.count == 4, imageSize % 32 == 0, w % 2 == 0 else {
            throw ModelsError.invalidFile(file: bag.file, reason: "ModifiedResNet needs 4 stages, even width and a resolution divisible by 32")
        }
        self.width = w; self.imageSize = imageSize; self.embedDim = embedDim; self.heads = heads
        stem = [
            try Conv("visual.conv1", bn: "visual.bn1", cin: 3, cout: w / 2, kernel: 3, stride: 2, padding: 1, bag: &bag),
            try Conv("visual.conv2", bn: "visual.bn2", cin: w / 2, cout: w / 2, kernel: 3, padding: 1, bag: &bag),
            try Conv("visual.conv3", bn: "visual.bn3", cin: w / 2, cout: w, kernel: 3, padding: 1, bag: &bag),
        ]
        var inC = w
        var st: [[Bottleneck]] = []
        for (s, depth) in layers.enumerated() {
            let planes = w << s
            var blocks: [Bottleneck] = []
            for j in 0..<depth {
                let p = "visual.layer\(s + 1).\(j)"
                let stride = j == 0 && s > 0 ? 2 : 1
                let needsDown = stride > 1 || inC != planes * 4
                blocks.append(Bottleneck(
                    conv1: try Conv(p + ".conv1", bn: p + ".bn1", cin: inC, cout: planes, kernel: 1, bag: &bag),
                    conv2: try Conv(p + ".conv2", bn: p + ".bn2", cin: planes, cout: planes, kernel: 3, padding: 1, bag: &bag),
                    conv3: try Conv(p + ".conv3", bn: p + ".bn3", cin: planes, cout: planes * 4, kernel: 1, bag: &bag),
                    stride: stride,
                    downsample: needsDown ? try Conv(p + ".downsample.0", bn: p + ".downsample.1", cin: inC, cout: planes * 4, kernel: 1, bag: &bag) : nil))
                inC = planes * 4
            }
            if bag.has("visual.layer\(s + 1).\(depth).conv1.weight") {
                throw ModelsError.unexpectedTensor(file: bag.file, tensor: "visual.layer\(s + 1).\(depth).conv1.weight (deeper stage than the architecture says)")
            }
            st.append(blocks)
        }
        stages = st
        let c = w * 32, s = (imageSize / 32) * (imageSize / 32)
        attnPos = try bag.take("visual.attnpool.positional_embedding", [s + 1, c])
        qW = try bag.take("visual.attnpool.q_proj.weight", [c, c]); qB = try bag.take("visual.attnpool.q_proj.bias", [c])
        kW = try bag.take("visual.attnpool.k_proj.weight", [c, c]); kB = try bag.take("visual.attnpool.k_proj.bias", [c])
        vW = try bag.take("visual.attnpool.v_proj.weight", [c, c]); vB = try bag.take("visual.attnpool.v_proj.bias", [c])
        cW = try bag.take("visual.attnpool.c_proj.weight", [embedDim, c]); cB = try bag.take("visual.attnpool.c_proj.bias", [embedDim])
    }

    private func pool(_ x: [Float], _ c: Int, _ h: Int, _ w: Int, _ k: Int) -> ([Float], Int, Int) {
        if k == 1 { return (x, h, w) }
        var out = [Float](repeating: 0, count: c * (h / k) * (w / k))
        avgPool2d(x, channels: c, height: h, width: w, kernel: k, out: &out)
        return (out, h / k, w / k)
    }

    /// One normalised image `[3, R, R]` → `out` `[E]`.
    func forward(_ pixels: [Float], out: UnsafeMutablePointer<Float>, trace: ((String, [Float]) -> Void)? = nil) {
        var (x, h, w) = stem[0](pixels, imageSize, imageSize, relu: true)
        (x, h, w) = stem[1](x, h, w, relu: true)
        (x, h, w) = stem[2](x, h, w, relu: true)
        (x, h, w) = pool(x, width, h, w, 2)
        trace?("stem.out", x)
        var c = width
        for (s, blocks) in stages.enumerated() {
            for b in blocks {
                var (y, yh, yw) = b.conv1(x, h, w, relu: true)
                (y, yh, yw) = b.conv2(y, yh, yw, relu: true)
                (y, yh, yw) = pool(y, b.conv1.shape.outChannels, yh, yw, b.stride)
                (y, yh, yw) = b.conv3(y, yh, yw, relu: false)
                var shortcut = x
                if let d = b.downsample {
                    let (px, ph, pw) = pool(x, c, h, w, b.stride)
                    (shortcut, _, _) = d(px, ph, pw, relu: false)
                }
                for i in y.indices { y[i] = max(y[i] + shortcut[i], 0) }
                (x, h, w) = (y, yh, yw)
                c = b.conv3.shape.outChannels
            }
            trace?("layer\(s + 1).out", x)
        }
        // attention pooling over S = h·w tokens of C channels
        let s = h * w
        var tokens = [Float](repeating: 0, count: (s + 1) * c)
        for ch in 0..<c {
            var sum: Float = 0
            for i in 0..<s { let v = x[ch * s + i]; tokens[(i + 1) * c + ch] = v; sum += v }
            tokens[ch] = sum / Float(s)
        }
        for i in tokens.indices { tokens[i] += attnPos[i] }
        var q = [Float](repeating: 0, count: c), k = [Float](repeating: 0, count: (s + 1) * c), v = k
        linear(tokens, rows: 1, inFeatures: c, weight: qW, bias: qB, outFeatures: c, out: &q)
        linear(tokens, rows: s + 1, inFeatures: c, weight: kW, bias: kB, outFeatures: c, out: &k)
        linear(tokens, rows: s + 1, inFeatures: c, weight: vW, bias: vB, outFeatures: c, out: &v)
        var att = [Float](repeating: 0, count: c), scores = [Float](repeating: 0, count: s + 1)
        multiHeadAttention(q: q, qStride: c, k: k, v: v, kvStride: c, queries: 1, keys: s + 1, heads: heads,
                           headDim: c / heads, causal: false, out: &att, outStride: c, scores: &scores)
        linear(att, rows: 1, inFeatures: c, weight: cW, bias: cB, outFeatures: embedDim, out: out)
    }
}
