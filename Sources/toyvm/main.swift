import PerfTrampoline
import ToyVM

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

let usage = """
    usage: toyvm [options] FILE [ARGS...]
           toyvm [options] -c CODE [ARGS...]
    options:
      -Xperf, -X perf          name interpreted functions in /tmp/perf-PID.map (perf, samply)
      -Xperf_jit, -X perf_jit  describe them in a jitdump for perf inject --jit
      -c CODE                  run CODE (its file name is <string>)
      --help                   show this help
      --version                show the version
    environment:
      PERFSUPPORT=1            same as -Xperf
      PERFSUPPORT=jitdump      same as -Xperf_jit (a flag wins over the environment)
      PERFTRAMPOLINE_SIGNAL=USR2  each delivery of the signal switches profiling on or off
    """

func usageError(_ message: String) -> Never {
    writeStandardError("toyvm: error: \(message)\n\(usage)\n")
    exit(2)
}

let invocation: Invocation
switch Invocation.parse(Array(CommandLine.arguments.dropFirst())) {
case .success(let parsed): invocation = parsed
case .failure(let error): usageError(error.message)
}

switch invocation.action {
case .help:
    print(usage)
    exit(0)
case .version:
    print("toyvm \(toyVersion) (PerfTrampoline)")
    exit(0)
case .run(let source):
    let text: String
    let file: String
    switch source {
    case .code(let code):
        text = code
        file = "<string>"
    case .file(let path):
        // Open by the raw argv bytes: CommandLine.arguments has repaired invalid UTF-8.
        let rawPath = invocation.fileArgumentIndex.flatMap { CommandLine.unsafeArgv[$0 + 1] }
        guard let rawPath, let contents = readSourceFile(rawPath) else {
            usageError("cannot read '\(path)': \(String(cString: strerror(errno)))")
        }
        text = contents
        file = path
    }
    let program: ToyProgram
    do {
        program = try ToyProgram(source: text, file: file, arguments: invocation.scriptArguments)
    } catch {
        writeStandardError("\(error)\n")
        exit(1)
    }
    PerfSupport.shared.configure(arguments: invocation.perfOptions, environment: currentEnvironment(),
                                 logger: Runner.logger)
    Runner.runAndExit(program)
}
