import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One line of /proc/self/maps.
struct MemoryMapping {
    let start: UInt
    let end: UInt
    let permissions: String
    let path: String

    static func current() -> [MemoryMapping] {
        guard let file = fopen("/proc/self/maps", "r") else { return [] }
        defer { fclose(file) }
        var result: [MemoryMapping] = []
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        while getline(&line, &capacity, file) > 0 {
            let text = String(cString: line!).split(separator: "\n").first.map(String.init) ?? ""
            let fields = text.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 5 else { continue }
            let range = fields[0].split(separator: "-")
            result.append(MemoryMapping(start: UInt(range[0], radix: 16)!, end: UInt(range[1], radix: 16)!,
                                        permissions: String(fields[1]),
                                        path: fields.count > 5 ? fields[5...].joined(separator: " ") : ""))
        }
        free(line)
        return result
    }

    static func containing(_ address: UInt, in mappings: [MemoryMapping]) -> MemoryMapping? {
        mappings.first { $0.start <= address && address < $0.end }
    }
}

/// Open descriptors of this process that refer to perf maps or jitdumps. (All descriptors would
/// be disturbed by suites running in parallel, which open pipes to child processes.)
func openDescriptorCount() -> Int {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    return entries.filter { entry in
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(entry)") else { return false }
        return (target.contains("/perf-") && target.hasSuffix(".map")) || (target.contains("/jit-") && target.hasSuffix(".dump"))
    }.count
}

func readFile(_ path: String) -> String? {
    guard let file = fopen(path, "r") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buffer, 1, buffer.count, file)
        if n <= 0 { break }
        bytes += buffer[0..<n]
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// A private scratch directory under /tmp, removed by the caller.
func makeScratchDirectory() -> String {
    var template = Array("/tmp/perftrampoline-test-XXXXXX".utf8CString)
    let path = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    return String(cString: path!)
}

func removeTree(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}
