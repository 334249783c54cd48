import Foundation
import Synchronization

/// The activation memory of CLIP-Mamba forward passes: a bump allocator over a few large 64-byte-aligned chunks
/// that are kept between passes, so that after the first image of a shape a forward pass allocates nothing.
///
/// Buffers are taken in `scope`s and given back together when the scope ends (a stack discipline: the forward
/// pass of one image is one scope, each block another inside it). A pass takes the same buffers in the same
/// order every time, so the chunks the first pass created fit every later one. Used by one thread at a time
/// (`MambaWorkspacePool` hands them out).
final class MambaWorkspace: @unchecked Sendable {
    private var chunks: [(p: UnsafeMutablePointer<Float>, count: Int)] = []
    private var chunk = 0, used = 0
    /// Floats of a new chunk (unless one buffer needs more): 16 MiB.
    static let chunkFloats = 1 << 22

    deinit { for c in chunks { c.p.deallocate() } }

    /// Total floats held (for tests and reports).
    var capacity: Int { chunks.reduce(0) { $0 + $1.count } }

    /// An uninitialised buffer of `count` floats, valid until the enclosing `scope` ends.
    func take(_ count: Int) -> FloatBuffer {
        let n = (Swift.max(1, count) + 15) & ~15          // keep every buffer 64-byte aligned
        while chunk < chunks.count {
            if used + n <= chunks[chunk].count {
                defer { used += n }
                return FloatBuffer(p: chunks[chunk].p + used, count: count)
            }
            chunk += 1; used = 0
        }
        let size = Swift.max(n, Self.chunkFloats)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: size * MemoryLayout<Float>.stride, alignment: 64)
        let p = raw.bindMemory(to: Float.self, capacity: size)
        chunks.append((p, size))
        chunk = chunks.count - 1; used = n
        return FloatBuffer(p: p, count: count)
    }

    /// Runs `body`; the buffers it takes are released when it returns.
    func scope<R>(_ body: () throws -> R) rethrows -> R {
        let (c, u) = (chunk, used)
        defer { chunk = c; used = u }
        return try body()
    }
}

/// Workspaces handed to concurrent forward passes (one per running pass), kept for the next ones.
final class MambaWorkspacePool: Sendable {
    private let free = Mutex<[MambaWorkspace]>([])

    init() {}

    /// Runs `body` with a workspace no other thread is using.
    func with<R>(_ body: (MambaWorkspace) throws -> R) rethrows -> R {
        let ws = free.withLock { $0.popLast() } ?? MambaWorkspace()
        defer { free.withLock { $0.append(ws) } }
        return try ws.scope { try body(ws) }
    }
}
