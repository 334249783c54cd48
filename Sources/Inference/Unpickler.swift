import Foundation

/// A mutable pickle list (APPEND/APPENDS mutate it after it was memoised, hence a reference type).
public final class PickleList {
    public var items: [PickleValue]
    public init(_ items: [PickleValue] = []) { self.items = items }
}

/// A pickle dict or OrderedDict: entries in insertion order, plus the state a BUILD attached to it
/// (`state_dict()` attaches `_metadata` this way).
public final class PickleDict {
    public var items: [(key: PickleValue, value: PickleValue)]
    public var state: PickleValue?
    public init(_ items: [(key: PickleValue, value: PickleValue)] = []) { self.items = items }

    /// The value of the first entry whose key is the string `key`.
    public subscript(key: String) -> PickleValue? {
        for item in items { if case .string(let k) = item.key, k == key { return item.value } }
        return nil
    }
}

/// An instance of a class the unpickler is allowed to build without running code: `module.name`
/// (e.g. a TorchScript `__torch__.…` module), its constructor arguments, and the state given by BUILD.
public final class PickleObject {
    public let module: String
    public let name: String
    public let args: [PickleValue]
    public var state: PickleValue?
    public init(module: String, name: String, args: [PickleValue]) {
        self.module = module; self.name = name; self.args = args
    }
}

/// A persistent reference to a PyTorch storage: `('storage', <StorageClass>, key, location, numel[, …])`.
public struct StorageReference: Sendable, Equatable {
    /// The blob name (`data/<key>` in zip checkpoints, the storage key in legacy files).
    public let key: String
    public let type: ScalarType
    /// "cpu", "cuda:0", … (ignored when loading).
    public let location: String
    /// Storage size in elements.
    public let elementCount: Int
}

/// A tensor view into a storage (`torch._utils._rebuild_tensor_v2`): offset, sizes and strides in elements.
public struct TensorReference: Sendable, Equatable {
    public let storage: StorageReference
    public let offset: Int
    public let size: [Int]
    public let stride: [Int]
}

/// A value produced by `Unpickler`.
public enum PickleValue {
    case none
    case bool(Bool)
    case int(Int64)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue])
    case list(PickleList)
    case dict(PickleDict)
    /// A class or function reference (GLOBAL / STACK_GLOBAL) that was not called.
    case global(module: String, name: String)
    case object(PickleObject)
    case storage(StorageReference)
    case tensor(TensorReference)

    /// The string, if this is one.
    public var string: String? { if case .string(let s) = self { return s }; return nil }
    /// The integer, if this is one (bools count as 0/1).
    public var int: Int? {
        switch self {
        case .int(let v): return Int(exactly: v)
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }
    /// The list, dict or object instance, if this is one (the values that can take part in a reference cycle).
    var container: AnyObject? {
        switch self {
        case .list(let l): return l
        case .dict(let d): return d
        case .object(let o): return o
        default: return nil
        }
    }
    /// Tuple or list elements.
    public var elements: [PickleValue]? {
        switch self {
        case .tuple(let t): return t
        case .list(let l): return l.items
        default: return nil
        }
    }
}

/// A minimal, safe unpickler for PyTorch checkpoints (protocols 0–5, the opcodes state dicts and TorchScript
/// archives use; specs/clip.md §7.1). It never executes code: REDUCE/NEWOBJ only build a whitelisted set of
/// values (OrderedDict, tensors via `torch._utils._rebuild_tensor_v2` and friends, `__torch__.*` attribute
/// bags); anything else goes to `callableHandler` or is refused. Persistent ids become `.storage` values by
/// default (override with `persistentLoad`). Nesting depth, stack and memo size and declared lengths are
/// limited; every violation throws `InferenceError` naming the file and the byte offset.
///
/// `load(_:from:)` returns the end offset, so concatenated pickles (the legacy torch.save format) can be read
/// one after the other.
public struct Unpickler {
    /// Resource limits.
    public struct Limits: Sendable {
        /// Maximum number of open MARKs (nested containers being built).
        public var maxMarkDepth = 1_000
        /// Maximum stack size.
        public var maxStack = 10_000_000
        /// Maximum memo index.
        public var maxMemo = 10_000_000
        /// Maximum container nesting of any value built (tuples inside tuples …).
        public var maxNesting = 200
        public init() {}
    }

