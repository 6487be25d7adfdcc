import Logging
import PerfTrampoline

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The evaluator every interpreted call goes through, directly or through the callee's
/// trampoline: (interpreter, code object, frame base) → 0 on success, 1 on a runtime error.
/// Both objects are borrowed (guaranteed alive by the caller's frame), so no reference
/// counting happens on this path.
let toyEvaluator: PerfEvaluator = { context, code, base in
    Unmanaged<Interpreter>.fromOpaque(context.unsafelyUnwrapped)._withUnsafeGuaranteedRef { interpreter in
        Unmanaged<FunctionObject>.fromOpaque(code.unsafelyUnwrapped)._withUnsafeGuaranteedRef { function in
            toyExecute(interpreter, function, base)
        }
    }
}

/// The C entry's copy of the dispatch loop. A global function, so that Swift passes its three
/// arguments in the registers C passes ``toyEvaluator``'s (no `self` register to save), and
/// returning the C result type: the `@convention(c)` thunk reduces to a jump here.
@inline(never)
func toyExecute(_ interpreter: Interpreter, _ function: FunctionObject, _ base: Int) -> Int {
    interpreter.run(function, base: base) ? 0 : 1
}

/// Mutable interpreter state the dispatch loop touches on every call, kept behind a raw
/// pointer so that it costs no exclusivity checks.
struct ExecutionState {
    var depth = 0
    var initializedTop = 0
    var error: RuntimeError?
}

/// The stack machine. Each interpreted call is one native call of ``toyEvaluator`` — through
/// the callee's trampoline while profiling is on — so native stacks mirror interpreted ones.
public final class Interpreter {
    let perf = PerfSupport.shared
    let stack: UnsafeMutablePointer<Value>
    let stackCapacity: Int
    /// Room for `globalCapacity` values (reserved, committed as used); the first
    /// `globalTable.names.count` are initialised. Never moves, so the dispatch loop may keep it.
    let globals: UnsafeMutablePointer<Value>
    let globalCapacity: Int
    /// Names of the globals: the program's, then those `compile` adds.
    private(set) var globalTable: GlobalTable
    let state: UnsafeMutablePointer<ExecutionState>
    let recursionLimit: Int
    let output: Output
    /// Where the interpreter's warnings go (a failed `perf_activate`), like the library's.
    let logger: Logger
    /// The last warning printed (see `warn`).
    var lastWarning: String?

    /// Nil when not even the smallest value stack can be allocated.
    init?(globals globalTable: GlobalTable, arguments: [String], recursionLimit: Int, output: Output, logger: Logger) {
        // The value stack: 16 Mi values (384 MB of address space, committed only as used), so a
        // tight `ulimit -v` gives a smaller stack and an earlier "value stack is full" error,
        // never a trap. Globals: room for 1 Mi names, never less than the program's own.
        guard let (memory, capacity) = Self.reserveValues(1 << 24, atLeast: 1 << 12) else { return nil }
        guard let (globalMemory, globalCapacity) = Self.reserveValues(max(1 << 20, globalTable.names.count),
                                                                      atLeast: globalTable.names.count) else {
            free(memory)
            return nil
        }
        self.globalTable = globalTable
        self.globalCapacity = globalCapacity
        self.recursionLimit = recursionLimit
        self.output = output
        self.logger = logger
        stackCapacity = capacity
        stack = memory
        globals = globalMemory
        globals.initialize(repeating: .undefined, count: globalTable.names.count)
        for builtin in Builtin.allCases { globals[builtin.rawValue] = .builtin(builtin) }
        globals[Builtin.allCases.count] = .list(ListObject(arguments.map { .string($0) }))
        state = .allocate(capacity: 1)
        state.initialize(to: ExecutionState())
    }

    deinit {
        stack.deinitialize(count: state.pointee.initializedTop)
        free(stack)
        globals.deinitialize(count: globalTable.names.count)
        free(globals)
        state.deinitialize(count: 1)
        state.deallocate()
    }

