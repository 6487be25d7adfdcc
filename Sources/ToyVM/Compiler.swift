/// Global variables: builtins first, then `argv`, then the program's own, by name.
struct GlobalTable {
    private(set) var names: [String] = []
    private var indices: [String: Int] = [:]

    mutating func index(of name: String) -> Int {
        if let index = indices[name] { return index }
        names.append(name)
        indices[name] = names.count - 1
        return names.count - 1
    }
}

/// Compiles a parsed program to bytecode: one ``FunctionObject`` per `fn`, plus the module.
struct Compiler {
    private(set) var globals = GlobalTable()
    private let file: String

    init(file: String) {
        self.file = file
        for builtin in Builtin.allCases { _ = globals.index(of: builtin.name) }
        _ = globals.index(of: "argv")
    }

    /// A compiler adding to a running program's globals (the `compile` builtin).
    init(file: String, globals: GlobalTable) {
        self.file = file
        self.globals = globals
    }

    /// Source compiled at run time: function definitions only, returned in source order and
    /// bound to no name (names used inside refer to the program's globals, as in any function).
    mutating func compileDefinitions(_ statements: [Statement]) throws(SyntaxError) -> [FunctionObject] {
        var result: [FunctionObject] = []
        for statement in statements {
            guard case .function(let declaration) = statement.kind else {
                throw SyntaxError(file: file, line: statement.line, column: 1,
                                  message: "compiled source may only define functions (fn name(...) { ... })")
            }
            result.append(try compileFunction(declaration))
        }
        return result
    }

    /// The module's code object. Function definitions are hoisted: every `fn` is bound before
    /// the first top-level statement runs, so code may call functions defined later.
    mutating func compileModule(_ statements: [Statement]) throws(SyntaxError) -> FunctionObject {
        var emitter = Emitter(file: file, name: "<module>", parameters: nil)
        for statement in statements {
            guard case .function(let declaration) = statement.kind else { continue }
            let function = try compileFunction(declaration)
            emitter.line = Int32(declaration.line)
            emitter.emitConstant(.function(function))
            emitter.emit(.storeGlobal(Int32(globals.index(of: declaration.name))), effect: -1)
        }
        for statement in statements {
            try compile(statement, into: &emitter)
        }
        emitter.emit(.returnNil, effect: 0)
        return emitter.finish(arity: 0)
    }

    private mutating func compileFunction(_ declaration: FunctionDeclaration) throws(SyntaxError) -> FunctionObject {
        var emitter = Emitter(file: file, name: declaration.name, parameters: declaration.parameters)
        emitter.line = Int32(declaration.line)
        for statement in declaration.body {
            try compile(statement, into: &emitter)
        }
        emitter.emit(.returnNil, effect: 0)
        return emitter.finish(arity: declaration.parameters.count)
    }

    private mutating func compile(_ statement: Statement, into e: inout Emitter) throws(SyntaxError) {
        e.line = Int32(statement.line)
        switch statement.kind {
        case .function:
            break  // hoisted by compileModule
        case .letBinding(let name, let value):
            try compile(value, into: &e)
            e.line = Int32(statement.line)
            if e.isModule {
                e.emit(.storeGlobal(Int32(globals.index(of: name))), effect: -1)
            } else {
                e.emit(.storeLocal(Int32(e.declareLocal(name))), effect: -1)
            }
        case .assign(let name, let value):
            try compile(value, into: &e)
            e.line = Int32(statement.line)
            if let slot = e.local(name) {
                e.emit(.storeLocal(Int32(slot)), effect: -1)
            } else {
                e.emit(.assignGlobal(Int32(globals.index(of: name))), effect: -1)
            }
        case .assignIndex(let container, let index, let value):
            try compile(container, into: &e)
            try compile(index, into: &e)
            try compile(value, into: &e)
            e.line = Int32(statement.line)
            e.emit(.storeIndex, effect: -3)
        case .ifElse(let branches, let elseBody):
            var exits: [Int] = []
            for branch in branches {
                try compile(branch.condition, into: &e)
                let skip = e.emit(.jumpIfFalse(0), effect: -1)
                for inner in branch.body { try compile(inner, into: &e) }
                exits.append(e.emit(.jump(0), effect: 0))
                e.patch(skip)
            }
            for inner in elseBody ?? [] { try compile(inner, into: &e) }
            for exit in exits { e.patch(exit) }
        case .whileLoop(let condition, let body):
            let top = e.here
            try compile(condition, into: &e)
            let exit = e.emit(.jumpIfFalse(0), effect: -1)
            for inner in body { try compile(inner, into: &e) }
            e.line = Int32(statement.line)
            e.emit(.jump(Int32(top)), effect: 0)
            e.patch(exit)
        case .returnValue(let value):
            if let value {
                try compile(value, into: &e)
                e.emit(.returnValue, effect: -1)
            } else {
                e.emit(.returnNil, effect: 0)
            }
        case .expression(let expression):
            try compile(expression, into: &e)
            e.emit(.pop, effect: -1)
        }
    }

