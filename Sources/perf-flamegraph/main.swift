import FlameGraph

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// perf-flamegraph: reads `perf script` output on stdin, prints the hottest interpreted
/// functions with their callers, and writes a flame graph SVG. The interpreter's prefix
/// (`toy::`, `lua::`, `py::`…) is found in the data: the one that names most frames resolved
/// through a perf map or a jitdump; `--prefix` overrides it.
///
///   perf script | perf-flamegraph [--svg FILE] [--prefix LANG::] [--all-frames] [--title TEXT]
let usage = "usage: perf script | perf-flamegraph [--svg FILE] [--prefix PREFIX] [--all-frames] [--title TEXT] [--top N]"

func printError(_ message: String) {
    var line = message + "\n"
    line.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
}

var svgPath: String?
var prefix: String?
var allFrames = false
var title = "Flame graph"
var top = 15
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--svg": svgPath = arguments.popFirst()
    case "--prefix": prefix = arguments.popFirst()
    case "--all-frames": allFrames = true
    case "--title": title = arguments.popFirst() ?? title
    case "--top": top = Int(arguments.popFirst() ?? "") ?? top
    case "--help", "-h": print(usage); exit(0)
    default:
        printError("perf-flamegraph: error: unknown argument '\(argument)'\n\(usage)")
        exit(2)
    }
}

var input: [UInt8] = []
var chunk = [UInt8](repeating: 0, count: 1 << 16)
while true {
    let count = read(STDIN_FILENO, &chunk, chunk.count)
    if count <= 0 { break }
    input += chunk[0..<count]
}
let script = PerfScript(text: Substring(String(decoding: input, as: UTF8.self)))
guard let prefix = prefix ?? InterpreterPrefix.detect(in: script.samples) else {
    printError("perf-flamegraph: error: no frame of the \(script.samples.count) samples resolves through a perf map or a "
               + "jitdump (was the interpreter run with -Xperf / PERFSUPPORT=1?); name one with --prefix")
    exit(1)
}
let interpreted: (String) -> Bool = { $0.hasPrefix(prefix) }

print("\(script.samples.count) samples; hottest functions named \(prefix)…")
print(HotFunctions(samples: script.samples, keep: interpreted).render(limit: top), terminator: "")

if let svgPath {
    let tree = CallTree.build(from: script.samples, keep: allFrames ? { _ in true } : interpreted, keepNativeLeaf: !allFrames)
    var renderer = SVGRenderer()
    renderer.title = title
    let svg = renderer.render(tree)
    guard let file = fopen(svgPath, "w") else {
        printError("perf-flamegraph: error: cannot write \(svgPath): \(String(cString: strerror(errno)))")
        exit(1)
    }
    fputs(svg, file)
    fclose(file)
    print("flame graph: \(svgPath)")
}