    public let file: String
    public var limits: Limits
    /// Turns a persistent id into a value; default: torch storage tuples → `.storage`.
    public var persistentLoad: ((PickleValue) throws -> PickleValue)?
    /// Called first for every REDUCE/NEWOBJ with (module, name, arguments); return nil to fall back to the
    /// built-in whitelist.
    public var callableHandler: ((String, String, [PickleValue]) throws -> PickleValue?)?

    public init(file: String, limits: Limits = Limits()) {
        self.file = file
        self.limits = limits
    }

    /// Unpickles the pickle that starts at `offset` in `bytes`; returns the value and the offset after STOP.
    public func load(_ bytes: UnsafeRawBufferPointer, from offset: Int = 0) throws -> (value: PickleValue, end: Int) {
        var cur = ByteCursor(bytes, file: file, offset: offset)
        var stack: [PickleValue] = []
        var depth: [Int] = []  // nesting depth per stack slot
        var marks: [Int] = []
        var memo: [Int: (PickleValue, Int)] = [:]

        func fail(_ msg: String, _ at: Int) -> InferenceError { .pickle(file: file, offset: at, detail: msg) }
        // Every list, dict and object that reaches the stack, so that reference cycles (DUP + BUILD, a memo GET
        // appended into its own list) can be found and broken: ARC would never free them.
        var containers: [AnyObject] = []
        var known = Set<ObjectIdentifier>()
        func push(_ v: PickleValue, _ d: Int = 0, at: Int) throws {
            guard stack.count < limits.maxStack else { throw InferenceError.limitExceeded(file: file, detail: "pickle stack above \(limits.maxStack) at offset \(at)") }
            guard d <= limits.maxNesting else { throw InferenceError.limitExceeded(file: file, detail: "pickle nesting above \(limits.maxNesting) at offset \(at)") }
            if let object = v.container, known.insert(ObjectIdentifier(object)).inserted { containers.append(object) }
            stack.append(v); depth.append(d)
        }
        func pop(at: Int) throws -> (PickleValue, Int) {
            guard let v = stack.popLast(), let d = depth.popLast() else { throw fail("stack underflow", at) }
            if let m = marks.last, stack.count < m { throw fail("stack underflow below MARK", at) }
            return (v, d)
        }
        func popMark(at: Int) throws -> ([PickleValue], Int) {
            guard let m = marks.popLast() else { throw fail("no MARK on the stack", at) }
            let items = Array(stack[m...])
            let d = depth[m...].max() ?? 0
            stack.removeSubrange(m...); depth.removeSubrange(m...)
            return (items, d)
        }
        func memoPut(_ i: Int, at: Int) throws {
            guard i >= 0, i < limits.maxMemo else { throw InferenceError.limitExceeded(file: file, detail: "memo index \(i) at offset \(at)") }
            guard let v = stack.last, let d = depth.last else { throw fail("memo put on empty stack", at) }
            memo[i] = (v, d)
        }
        func memoGet(_ i: Int, at: Int) throws {
            guard let (v, d) = memo[i] else { throw fail("memo index \(i) not defined", at) }
            try push(v, d, at: at)
        }
        func text(_ b: UnsafeRawBufferPointer, at: Int) throws -> String {
            guard let s = String(validating: b, as: UTF8.self) else { throw fail("invalid UTF-8 string", at) }
            return s
        }
        func length(_ n: UInt64, at: Int) throws -> Int {
            guard n <= UInt64(cur.remaining) else {
                throw InferenceError.truncated(file: file, offset: cur.offset, need: Int(clamping: n), have: cur.remaining)
            }
            return Int(n)
        }
        func setItems(_ target: PickleValue, _ kv: [PickleValue], at: Int) throws {
            guard kv.count % 2 == 0 else { throw fail("SETITEMS with an odd number of items", at) }
            switch target {
            case .dict(let d):
                for i in stride(from: 0, to: kv.count, by: 2) { d.items.append((kv[i], kv[i + 1])) }
            case .object(let o):
                // Some classes pickle their items directly onto the instance; keep them in the state dict.
                let d: PickleDict
                if case .dict(let existing)? = o.state { d = existing } else { d = PickleDict(); o.state = .dict(d) }
                for i in stride(from: 0, to: kv.count, by: 2) { d.items.append((kv[i], kv[i + 1])) }
            default: throw fail("SETITEM(S) on a non-dict", at)
            }
        }

        func run() throws -> (value: PickleValue, end: Int) {
            while true {
                let at = cur.offset
                let op = try cur.u8()
                switch op {
                case 0x80: _ = try cur.u8()                                   // PROTO
                case 0x95: _ = try cur.u64()                                  // FRAME
                case 0x2E:                                                    // STOP
                    guard stack.count == 1 else { throw fail("STOP with \(stack.count) values on the stack", at) }
                    return (stack[0], cur.offset)
                case 0x28:                                                    // MARK
                    guard marks.count < limits.maxMarkDepth else { throw InferenceError.limitExceeded(file: file, detail: "MARK depth above \(limits.maxMarkDepth) at offset \(at)") }
                    marks.append(stack.count)
                case 0x30: _ = try pop(at: at)                                // POP
                case 0x31: _ = try popMark(at: at)                            // POP_MARK
                case 0x32:                                                    // DUP
                    guard let v = stack.last else { throw fail("DUP on empty stack", at) }
                    try push(v, depth.last ?? 0, at: at)
                case 0x63:                                                    // GLOBAL
                    let module = String(decoding: try cur.line(), as: UTF8.self)
                    let name = String(decoding: try cur.line(), as: UTF8.self)
                    try push(.global(module: module, name: name), at: at)
                case 0x93:                                                    // STACK_GLOBAL
                    let (n, _) = try pop(at: at), (m, _) = try pop(at: at)
                    guard let name = n.string, let module = m.string else { throw fail("STACK_GLOBAL needs two strings", at) }
                    try push(.global(module: module, name: name), at: at)
                case 0x29: try push(.tuple([]), at: at)                        // EMPTY_TUPLE
                case 0x74:                                                    // TUPLE
                    let (items, d) = try popMark(at: at); try push(.tuple(items), d + 1, at: at)
                case 0x85, 0x86, 0x87:                                        // TUPLE1/2/3
                    let n = Int(op - 0x84)
                    var items: [PickleValue] = []; var d = 0
                    for _ in 0..<n { let (v, vd) = try pop(at: at); items.insert(v, at: 0); d = max(d, vd) }
                    try push(.tuple(items), d + 1, at: at)
                case 0x5D: try push(.list(PickleList()), 1, at: at)          // EMPTY_LIST
                case 0x6C:                                                    // LIST
                    let (items, d) = try popMark(at: at); try push(.list(PickleList(items)), d + 1, at: at)
                case 0x61:                                                    // APPEND
                    let (v, vd) = try pop(at: at)
                    guard case .list(let l)? = stack.last else { throw fail("APPEND to a non-list", at) }
                    l.items.append(v); depth[depth.count - 1] = max(depth[depth.count - 1], vd + 1)
                    if depth[depth.count - 1] > limits.maxNesting { throw InferenceError.limitExceeded(file: file, detail: "pickle nesting above \(limits.maxNesting) at offset \(at)") }
                case 0x65:                                                    // APPENDS
                    let (items, d) = try popMark(at: at)
                    guard case .list(let l)? = stack.last else { throw fail("APPENDS to a non-list", at) }
                    l.items.append(contentsOf: items); depth[depth.count - 1] = max(depth[depth.count - 1], d + 1)
                    if depth[depth.count - 1] > limits.maxNesting { throw InferenceError.limitExceeded(file: file, detail: "pickle nesting above \(limits.maxNesting) at offset \(at)") }
                case 0x7D: try push(.dict(PickleDict()), 1, at: at)          // EMPTY_DICT
                case 0x64:                                                    // DICT
                    let (items, d) = try popMark(at: at)
                    let dict = PickleDict(); try setItems(.dict(dict), items, at: at); try push(.dict(dict), d + 1, at: at)
                case 0x73:                                                    // SETITEM
                    let (v, vd) = try pop(at: at), (k, kd) = try pop(at: at)
                    guard let target = stack.last else { throw fail("SETITEM on empty stack", at) }
                    try setItems(target, [k, v], at: at)
                    depth[depth.count - 1] = max(depth[depth.count - 1], max(vd, kd) + 1)
                    if depth[depth.count - 1] > limits.maxNesting { throw InferenceError.limitExceeded(file: file, detail: "pickle nesting above \(limits.maxNesting) at offset \(at)") }
                case 0x75:                                                    // SETITEMS
                    let (items, d) = try popMark(at: at)
                    guard let target = stack.last else { throw fail("SETITEMS on empty stack", at) }
                    try setItems(target, items, at: at)
                    depth[depth.count - 1] = max(depth[depth.count - 1], d + 1)
                    if depth[depth.count - 1] > limits.maxNesting { throw InferenceError.limitExceeded(file: file, detail: "pickle nesting above \(limits.maxNesting) at offset \(at)") }
                case 0x4E: try push(.none, at: at)                             // NONE
                case 0x88: try push(.bool(true), at: at)                       // NEWTRUE
                case 0x89: try push(.bool(false), at: at)                      // NEWFALSE
                case 0x4A: try push(.int(Int64(try cur.i32())), at: at)        // BININT
                case 0x4B: try push(.int(Int64(try cur.u8())), at: at)         // BININT1
                case 0x4D: try push(.int(Int64(try cur.u16())), at: at)        // BININT2
                case 0x49:                                                    // INT (text)
                    let s = String(decoding: try cur.line(), as: UTF8.self)
                    if s == "00" { try push(.bool(false), at: at) } else if s == "01" { try push(.bool(true), at: at) }
                    else if let v = Int64(s) { try push(.int(v), at: at) } else { throw fail("bad INT \(s)", at) }
                case 0x4C:                                                    // LONG (text)
                    var s = String(decoding: try cur.line(), as: UTF8.self)
                    if s.hasSuffix("L") { s.removeLast() }
                    guard let v = Int64(s) else { throw fail("LONG \(s) does not fit 64 bits", at) }
                    try push(.int(v), at: at)
                case 0x8A, 0x8B:                                              // LONG1, LONG4
                    let n = op == 0x8A ? Int(try cur.u8()) : try length(UInt64(try cur.u32()), at: at)
                    guard n <= 8 else { throw InferenceError.limitExceeded(file: file, detail: "integer of \(n) bytes at offset \(at)") }
                    let b = try cur.read(n)
                    var v: UInt64 = 0
                    for i in (0..<n).reversed() { v = v << 8 | UInt64(b[i]) }
                    if n > 0 && n < 8 && b[n - 1] & 0x80 != 0 { v |= ~UInt64(0) << UInt64(8 * n) }
                    try push(.int(Int64(bitPattern: v)), at: at)
                case 0x47:                                                    // BINFLOAT (big-endian)
                    let b = try cur.read(8)
                    var v: UInt64 = 0
                    for i in 0..<8 { v = v << 8 | UInt64(b[i]) }
                    try push(.float(Double(bitPattern: v)), at: at)
                case 0x46:                                                    // FLOAT (text)
                    let s = String(decoding: try cur.line(), as: UTF8.self)
                    guard let v = Double(s) else { throw fail("bad FLOAT \(s)", at) }
                    try push(.float(v), at: at)
                case 0x58, 0x8C, 0x8D:                                        // BINUNICODE, SHORT_, 8
                    let n: UInt64 = op == 0x58 ? UInt64(try cur.u32()) : op == 0x8C ? UInt64(try cur.u8()) : try cur.u64()
                    try push(.string(try text(try cur.read(try length(n, at: at)), at: at)), at: at)
                case 0x55, 0x54:                                              // SHORT_BINSTRING, BINSTRING
                    let n: UInt64 = op == 0x55 ? UInt64(try cur.u8()) : UInt64(try cur.u32())
                    let b = try cur.read(try length(n, at: at))
                    try push(.string(String(decoding: b, as: UTF8.self)), at: at)
                case 0x56:                                                    // UNICODE (raw-unicode-escape line)
                    try push(.string(String(decoding: try cur.line(), as: UTF8.self)), at: at)
                case 0x43, 0x42, 0x8E:                                        // SHORT_BINBYTES, BINBYTES, BINBYTES8
                    let n: UInt64 = op == 0x43 ? UInt64(try cur.u8()) : op == 0x42 ? UInt64(try cur.u32()) : try cur.u64()
                    try push(.bytes(Array(try cur.read(try length(n, at: at)))), at: at)
                case 0x71: try memoPut(Int(try cur.u8()), at: at)              // BINPUT
                case 0x72: try memoPut(Int(try cur.u32()), at: at)             // LONG_BINPUT
                case 0x70:                                                    // PUT (text)
                    guard let i = Int(String(decoding: try cur.line(), as: UTF8.self)) else { throw fail("bad PUT", at) }
                    try memoPut(i, at: at)
                case 0x94: try memoPut(memo.count, at: at)                     // MEMOIZE
                case 0x68: try memoGet(Int(try cur.u8()), at: at)              // BINGET
                case 0x6A: try memoGet(Int(try cur.u32()), at: at)             // LONG_BINGET
                case 0x67:                                                    // GET (text)
                    guard let i = Int(String(decoding: try cur.line(), as: UTF8.self)) else { throw fail("bad GET", at) }
                    try memoGet(i, at: at)
                case 0x52, 0x81:                                              // REDUCE, NEWOBJ
                    let (args, ad) = try pop(at: at), (callable, _) = try pop(at: at)
                    guard case .global(let module, let name) = callable else { throw fail("REDUCE/NEWOBJ on a non-class value", at) }
                    guard case .tuple(let a) = args else { throw fail("REDUCE/NEWOBJ arguments are not a tuple", at) }
                    try push(try call(module, name, a, at: at), ad + 1, at: at)
                case 0x62:                                                    // BUILD
                    let (state, sd) = try pop(at: at)
                    guard let target = stack.last else { throw fail("BUILD on empty stack", at) }
                    switch target {
                    case .object(let o): o.state = state
                    case .dict(let d): d.state = state
                    case .tensor, .list: break  // tensor state (e.g. requires_grad metadata): ignored
                    default: throw fail("BUILD on a value that has no state", at)
                    }
                    depth[depth.count - 1] = max(depth[depth.count - 1], sd + 1)
                    if depth[depth.count - 1] > limits.maxNesting { throw InferenceError.limitExceeded(file: file, detail: "pickle nesting above \(limits.maxNesting) at offset \(at)") }
                case 0x51:                                                    // BINPERSID
                    let (pid, d) = try pop(at: at)
                    try push(try persistent(pid, at: at), d, at: at)
                default:
                    throw fail(String(format: "unsupported opcode 0x%02x", op), at)
                }
            }
        }

        do {
            let result = try run()
            if Self.hasCycle(containers) {
                throw InferenceError.pickle(file: file, offset: result.end - 1, detail: "reference cycle (a value that contains itself)")
            }
            return result
        } catch {
            Self.breakReferences(containers)
            throw error
        }
    }

