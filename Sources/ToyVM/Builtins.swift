import PerfTrampoline

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The built-in functions, bound as the first globals.
public enum Builtin: Int, CaseIterable, Sendable {
    case print, len, push, str, int, clock, getpid, fork, wait, exit, sleep
    case perfActivate, perfDeactivate, perfIsActive, perfPrepare, perfStatus
    case compile

    var name: String {
        switch self {
        case .perfActivate: "perf_activate"
        case .perfDeactivate: "perf_deactivate"
        case .perfIsActive: "perf_is_active"
        case .perfPrepare: "perf_prepare"
        case .perfStatus: "perf_status"
        default: "\(self)"
        }
    }

    /// Number of arguments, nil for variadic.
    var arity: Int? {
        switch self {
        case .print, .compile: nil
        case .clock, .getpid, .fork, .perfDeactivate, .perfIsActive, .perfStatus: 0
        case .push: 2
        default: 1
        }
    }
}

enum Builtins {
    @inline(never)  // kept out of the dispatch loop: builtins are the slow path
    static func call(_ builtin: Builtin, _ arguments: UnsafeBufferPointer<Value>,
                     interpreter: Interpreter) -> Result<Value, Failure> {
        if let arity = builtin.arity, arguments.count != arity {
            return .failure(Failure(message: "\(builtin.name)() takes \(arity) argument\(arity == 1 ? "" : "s") but \(arguments.count) \(arguments.count == 1 ? "was" : "were") given"))
        }
        switch builtin {
        case .print:
            interpreter.output.write(arguments.map { $0.formatted() }.joined(separator: " ") + "\n")
            return .success(.none)
        case .len:
            switch arguments[0] {
            case .string(let text): return .success(.int(text.unicodeScalars.count))
            case .list(let list): return .success(.int(list.elements.count))
            default: return .failure(Failure(message: "len() of a value of type \(arguments[0].typeName)"))
            }
        case .push:
            guard case .list(let list) = arguments[0] else {
                return .failure(Failure(message: "push() needs a list, not \(arguments[0].typeName)"))
            }
            list.elements.append(arguments[1])
            return .success(.none)
        case .str:
            return .success(.string(arguments[0].formatted()))
        case .int:
            return toInt(arguments[0])
        case .clock:
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            return .success(.float(Double(now.tv_sec) + Double(now.tv_nsec) / 1e9))
        case .getpid:
            return .success(.int(Int(getpid())))
        case .fork:
            interpreter.output.flush()
            let pid = fork()
            if pid < 0 { return .failure(Failure(message: "fork failed: \(String(cString: strerror(errno)))")) }
            return .success(.int(Int(pid)))
        case .wait:
            guard case .int(let pid) = arguments[0], let pid32 = Int32(exactly: pid) else {
                return .failure(Failure(message: "wait() needs a process id"))
            }
            var status: Int32 = 0
            var result: Int32
            repeat { result = waitpid(pid32, &status, 0) } while result < 0 && errno == EINTR
            if result < 0 { return .failure(Failure(message: "wait(\(pid)) failed: \(String(cString: strerror(errno)))")) }
            let signal = status & 0x7f
            return .success(.int(signal == 0 ? Int((status >> 8) & 0xff) : 128 + Int(signal)))
        case .exit:
            guard case .int(let code) = arguments[0] else {
                return .failure(Failure(message: "exit() needs an int status, not \(arguments[0].typeName)"))
            }
            interpreter.output.flush()
            exit(Int32(truncatingIfNeeded: code))
        case .sleep:
            let seconds: Double
            switch arguments[0] {
            case .int(let value): seconds = Double(value)
            case .float(let value): seconds = value
            default: return .failure(Failure(message: "sleep() needs a number of seconds, not \(arguments[0].typeName)"))
            }
            guard seconds.isFinite, seconds >= 0 else { return .failure(Failure(message: "sleep() needs a non-negative number of seconds")) }
            // Beyond this the conversion to whole seconds would trap; no sleep is that long anyway.
            guard seconds <= 1e15 else {
                return .failure(Failure(message: "sleep(): \(arguments[0].formatted()) seconds is too long (at most 1e15)"))
            }
            interpreter.output.flush()  // what was printed before a pause is out during it
            var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.towardZero)) * 1e9))
            var remaining = timespec()
            while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
            return .success(.none)
        case .perfActivate:
            guard case .string(let name) = arguments[0] else {
                return .failure(Failure(message: "perf_activate() needs a mode string, not \(arguments[0].typeName)"))
            }
            let mode: ProfilingMode
            switch name {
            case "perf": mode = .perfMap
            case "jitdump": mode = .jitDump
            default: return .failure(Failure(message: "perf_activate(): unknown mode '\(name)' (expected \"perf\" or \"jitdump\")"))
            }
            do {
                try interpreter.perf.activate(mode)
            } catch {
                // Profiling must never change what the program computes: warn and run on.
                interpreter.warn(error.description)
            }
            return .success(.bool(interpreter.perf.isActive))
        case .perfDeactivate:
            interpreter.perf.deactivate()
            return .success(.none)
        case .perfIsActive:
            return .success(.bool(interpreter.perf.isActive))
        case .perfPrepare:
            guard case .function(let function) = arguments[0] else {
                return .failure(Failure(message: "perf_prepare() needs a function, not \(arguments[0].typeName)"))
            }
            return .success(.bool(interpreter.perf.prepare(function.perfSlot, name: function.perfName)))
        case .perfStatus:
            return .success(.string(interpreter.perf.status.description))
        case .compile:
            return compile(arguments, interpreter: interpreter)
        }
    }

    /// `compile(source)`, `compile(source, file)`: compiles function definitions at run time
    /// and returns them in a list, bound to no name. Names used inside refer to the program's
    /// globals. A function nothing refers to any more is freed, and its trampoline released
    /// for reuse.
    private static func compile(_ arguments: UnsafeBufferPointer<Value>, interpreter: Interpreter) -> Result<Value, Failure> {
        guard arguments.count == 1 || arguments.count == 2 else {
            return .failure(Failure(message: "compile() takes 1 or 2 arguments but \(arguments.count) were given"))
        }
        guard case .string(let source) = arguments[0] else {
            return .failure(Failure(message: "compile() needs a source string, not \(arguments[0].typeName)"))
        }
        var file = "<compile>"
        if arguments.count == 2 {
            guard case .string(let name) = arguments[1] else {
                return .failure(Failure(message: "compile() needs a file name string, not \(arguments[1].typeName)"))
            }
            file = name
        }
        let functions: [FunctionObject]
        var compiler = Compiler(file: file, globals: interpreter.globalTable)
        do {
            functions = try compiler.compileDefinitions(try Parser.parse(source, file: file))
        } catch {
            return .failure(Failure(message: "compile(): \(error.description)"))
        }
        guard interpreter.adoptGlobals(compiler.globals) else {
            return .failure(Failure(message: "compile(): too many global names (at most \(interpreter.globalCapacity))"))
        }
        return .success(.list(ListObject(functions.map { .function($0) })))
    }

    private static func toInt(_ value: Value) -> Result<Value, Failure> {
        switch value {
        case .int: return .success(value)
        case .float(let x):
            guard x.isFinite, let result = Int(exactly: x.rounded(.towardZero)) else {
                return .failure(Failure(message: "int() cannot convert \(Value.format(x)) to an int"))
            }
            return .success(.int(result))
        case .string(let text):
            let trimmed = text.trimmingSpaces
            guard let result = Int(trimmed) else {
                return .failure(Failure(message: "int() cannot parse \(Value.quote(text)) as a decimal integer"))
            }
            return .success(.int(result))
        default:
            return .failure(Failure(message: "int() cannot convert a value of type \(value.typeName)"))
        }
    }
}

extension String {
    fileprivate var trimmingSpaces: Substring {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" || c == "\n" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" || c == "\n" { s = s.dropLast() }
        return s
    }
}