    /// `malloc`s room for `capacity` values (address space, committed only as used), halving the
    /// request while it is refused (`ulimit -v`), never below `minimum`.
    private static func reserveValues(_ capacity: Int, atLeast minimum: Int) -> (UnsafeMutablePointer<Value>, Int)? {
        var capacity = capacity
        while capacity >= minimum {
            if let memory = malloc(max(1, capacity) * MemoryLayout<Value>.stride) {
                return (memory.bindMemory(to: Value.self, capacity: capacity), capacity)
            }
            capacity /= 2
        }
        return nil
    }

    /// Takes the globals `compile` added to the table (initialised as undefined); false if
    /// there is no room for them.
    func adoptGlobals(_ table: GlobalTable) -> Bool {
        guard table.names.count <= globalCapacity else { return false }
        let old = globalTable.names.count
        (globals + old).initialize(repeating: .undefined, count: table.names.count - old)
        globalTable = table
        return true
    }

    /// Runs the module. Returns the runtime error, if any.
    func runModule(_ module: FunctionObject) -> RuntimeError? {
        stack.initialize(to: .function(module))
        state.pointee.initializedTop = 1
        if invoke(module, base: 1) { return nil }
        var error = state.pointee.error ?? RuntimeError(message: "unknown error", frames: [])
        error.frames.reverse()
        return error
    }

    // MARK: Calls

    /// Enters `callee` with its arguments at `stack[base...]`; its result lands in `stack[base - 1]`.
    @inline(__always)
    func invoke(_ callee: FunctionObject, base: Int) -> Bool {
        let state = self.state
        if state.pointee.depth >= recursionLimit {
            return raise("recursion limit exceeded (\(recursionLimit) nested calls)")
        }
        let top = base + callee.frameSize
        if top > state.pointee.initializedTop {
            guard top <= stackCapacity else { return raise("recursion limit exceeded (value stack is full)") }
            (stack + state.pointee.initializedTop).initialize(repeating: .none, count: top - state.pointee.initializedTop)
            state.pointee.initializedTop = top
        }
        var local = callee.arity
        while local < callee.localCount {
            stack[base + local] = .none
            local += 1
        }
        state.pointee.depth += 1
        defer { state.pointee.depth -= 1 }
        // TOYVM_NO_PERF_HOOK (a command-line -D, for Scripts/bench-instructions.sh only) builds
        // the VM without the hook, so that its off-cost is measured, not asserted.
        #if !TOYVM_NO_PERF_HOOK
        if let stub = perf.stub(for: callee.perfSlot, name: callee.perfName) {
            return stub(Unmanaged.passUnretained(self).toOpaque(), Unmanaged.passUnretained(callee).toOpaque(), base, toyEvaluator) == 0
        }
        #endif
        return execute(callee, base: base)
    }

    /// Starts an error with no frames; each frame adds itself as the error unwinds.
    func raise(_ message: String) -> Bool {
        state.pointee.error = RuntimeError(message: message, frames: [])
        return false
    }

    @inline(never)
    private func unwind(_ function: FunctionObject, pc: Int) -> Bool {
        let frame = TraceFrame(function: function.name, file: function.file, line: function.line(at: pc - 1))
        if state.pointee.error == nil { state.pointee.error = RuntimeError(message: "unknown error", frames: []) }
        state.pointee.error!.frames.append(frame)
        return false
    }

    @inline(never)
    private func fail(_ message: String, _ function: FunctionObject, pc: Int) -> Bool {
        _ = raise(message)
        return unwind(function, pc: pc)
    }

    // MARK: Dispatch loop

    /// Runs one frame of `function` to completion: the Swift-to-Swift entry (profiling off, or
    /// the module). ``toyEvaluator`` is the other copy of the same loop, entered from C.
    @inline(never)
    func execute(_ function: FunctionObject, base: Int) -> Bool {
        run(function, base: base)
    }

