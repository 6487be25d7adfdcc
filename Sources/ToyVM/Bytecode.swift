import PerfTrampoline

/// One bytecode instruction. Operands are 32-bit so an instruction is 8 bytes.
enum Instruction {
    case constant(Int32)
    case smallInt(Int32)
    case pushNil
    case pushTrue
    case pushFalse
    case loadLocal(Int32)
    case storeLocal(Int32)
    case loadGlobal(Int32)
    case storeGlobal(Int32)
    case assignGlobal(Int32)
    case add, subtract, multiply, divide, remainder, negate, not
    case equal, notEqual, less, lessEqual, greater, greaterEqual
    /// Superinstruction: `local < int` (the loop and recursion test of most programs).
    case lessLocalInt(local: Int32, value: Int32)
    /// Superinstruction: `local - int`.
    case subtractLocalInt(local: Int32, value: Int32)
    case jump(Int32)
    case jumpIfFalse(Int32)
    case jumpIfFalseKeep(Int32)
    case jumpIfTrueKeep(Int32)
    case call(Int32)
    case index
    case storeIndex
    case makeList(Int32)
    case pop
    case returnValue
    case returnNil
}

/// A compiled function (or the module's top-level code): the code object of the toy VM.
///
/// It embeds the ``TrampolineSlot`` of PerfTrampoline, so the profiling fast path is a load
/// from this object, no lookup.
public final class FunctionObject {
    /// The function's name (`<module>` for top-level code).
    public let name: String
    /// The file as given on the command line (`<string>` for `-c`).
    public let file: String
    let arity: Int
    let localCount: Int
    /// Locals plus the deepest operand stack: the frame's whole extent.
    let frameSize: Int
    let code: UnsafeMutableBufferPointer<Instruction>
    let constants: UnsafeMutableBufferPointer<Value>
    private let constantCount: Int
    let lines: [Int32]
    /// The profiler's name for this code object: `toy::<function>:<file>`.
    public let perfName: String
    /// This code object's trampoline, filled on first entry while profiling is on.
    public let perfSlot = TrampolineSlot()

    init(name: String, file: String, arity: Int, localCount: Int, maxStack: Int,
         code: [Instruction], constants: [Value], lines: [Int32]) {
        self.name = name
        self.file = file
        self.arity = arity
        self.localCount = localCount
        self.frameSize = localCount + maxStack + 1
        self.code = .allocate(capacity: code.count)
        _ = self.code.initialize(from: code)
        self.constants = .allocate(capacity: max(1, constants.count))
        _ = self.constants.initialize(from: constants)
        self.constantCount = constants.count
        self.lines = lines
        self.perfName = "toy::\(name):\(file)"
    }

    deinit {
        // Its trampoline goes back for reuse (by the next function of the same name; in
        // jitdump mode by any). No frame of it runs: a running function is on the value stack.
        #if !TOYVM_NO_PERF_HOOK
        PerfSupport.shared.release(perfSlot)
        #endif
        code.deinitialize()
        code.deallocate()
        constants.extracting(0..<constantCount).deinitialize()
        constants.deallocate()
    }

    func line(at pc: Int) -> Int {
        Int(lines[max(0, min(pc, lines.count - 1))])
    }
}
