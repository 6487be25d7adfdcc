#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

let toyVersion = "0.1.0"

/// The parsed command line of `toyvm`.
///
/// Hand-parsed rather than with swift-argument-parser: the CPython-style `-X perf` (an option
/// whose value is a separate word), the fused `-Xperf`, and "everything after FILE belongs to
/// the script" do not fit its model, and the whole grammar is a dozen lines.
struct Invocation {
    enum Source {
        case file(String)
        case code(String)
    }

    enum Action {
        case help
        case version
        case run(Source)
    }

    struct UsageError: Error {
        let message: String
    }

    var action: Action
    /// The profiling flags as given (`-Xperf`, `-X perf_jit`…), for ``PerfSupport/configure``.
    var perfOptions: [String] = []
    var scriptArguments: [String] = []
    /// Position of FILE in the arguments (after the program name), so that the file can be
    /// opened by its raw bytes: a name that is not valid UTF-8 must still open.
    var fileArgumentIndex: Int?

    static func parse(_ arguments: [String]) -> Result<Invocation, UsageError> {
        var perfOptions: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            switch argument {
            case "--help", "-h":
                return .success(Invocation(action: .help))
            case "--version", "-V":
                return .success(Invocation(action: .version))
            case "-Xperf", "-Xperf_jit":
                perfOptions.append(argument)
            case "-X":
                guard index + 1 < arguments.count else { return .failure(UsageError(message: "-X needs a value (perf or perf_jit)")) }
                let value = arguments[index + 1]
                guard value == "perf" || value == "perf_jit" else {
                    return .failure(UsageError(message: "unknown -X option '\(value)' (expected perf or perf_jit)"))
                }
                perfOptions += ["-X", value]
                index += 1
            case "-c":
                guard index + 1 < arguments.count else { return .failure(UsageError(message: "-c needs a program text")) }
                return .success(Invocation(action: .run(.code(arguments[index + 1])), perfOptions: perfOptions,
                                           scriptArguments: Array(arguments[(index + 2)...])))
            case "--":
                guard index + 1 < arguments.count else { return .failure(UsageError(message: "missing FILE")) }
                return .success(Invocation(action: .run(.file(arguments[index + 1])), perfOptions: perfOptions,
                                           scriptArguments: Array(arguments[(index + 2)...]), fileArgumentIndex: index + 1))
            default:
                if argument.hasPrefix("-X") {
                    return .failure(UsageError(message: "unknown -X option '\(argument.dropFirst(2))' (expected perf or perf_jit)"))
                }
                if argument.hasPrefix("-") && argument != "-" {
                    return .failure(UsageError(message: "unknown option '\(argument)'"))
                }
                return .success(Invocation(action: .run(.file(argument)), perfOptions: perfOptions,
                                           scriptArguments: Array(arguments[(index + 1)...]), fileArgumentIndex: index))
            }
            index += 1
        }
        return .failure(UsageError(message: "missing FILE (or -c CODE)"))
    }
}

/// The whole file as UTF-8 text (invalid bytes become U+FFFD), or nil with errno set.
func readSourceFile(_ path: UnsafePointer<CChar>) -> String? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let count = fread(&buffer, 1, buffer.count, file)
        if count > 0 { bytes += buffer[0..<count] }
        if count < buffer.count {
            if ferror(file) != 0 { return nil }
            break
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}

func currentEnvironment() -> [String: String] {
    var result: [String: String] = [:]
    var pointer = environ
    while let entry = pointer.pointee {
        let text = String(cString: entry)
        if let equals = text.firstIndex(of: "=") {
            result[String(text[..<equals])] = String(text[text.index(after: equals)...])
        }
        pointer += 1
    }
    return result
}
