import Logging
import PerfTrampoline

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A toy program ready to run: parsed, compiled, with its arguments.
public struct ToyProgram {
    let module: FunctionObject
    let globals: GlobalTable
    let arguments: [String]

    /// Compiles `source`; `file` is the name used in errors and in the profiler's names.
    ///
    /// Parsing and compiling run on a thread of their own with a 256 MB stack (less where the
    /// address space is limited), so input nested up to ``Parser/nestingLimit`` compiles
    /// whatever `ulimit -s` is, and deeper input is a clean syntax error, never a crash.
    public init(source: String, file: String, arguments: [String] = []) throws(SyntaxError) {
        var result: Result<(FunctionObject, GlobalTable), SyntaxError>?
        let ran = LargeStack.run(sizes: [256 << 20, 64 << 20, 16 << 20]) { _ in
            result = Result { () throws(SyntaxError) in
                let statements = try Parser.parse(source, file: file)
                var compiler = Compiler(file: file)
                let module = try compiler.compileModule(statements)
                return (module, compiler.globals)
            }
        }
        guard ran, let result else {
            throw SyntaxError(file: file, line: 1, column: 1, message: "cannot start the compiler thread (address space exhausted?)")
        }
        (module, globals) = try result.get()
        self.arguments = arguments
    }
}

/// Runs toy programs on a thread with a native stack large enough for deep interpreted
/// recursion (every interpreted call is a native call, plus a trampoline frame when profiling).
public enum ToyRunner {
    /// Nested interpreted calls allowed before `recursion limit exceeded`, with the full stack.
    public static let recursionLimit = 200_000
    /// Native stack of the interpreter thread. Reserved, not committed: pages are touched only
    /// as deep as the recursion goes. Where the address space is limited (`ulimit -v`), a
    /// smaller stack is taken and the recursion limit shrinks with it.
    static let nativeStackSizes = [4 << 30, 1 << 30, 256 << 20, 64 << 20, 16 << 20]
    /// Native stack budgeted per interpreted call (an evaluator frame, a trampoline frame and
    /// the builtins' frames, in a debug build, with room to spare).
    static let stackBytesPerCall = (4 << 30) / recursionLimit

    /// Routes PerfTrampoline's warnings to stderr as `toyvm: warning: …`.
    public static let logger = Logger(label: "toyvm") { _ in WarningLogHandler(program: "toyvm") }

    /// Runs `program` and ends the process with its exit status (0, or 1 after a runtime
    /// error). The process ends from the interpreter thread itself, so a `fork()`ed child — which
    /// has only that thread — exits the same way as its parent.
    public static func runAndExit(_ program: ToyProgram) -> Never {
        let started = LargeStack.run(sizes: nativeStackSizes) { stackSize in
            exit(ToyRunner.run(program, recursionLimit: min(recursionLimit, stackSize / stackBytesPerCall)))
        }
        if !started { writeError("toyvm: error: cannot start the interpreter thread (address space exhausted?)") }
        exit(1)
    }

    /// Runs `program` on the calling thread; returns the exit status.
    public static func run(_ program: ToyProgram, recursionLimit: Int = recursionLimit) -> Int32 {
        let output = Output()
        guard let interpreter = Interpreter(globals: program.globals, arguments: program.arguments,
                                            recursionLimit: recursionLimit, output: output) else {
            writeError("toyvm: error: not enough memory for the interpreter's value stack")
            return 1
        }
        let error = interpreter.runModule(program.module)
        output.flush()
        if let error {
            writeError(error.description)
            return 1
        }
        return 0
    }
}