    /// True when some list, dict or object among `roots` (or inside them) contains itself; linear in the graph.
    static func hasCycle(_ roots: [AnyObject]) -> Bool {
        var done: [ObjectIdentifier: Bool] = [:]  // false: on the current path; true: finished
        var tuples = TupleContainers()
        for root in roots where done[ObjectIdentifier(root)] == nil {
            var path: [(node: AnyObject, children: [AnyObject], next: Int)] = [(root, children(of: root, &tuples), 0)]
            done[ObjectIdentifier(root)] = false
            while let top = path.last {
                if top.next == top.children.count {
                    done[ObjectIdentifier(top.node)] = true
                    path.removeLast()
                    continue
                }
                let child = top.children[top.next]
                path[path.count - 1].next += 1
                switch done[ObjectIdentifier(child)] {
                case false?: return true
                case true?: continue
                case nil:
                    done[ObjectIdentifier(child)] = false
                    path.append((child, children(of: child, &tuples), 0))
                }
            }
        }
        return false
    }

    /// The containers reachable through a tuple without passing another container, memoised per tuple storage.
    /// Tuples are values that share their storage when copied (`DUP` then `TUPLE2`, repeated, builds a DAG whose
    /// unfolded tree doubles with each step — a 626-byte pickle took 20 s before), so each storage is looked
    /// through once.
    struct TupleContainers {
        private var memo: [UnsafeRawPointer: [AnyObject]] = [:]

