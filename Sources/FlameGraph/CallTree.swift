/// Samples merged into a tree of stacks, root first, and the statistics a profile report needs.
public final class CallTree {
    /// The frame's symbol, the samples that reached it, and its callees by name.
    public let name: String
    public private(set) var count = 0
    public private(set) var children: [String: CallTree] = [:]

    /// An empty node.
    public init(name: String) { self.name = name }

    /// Adds one stack, root first.
    public func add(_ stack: some Collection<String>) {
        count += 1
        guard let first = stack.first else { return }
        let child = children[first] ?? CallTree(name: first)
        children[first] = child
        child.add(stack.dropFirst())
    }

    /// Children sorted by name (flame graph order) — stable output for the same profile.
    public var sortedChildren: [CallTree] { children.values.sorted { $0.name < $1.name } }

    /// Builds the tree of `samples`, keeping only frames for which `keep` is true (the leaf
    /// frame is kept as `[native]` when it is not), so interpreted stacks read cleanly.
    public static func build(from samples: [PerfScript.Sample], keep: (String) -> Bool, keepNativeLeaf: Bool) -> CallTree {
        let root = CallTree(name: "all")
        for sample in samples {
            var stack = sample.frames.filter(keep)
            if keepNativeLeaf, let leaf = sample.frames.first, !keep(leaf) { stack.insert("[native]", at: 0) }
            root.add(stack.reversed())
        }
        return root
    }
}

/// "Top interpreted functions with their callers", from the same samples.
public struct HotFunctions {
    /// One function of the report.
    public struct Entry {
        /// The function's symbol.
        public let name: String
        /// Samples whose innermost interpreted frame is this function.
        public let selfSamples: Int
        /// Samples with this function anywhere on the interpreted stack.
        public let totalSamples: Int
        /// Its direct interpreted callers, most frequent first.
        public let callers: [(name: String, samples: Int)]
    }

    /// All samples, and the functions sorted hottest (self) first.
    public let sampleCount: Int
    public let entries: [Entry]

    /// Counts `samples`, looking only at frames for which `keep` is true.
    public init(samples: [PerfScript.Sample], keep: (String) -> Bool) {
        var selfCounts: [String: Int] = [:]
        var totalCounts: [String: Int] = [:]
        var callerCounts: [String: [String: Int]] = [:]
        for sample in samples {
            let stack = sample.frames.filter(keep)  // leaf first
            guard let leaf = stack.first else { continue }
            selfCounts[leaf, default: 0] += 1
            for name in Set(stack) { totalCounts[name, default: 0] += 1 }
            // Each (callee, caller) pair once per sample, so recursion cannot exceed 100 %.
            var seen = Set<[String]>()
            for (callee, caller) in zip(stack, stack.dropFirst()) where seen.insert([callee, caller]).inserted {
                callerCounts[callee, default: [:]][caller, default: 0] += 1
            }
        }
        sampleCount = samples.count
        entries = totalCounts.keys.map { name in
            Entry(name: name, selfSamples: selfCounts[name] ?? 0, totalSamples: totalCounts[name] ?? 0,
                  callers: (callerCounts[name] ?? [:]).sorted { ($0.value, $1.key) > ($1.value, $0.key) }
                      .map { (name: $0.key, samples: $0.value) })
        }.sorted { ($0.selfSamples, $0.totalSamples, $1.name) > ($1.selfSamples, $1.totalSamples, $0.name) }
    }

    /// A plain-text table: self %, total %, function, then its top callers.
    public func render(limit: Int = 15) -> String {
        guard sampleCount > 0 else { return "no samples\n" }
        func percent(_ n: Int) -> String {
            let value = Double(n) * 100 / Double(sampleCount)
            let text = String(Int((value * 10).rounded())) // tenths
            let padded = text.count == 1 ? "0" + text : text
            return "\(padded.dropLast()).\(padded.suffix(1))%"
        }
        var lines = ["  self   total  function (callers)"]
        for entry in entries.prefix(limit) {
            let selfText = percent(entry.selfSamples).leftPadded(to: 6)
            let totalText = percent(entry.totalSamples).leftPadded(to: 6)
            lines.append("\(selfText)  \(totalText)  \(entry.name)")
            for caller in entry.callers.prefix(3) {
                lines.append("                  <- \(caller.name) (\(percent(caller.samples)))")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
