/// A toy-language value.
public enum Value {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case list(ListObject)
    case function(FunctionObject)
    case builtin(Builtin)
    /// Internal: a global slot that was never assigned. Never visible to programs.
    case undefined

    /// `false` and `nil` are false; everything else is true.
    @inline(__always)
    var isTruthy: Bool {
        switch self {
        case .bool(let value): value
        case .none, .undefined: false
        default: true
        }
    }

    var typeName: String {
        switch self {
        case .none, .undefined: "nil"
        case .bool: "bool"
        case .int: "int"
        case .float: "float"
        case .string: "string"
        case .list: "list"
        case .function, .builtin: "function"
        }
    }
}

/// A mutable list, shared by reference.
public final class ListObject {
    var elements: [Value]
    init(_ elements: [Value]) { self.elements = elements }
}

extension Value {
    /// `print` and `str` form: strings raw, floats shortest round-trip, lists `[1, "a"]`.
    func formatted() -> String {
        switch self {
        case .string(let text): text
        default: repr()
        }
    }

    /// The form inside a list: strings quoted. A list that contains itself prints its inner
    /// occurrence as `[...]`, as Python does.
    func repr() -> String {
        var open: Set<ObjectIdentifier> = []
        return repr(open: &open)
    }

    private func repr(open: inout Set<ObjectIdentifier>) -> String {
        switch self {
        case .none, .undefined: "nil"
        case .bool(let value): value ? "true" : "false"
        case .int(let value): String(value)
        case .float(let value): Self.format(value)
        case .string(let text): Self.quote(text)
        case .list(let list):
            if open.contains(ObjectIdentifier(list)) {
                "[...]"
            } else {
                Self.listRepr(list, open: &open)
            }
        case .function(let function): "<fn \(function.name)>"
        case .builtin(let builtin): "<builtin \(builtin.name)>"
        }
    }

    private static func listRepr(_ list: ListObject, open: inout Set<ObjectIdentifier>) -> String {
        open.insert(ObjectIdentifier(list))
        defer { open.remove(ObjectIdentifier(list)) }
        var parts: [String] = []
        parts.reserveCapacity(list.elements.count)
        for element in list.elements { parts.append(element.repr(open: &open)) }
        return "[" + parts.joined(separator: ", ") + "]"
    }

    static func format(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        return value.description
    }

    static func quote(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    /// Structural equality; ints and floats compare numerically. Cyclic lists compare without
    /// unbounded recursion: a pair of lists already being compared further up is taken as
    /// equal there (the two structures are equal if no difference is found anywhere).
    /// Out of line, as it was before it grew the cycle-safe set: inlined into the dispatch loop
    /// it cost every interpreted call 11 instructions (register pressure; measured with
    /// Scripts/bench-instructions.sh).
    @inline(never)
    func equals(_ other: Value) -> Bool {
        var assumed: Set<ListPair> = []
        return equals(other, assuming: &assumed)
    }

    private struct ListPair: Hashable {
        let left: ObjectIdentifier
        let right: ObjectIdentifier
    }

    private func equals(_ other: Value, assuming assumed: inout Set<ListPair>) -> Bool {
        switch (self, other) {
        case (.none, .none), (.undefined, .undefined), (.none, .undefined), (.undefined, .none): true
        case (.bool(let a), .bool(let b)): a == b
        case (.int(let a), .int(let b)): a == b
        case (.float(let a), .float(let b)): a == b
        case (.int(let a), .float(let b)): Double(a) == b
        case (.float(let a), .int(let b)): a == Double(b)
        case (.string(let a), .string(let b)): a == b
        case (.list(let a), .list(let b)):
            Self.listsEqual(a, b, assuming: &assumed)
        case (.function(let a), .function(let b)): a === b
        case (.builtin(let a), .builtin(let b)): a == b
        default: false
        }
    }

    private static func listsEqual(_ a: ListObject, _ b: ListObject, assuming assumed: inout Set<ListPair>) -> Bool {
        if a === b { return true }
        guard a.elements.count == b.elements.count else { return false }
        let pair = ListPair(left: ObjectIdentifier(a), right: ObjectIdentifier(b))
        if !assumed.insert(pair).inserted { return true }
        defer { assumed.remove(pair) }
        for (x, y) in zip(a.elements, b.elements) where !x.equals(y, assuming: &assumed) { return false }
        return true
    }
}
