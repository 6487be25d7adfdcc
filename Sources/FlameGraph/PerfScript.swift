/// Stacks read from `perf script` output.
public struct PerfScript {
    /// One sample: its process, and its frames' symbols from leaf to root.
    public struct Sample: Sendable {
        /// The sampled command, its pid, and its frames leaf first.
        public let command: String
        public let pid: Int32?
        public let frames: [String]
        /// Each frame's DSO as perf printed it (`/tmp/perf-1.map`, `/usr/lib/…/libc.so.6`), or "".
        public let objects: [String]

        public init(command: String, pid: Int32?, frames: [String], objects: [String]? = nil) {
            self.command = command
            self.pid = pid
            self.frames = frames
            self.objects = objects ?? Array(repeating: "", count: frames.count)
        }
    }

    /// The samples in file order.
    public let samples: [Sample]

    /// Parses `perf script`'s default output: a header line per sample, then one indented
    /// line per frame (`ADDRESS SYMBOL+OFFSET (DSO)`), then a blank line.
    public init(text: Substring) {
        var samples: [Sample] = []
        var header: Substring?
        var frames: [String] = []
        var objects: [String] = []
        func finish() {
            if let header {
                let fields = header.split(separator: " ", omittingEmptySubsequences: true)
                let pid = fields.count > 1 ? Int32(fields[1].split(separator: "/").first ?? "") : nil
                samples.append(Sample(command: fields.first.map(String.init) ?? "", pid: pid, frames: frames, objects: objects))
            }
            header = nil
            frames = []
            objects = []
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty {
                finish()
            } else if line.first == "\t" || line.first == " " {
                if header != nil {
                    frames.append(Self.symbol(of: line))
                    objects.append(Self.object(of: line))
                }
            } else {
                finish()
                header = line
            }
        }
        finish()
        self.samples = samples
    }

    /// `\t    7f95… toy::foo:file+0xa (/tmp/perf-1.map)` → `toy::foo:file`.
    static func symbol(of line: Substring) -> String {
        let trimmed = line.drop { $0 == "\t" || $0 == " " }
        var symbol = trimmed.drop { $0 != " " }.dropFirst()
        if let dso = lastStart(of: " (", in: symbol) { symbol = symbol[..<dso] }
        if let offset = lastStart(of: "+0x", in: symbol) { symbol = symbol[..<offset] }
        return symbol.isEmpty ? "[unknown]" : String(symbol)
    }

    /// `\t    7f95… toy::foo:file+0xa (/tmp/perf-1.map)` → `/tmp/perf-1.map`.
    static func object(of line: Substring) -> String {
        guard line.last == ")", let open = lastStart(of: " (", in: line) else { return "" }
        return String(line[line.index(open, offsetBy: 2)..<line.index(before: line.endIndex)])
    }

    /// Start of the last occurrence of `needle` in `text`.
    static func lastStart(of needle: String, in text: Substring) -> Substring.Index? {
        var index = text.endIndex
        while index > text.startIndex {
            index = text.index(before: index)
            if text[index...].starts(with: needle) { return index }
        }
        return nil
    }
}