    /// The dispatch loop, inlined into both entries so each gets code for its own calling
    /// convention (issue 17: a C entry that merely called `execute` cost 15 instructions).
    @inline(__always)
    func run(_ function: FunctionObject, base: Int) -> Bool {
        let code = function.code.baseAddress!
        let constants = function.constants.baseAddress!
        let frame = stack + base
        var sp = frame + function.localCount
        var pc = 0

        while true {
            let instruction = code[pc]
            pc += 1
            switch instruction {
            case .constant(let index):
                sp.pointee = constants[Int(index)]
                sp += 1
            case .smallInt(let value):
                sp.pointee = .int(Int(value))
                sp += 1
            case .pushNil:
                sp.pointee = .none
                sp += 1
            case .pushTrue:
                sp.pointee = .bool(true)
                sp += 1
            case .pushFalse:
                sp.pointee = .bool(false)
                sp += 1
            case .loadLocal(let slot):
                sp.pointee = frame[Int(slot)]
                sp += 1
            case .storeLocal(let slot):
                sp -= 1
                frame[Int(slot)] = sp.pointee
            case .loadGlobal(let index):
                let value = globals[Int(index)]
                if case .undefined = value {
                    return fail("undefined variable '\(globalTable.names[Int(index)])'", function, pc: pc)
                }
                sp.pointee = value
                sp += 1
            case .storeGlobal(let index):
                sp -= 1
                globals[Int(index)] = sp.pointee
            case .assignGlobal(let index):
                sp -= 1
                if case .undefined = globals[Int(index)] {
                    return fail("assignment to undefined variable '\(globalTable.names[Int(index)])'", function, pc: pc)
                }
                globals[Int(index)] = sp.pointee
            case .lessLocalInt(let slot, let value):
                if case .int(let a) = frame[Int(slot)] {
                    sp.pointee = .bool(a < Int(value))
                } else {
                    switch Operations.compare(frame[Int(slot)], .int(Int(value)), .less) {
                    case .success(let result): sp.pointee = result
                    case .failure(let error): return fail(error.message, function, pc: pc)
                    }
                }
                sp += 1
            case .subtractLocalInt(let slot, let value):
                if case .int(let a) = frame[Int(slot)] {
                    let (result, overflow) = a.subtractingReportingOverflow(Int(value))
                    if overflow { return fail("integer overflow in '-'", function, pc: pc) }
                    sp.pointee = .int(result)
                } else {
                    switch Operations.arithmetic(frame[Int(slot)], .int(Int(value)), .subtract) {
                    case .success(let result): sp.pointee = result
                    case .failure(let error): return fail(error.message, function, pc: pc)
                    }
                }
                sp += 1
            case .add:
                sp -= 1
                if case .int(let b) = sp.pointee, case .int(let a) = (sp - 1).pointee {
                    let (result, overflow) = a.addingReportingOverflow(b)
                    if overflow { return fail("integer overflow in '+'", function, pc: pc) }
                    (sp - 1).pointee = .int(result)
                } else if !binary(sp, .add, function, pc) {
                    return false
                }
            case .subtract:
                sp -= 1
                if case .int(let b) = sp.pointee, case .int(let a) = (sp - 1).pointee {
                    let (result, overflow) = a.subtractingReportingOverflow(b)
                    if overflow { return fail("integer overflow in '-'", function, pc: pc) }
                    (sp - 1).pointee = .int(result)
                } else if !binary(sp, .subtract, function, pc) {
                    return false
                }
            case .multiply:
                sp -= 1
                if !binary(sp, .multiply, function, pc) { return false }
            case .divide:
                sp -= 1
                if !binary(sp, .divide, function, pc) { return false }
            case .remainder:
                sp -= 1
                if !binary(sp, .remainder, function, pc) { return false }
            case .negate:
                switch Operations.negate((sp - 1).pointee) {
                case .success(let result): (sp - 1).pointee = result
                case .failure(let error): return fail(error.message, function, pc: pc)
                }
            case .not:
                (sp - 1).pointee = .bool(!(sp - 1).pointee.isTruthy)
            case .equal:
                sp -= 1
                (sp - 1).pointee = .bool((sp - 1).pointee.equals(sp.pointee))
            case .notEqual:
                sp -= 1
                (sp - 1).pointee = .bool(!(sp - 1).pointee.equals(sp.pointee))
            case .less:
                sp -= 1
                if case .int(let b) = sp.pointee, case .int(let a) = (sp - 1).pointee {
                    (sp - 1).pointee = .bool(a < b)
                } else if !comparison(sp, .less, function, pc) {
                    return false
                }
            case .lessEqual:
                sp -= 1
                if !comparison(sp, .lessEqual, function, pc) { return false }
            case .greater:
                sp -= 1
                if !comparison(sp, .greater, function, pc) { return false }
            case .greaterEqual:
                sp -= 1
                if !comparison(sp, .greaterEqual, function, pc) { return false }
            case .jump(let target):
                pc = Int(target)
            case .jumpIfFalse(let target):
                sp -= 1
                if !sp.pointee.isTruthy { pc = Int(target) }
            case .jumpIfFalseKeep(let target):
                if !(sp - 1).pointee.isTruthy { pc = Int(target) } else { sp -= 1 }
            case .jumpIfTrueKeep(let target):
                if (sp - 1).pointee.isTruthy { pc = Int(target) } else { sp -= 1 }
            case .call(let count):
                let argumentCount = Int(count)
                let calleeSlot = sp - argumentCount - 1
                switch calleeSlot.pointee {
                case .function(let callee):
                    guard argumentCount == callee.arity else {
                        return fail("\(callee.name)() takes \(callee.arity) argument\(callee.arity == 1 ? "" : "s") but \(argumentCount) \(argumentCount == 1 ? "was" : "were") given", function, pc: pc)
                    }
                    guard invoke(callee, base: calleeSlot + 1 - stack) else { return unwind(function, pc: pc) }
                case .builtin(let builtin):
                    let arguments = UnsafeBufferPointer(start: calleeSlot + 1, count: argumentCount)
                    switch Builtins.call(builtin, arguments, interpreter: self) {
                    case .success(let result): calleeSlot.pointee = result
                    case .failure(let error): return fail(error.message, function, pc: pc)
                    }
                default:
                    return fail("cannot call a value of type \(calleeSlot.pointee.typeName)", function, pc: pc)
                }
                sp = calleeSlot + 1
            case .index:
                sp -= 1
                switch Operations.index((sp - 1).pointee, sp.pointee) {
                case .success(let result): (sp - 1).pointee = result
                case .failure(let error): return fail(error.message, function, pc: pc)
                }
            case .storeIndex:
                sp -= 3
                if let error = Operations.storeIndex(sp.pointee, (sp + 1).pointee, (sp + 2).pointee) {
                    return fail(error.message, function, pc: pc)
                }
            case .makeList(let count):
                let n = Int(count)
                sp -= n
                sp.pointee = .list(ListObject(Array(UnsafeBufferPointer(start: sp, count: n))))
                sp += 1
            case .pop:
                sp -= 1
            case .returnValue:
                (frame - 1).pointee = (sp - 1).pointee
                return true
            case .returnNil:
                (frame - 1).pointee = .none
                return true
            }
        }
    }

    @inline(never)
    private func binary(_ sp: UnsafeMutablePointer<Value>, _ op: Operations.Arithmetic,
                        _ function: FunctionObject, _ pc: Int) -> Bool {
        switch Operations.arithmetic((sp - 1).pointee, sp.pointee, op) {
        case .success(let result):
            (sp - 1).pointee = result
            return true
        case .failure(let error):
            return fail(error.message, function, pc: pc)
        }
    }

    @inline(never)
    private func comparison(_ sp: UnsafeMutablePointer<Value>, _ op: Operations.Comparison,
                            _ function: FunctionObject, _ pc: Int) -> Bool {
        switch Operations.compare((sp - 1).pointee, sp.pointee, op) {
        case .success(let result):
            (sp - 1).pointee = result
            return true
        case .failure(let error):
            return fail(error.message, function, pc: pc)
        }
    }
}

extension Interpreter {
    /// Logs a warning unless it repeats the previous one (a loop retrying `perf_activate`
    /// under a policy that forbids it warns once, not once per try).
    func warn(_ message: String) {
        guard message != lastWarning else { return }
        lastWarning = message
        output.flush()  // in order with what the program printed
        logger.warning("\(message)")
    }
}
