import Testing
import TestSupport
@testable import PerfTrampoline

@Suite(.tags(.backendSensitive)) struct MapFormatTests {
    private func line(_ address: UInt, _ size: UInt, _ name: String) -> String {
        var buffer: [UInt8] = []
        PerfMapLine.append(address: address, size: size, name: SymbolName.sanitized(name), to: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    @Test func exactLineText() {
        #expect(line(0x1234, 0x162e, "entry1") == "1234 162e entry1\n")
        #expect(line(0x2345, 6789, "entry2") == "2345 1a85 entry2\n")
        #expect(line(0x3456, 1 << 33, "entry_big") == "3456 200000000 entry_big\n")
        #expect(line(0x7fd0_3d06_6cd0, 0xc, "toy::f:x.toy") == "7fd03d066cd0 c toy::f:x.toy\n")
        #expect(line(0, 1, "abc") == "0 1 abc\n")
        #expect(line(UInt.max, 0x10, "abc") == "ffffffffffffffff 10 abc\n")
        #expect(!line(0x1234, 5, "x").hasPrefix("0x"))
    }

    @Test(arguments: ["a\nb", "a\rb", "a\tb", "a\u{0}b", "a\u{7f}b", "a\u{85}b", "a\u{2028}b"])
    func controlCharactersAreReplaced(name: String) {
        let text = line(0x10, 0x10, name)
        #expect(text == "10 10 a?b\n")
    }

    @Test func hugeNamesAreCappedAndStayOneLine() {
        let name = String(repeating: "é\n", count: 512 * 1024)  // ~1.5 MiB
        let sanitized = SymbolName.sanitized(name)
        #expect(sanitized.count <= SymbolName.maximumLength)
        let text = line(0xabc, 0x10, name)
        #expect(text.split(separator: "\n").count == 1)
        #expect(text.hasSuffix("…\n"))
        #expect(!text.contains("\u{FFFD}"))
    }

    @Test func invalidUTF8BecomesReplacementCharacters() {
        let sanitized = SymbolName.sanitized(utf8: [0x61, 0xFF, 0xFE, 0x62, 0x0A])
        #expect(String(decoding: sanitized, as: UTF8.self) == "a\u{FFFD}\u{FFFD}b?")
    }

    @Test func emptyNameGetsAPlaceholder() {
        #expect(line(0x10, 0x10, "") == "10 10 <anonymous>\n")
    }

    @Test func spacesInNamesAreKept() {
        #expect(line(0x10, 0x10, "toy::f:my dir/a b.toy") == "10 10 toy::f:my dir/a b.toy\n")
    }
}