        mutating func of(_ items: [PickleValue]) -> [AnyObject] {
            guard let key = items.withUnsafeBufferPointer({ $0.baseAddress.map(UnsafeRawPointer.init) }) else { return [] }
            if let known = memo[key] { return known }
            var out: [AnyObject] = []
            var seen = Set<ObjectIdentifier>()
            for item in items {
                let found: [AnyObject]
                if let c = item.container { found = [c] } else if case .tuple(let inner) = item { found = of(inner) } else { continue }
                for c in found where seen.insert(ObjectIdentifier(c)).inserted { out.append(c) }
            }
            memo[key] = out
            return out
        }
    }

    /// The lists, dicts and objects directly inside a container (looking through tuples).
    static func children(of node: AnyObject, _ tuples: inout TupleContainers) -> [AnyObject] {
        var out: [AnyObject] = []
        func add(_ v: PickleValue) {
            if let c = v.container { out.append(c) } else if case .tuple(let items) = v { out += tuples.of(items) }
        }
        if let list = node as? PickleList {
            list.items.forEach(add)
        } else if let dict = node as? PickleDict {
            for (k, v) in dict.items { add(k); add(v) }
            if let state = dict.state { add(state) }
        } else if let object = node as? PickleObject {
            object.args.forEach(add)
            if let state = object.state { add(state) }
        }
        return out
    }

