// Any bytes as a symbol name: the map line is always `HEX HEX NAME\n` with one newline, valid
// UTF-8, no control characters, a bounded name.
import FuzzDriver
@testable import PerfTrampoline
#if canImport(Glibc)
import Glibc
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let name = SymbolName.sanitized(utf8: bytes)
    var line: [UInt8] = []
    let address = size >= 8 ? UInt(bitPattern: UnsafeRawPointer(data).loadUnaligned(as: Int.self)) : UInt(size)
    PerfMapLine.append(address: address, size: UInt(size) + 1, name: name, to: &line)
    precondition(line.last == UInt8(ascii: "\n") && line.filter { $0 == UInt8(ascii: "\n") }.count == 1, "one line")
    precondition(!name.isEmpty && name.count <= SymbolName.maximumLength + 3, "bounded, non-empty name")
    precondition(name.allSatisfy { $0 >= 0x20 && $0 != 0x7F }, "no control characters")
    precondition(String(validating: line, as: UTF8.self) != nil, "valid UTF-8")
    let fields = line.dropLast().split(separator: UInt8(ascii: " "), maxSplits: 2, omittingEmptySubsequences: false)
    precondition(fields.count == 3 && UInt(String(decoding: fields[0], as: UTF8.self), radix: 16) == address, "address")
    return 0
}

exit(runFuzzer(fuzzOne))