    private mutating func compile(_ expression: Expression, into e: inout Emitter) throws(SyntaxError) {
        switch expression.kind {
        case .integer(let value):
            e.line = Int32(expression.line)
            if let small = Int32(exactly: value) {
                e.emit(.smallInt(small), effect: 1)
            } else {
                e.emitConstant(.int(value))
            }
        case .float(let value):
            e.emitConstant(.float(value))
        case .string(let value):
            e.emitConstant(.string(value))
        case .boolean(let value):
            e.emit(value ? .pushTrue : .pushFalse, effect: 1)
        case .nilLiteral:
            e.emit(.pushNil, effect: 1)
        case .name(let name):
            e.line = Int32(expression.line)
            if let slot = e.local(name) {
                e.emit(.loadLocal(Int32(slot)), effect: 1)
            } else {
                e.emit(.loadGlobal(Int32(globals.index(of: name))), effect: 1)
            }
        case .list(let elements):
            for element in elements { try compile(element, into: &e) }
            e.line = Int32(expression.line)
            e.emit(.makeList(Int32(elements.count)), effect: 1 - elements.count)
        case .negate(let operand):
            try compile(operand, into: &e)
            e.line = Int32(expression.line)
            e.emit(.negate, effect: 0)
        case .not(let operand):
            try compile(operand, into: &e)
            e.emit(.not, effect: 0)
        case .binary(let op, let left, let right):
            if let fused = fusedInstruction(op, left, right, e) {
                e.line = Int32(expression.line)
                e.emit(fused, effect: 1)
                return
            }
            try compile(left, into: &e)
            try compile(right, into: &e)
            e.line = Int32(expression.line)
            e.emit(Self.instruction(for: op), effect: -1)
        case .and(let left, let right):
            try compile(left, into: &e)
            let end = e.emit(.jumpIfFalseKeep(0), effect: -1)
            try compile(right, into: &e)
            e.patch(end)
        case .or(let left, let right):
            try compile(left, into: &e)
            let end = e.emit(.jumpIfTrueKeep(0), effect: -1)
            try compile(right, into: &e)
            e.patch(end)
        case .call(let callee, let arguments):
            try compile(callee, into: &e)
            for argument in arguments { try compile(argument, into: &e) }
            e.line = Int32(expression.line)
            e.emit(.call(Int32(arguments.count)), effect: -arguments.count)
        case .index(let container, let index):
            try compile(container, into: &e)
            try compile(index, into: &e)
            e.line = Int32(expression.line)
            e.emit(.index, effect: -1)
        }
    }

    private func fusedInstruction(_ op: BinaryOperator, _ left: Expression, _ right: Expression,
                                  _ e: Emitter) -> Instruction? {
        guard case .name(let name) = left.kind, let slot = e.local(name),
              case .integer(let value) = right.kind, let small = Int32(exactly: value) else { return nil }
        switch op {
        case .less: return .lessLocalInt(local: Int32(slot), value: small)
        case .subtract: return .subtractLocalInt(local: Int32(slot), value: small)
        default: return nil
        }
    }

    private static func instruction(for op: BinaryOperator) -> Instruction {
        switch op {
        case .add: .add
        case .subtract: .subtract
        case .multiply: .multiply
        case .divide: .divide
        case .remainder: .remainder
        case .equal: .equal
        case .notEqual: .notEqual
        case .less: .less
        case .lessEqual: .lessEqual
        case .greater: .greater
        case .greaterEqual: .greaterEqual
        }
    }
}

/// Builds one code object's instruction stream, tracking the operand stack depth.
private struct Emitter {
    let file: String
    let name: String
    let isModule: Bool
    var line: Int32 = 1
    private var code: [Instruction] = []
    private var lines: [Int32] = []
    private var constants: [Value] = []
    private var locals: [String: Int] = [:]
    private var localCount = 0
    private var depth = 0
    private var maxDepth = 0

    init(file: String, name: String, parameters: [String]?) {
        self.file = file
        self.name = name
        self.isModule = parameters == nil
        for parameter in parameters ?? [] { _ = declareLocal(parameter) }
    }

    var here: Int { code.count }

    func local(_ name: String) -> Int? { locals[name] }

    mutating func declareLocal(_ name: String) -> Int {
        if let slot = locals[name] { return slot }
        locals[name] = localCount
        localCount += 1
        return localCount - 1
    }

    @discardableResult
    mutating func emit(_ instruction: Instruction, effect: Int) -> Int {
        code.append(instruction)
        lines.append(line)
        depth += effect
        maxDepth = max(maxDepth, depth + 1)
        return code.count - 1
    }

    mutating func emitConstant(_ value: Value) {
        constants.append(value)
        emit(.constant(Int32(constants.count - 1)), effect: 1)
    }

    /// Points the jump at `index` to the current end of code.
    mutating func patch(_ index: Int) {
        let target = Int32(code.count)
        switch code[index] {
        case .jump: code[index] = .jump(target)
        case .jumpIfFalse: code[index] = .jumpIfFalse(target)
        case .jumpIfFalseKeep: code[index] = .jumpIfFalseKeep(target)
        case .jumpIfTrueKeep: code[index] = .jumpIfTrueKeep(target)
        default: preconditionFailure("patching a non-jump")
        }
    }

    func finish(arity: Int) -> FunctionObject {
        FunctionObject(name: name, file: file, arity: arity, localCount: localCount, maxStack: maxDepth + 2,
                       code: code, constants: constants, lines: lines)
    }
}