    /// Empties every container so that no cycle among them outlives a refused pickle.
    static func breakReferences(_ containers: [AnyObject]) {
        for node in containers {
            if let list = node as? PickleList { list.items = [] }
            if let dict = node as? PickleDict { dict.items = []; dict.state = nil }
            if let object = node as? PickleObject { object.state = nil }
        }
    }

    private func persistent(_ pid: PickleValue, at: Int) throws -> PickleValue {
        if let persistentLoad { return try persistentLoad(pid) }
        guard let t = pid.elements, t.count >= 5, t[0].string == "storage",
              case .global(_, let cls) = t[1] else {
            throw InferenceError.pickle(file: file, offset: at, detail: "persistent id is not a torch storage tuple")
        }
        guard let type = ScalarType(torchStorage: cls) else {
            throw InferenceError.unsupportedDType(file: file, tensor: "storage", dtype: cls)
        }
        guard let key = t[2].string ?? t[2].int.map(String.init), let numel = t[4].int, numel >= 0 else {
            throw InferenceError.pickle(file: file, offset: at, detail: "storage tuple needs a key and a size")
        }
        return .storage(StorageReference(key: key, type: type, location: t[3].string ?? "", elementCount: numel))
    }

    private func ints(_ v: PickleValue, _ what: String, at: Int) throws -> [Int] {
        guard let e = v.elements else { throw InferenceError.pickle(file: file, offset: at, detail: "\(what) is not a tuple") }
        return try e.map {
            guard let i = $0.int, i >= 0 else { throw InferenceError.pickle(file: file, offset: at, detail: "\(what) holds a non-integer or negative value") }
            return i
        }
    }

