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

extension ToyProgram {
    /// Nested interpreted calls allowed before `recursion limit exceeded`, given a native stack
    /// of ``stackBytesPerCall`` per call (toyvm runs programs on a thread with such a stack).
    public static let recursionLimit = 200_000
    /// Native stack budgeted per interpreted call (an evaluator frame, a trampoline frame and
    /// the builtins' frames, in a debug build, with room to spare).
    public static let stackBytesPerCall = (4 << 30) / recursionLimit

    /// Runs the program on the calling thread, whose stack must hold `recursionLimit` nested
    /// calls: `print` writes to standard output (buffered; flushed before `fork`, `exit`,
    /// warnings and at the end), a runtime error and its traceback go to standard error, and
    /// warnings to `logger`. Returns the exit status: 0, or 1 after a runtime error.
    public func run(recursionLimit: Int = Self.recursionLimit, logger: Logger) -> Int32 {
        let output = Output()
        guard let interpreter = Interpreter(globals: globals, arguments: arguments, recursionLimit: recursionLimit,
                                            output: output, logger: logger) else {
            writeError("toyvm: error: not enough memory for the interpreter's value stack")
            return 1
        }
        let error = interpreter.runModule(module)
        output.flush()
        if let error {
            writeError(error.description)
            return 1
        }
        return 0
    }
}