    private func call(_ module: String, _ name: String, _ a: [PickleValue], at: Int) throws -> PickleValue {
        if let callableHandler, let v = try callableHandler(module, name, a) { return v }
        switch (module, name) {
        case ("collections", "OrderedDict"), ("builtins", "dict"), ("__builtin__", "dict"):
            let d = PickleDict()
            if let pairs = a.first?.elements {
                for p in pairs { if let kv = p.elements, kv.count == 2 { d.items.append((kv[0], kv[1])) } }
            }
            return .dict(d)
        case ("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_tensor"):
            guard a.count >= 4, case .storage(let s) = a[0], let off = a[1].int, off >= 0 else {
                throw InferenceError.pickle(file: file, offset: at, detail: "\(name) needs (storage, offset, size, stride, …)")
            }
            let size = try ints(a[2], "tensor size", at: at), stride = try ints(a[3], "tensor stride", at: at)
            guard size.count == stride.count, size.count <= 8 else {
                throw InferenceError.pickle(file: file, offset: at, detail: "tensor size \(size) and stride \(stride) disagree")
            }
            return .tensor(TensorReference(storage: s, offset: off, size: size, stride: stride))
        case ("torch._utils", "_rebuild_parameter"), ("torch._utils", "_rebuild_parameter_with_state"):
            guard let first = a.first, case .tensor = first else {
                throw InferenceError.pickle(file: file, offset: at, detail: "\(name) without a tensor")
            }
            return first
        case ("torch._tensor", "_rebuild_from_type_v2"):
            guard a.count >= 3, case .global(let m, let n) = a[0], case .tuple(let inner) = a[2] else {
                throw InferenceError.pickle(file: file, offset: at, detail: "_rebuild_from_type_v2 needs (func, type, args, state)")
            }
            return try call(m, n, inner, at: at)
        default:
            if module.hasPrefix("__torch__") {
                return .object(PickleObject(module: module, name: name, args: a))
            }
            throw InferenceError.pickle(file: file, offset: at, detail: "refusing to call \(module).\(name)")
        }
    }
}
