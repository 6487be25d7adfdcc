/// Recursive-descent parser for the toy language (precedence, lowest first: `or`, `and`,
/// `not`, comparisons, `+ -`, `* / %`, unary `-`, call and index, primaries).
struct Parser {
    /// Deepest nesting accepted — brackets, calls, blocks, unary operators, and chains of
    /// binary operators or calls, which nest in the syntax tree all the same. Deeper input is
    /// `nesting too deep`, a syntax error, instead of overflowing the native stack of the parser,
    /// the compiler or the tree's destructor.
    static let nestingLimit = 500

    private let tokens: [Token]
    private let file: String
    private var position = 0
    private var functionDepth = 0
    /// Current nesting (see ``nestingLimit``).
    private var depth = 0

    static func parse(_ source: String, file: String) throws(SyntaxError) -> [Statement] {
        var parser = Parser(tokens: try Lexer.tokenize(source, file: file), file: file)
        return try parser.program()
    }

    private init(tokens: [Token], file: String) {
        self.tokens = tokens
        self.file = file
    }

    // MARK: Token helpers

    private var current: Token { tokens[position] }

    private func error(_ message: String, at token: Token? = nil) -> SyntaxError {
        let token = token ?? current
        return SyntaxError(file: file, line: token.line, column: token.column, message: message)
    }

    private func describe(_ token: Token) -> String {
        switch token.kind {
        case .identifier(let name): "'\(name)'"
        case .integer(let value): "'\(value)'"
        case .float(let value): "'\(value)'"
        case .string: "string literal"
        case .keyword(let keyword): "'\(keyword.rawValue)'"
        case .symbol(let symbol): "'\(symbol.rawValue)'"
        case .newline: "end of line"
        case .end: "end of file"
        }
    }

    private mutating func advance() -> Token {
        let token = tokens[position]
        if position < tokens.count - 1 { position += 1 }
        return token
    }

    private func check(_ symbol: Symbol) -> Bool { current.kind == .symbol(symbol) }
    private func check(_ keyword: Keyword) -> Bool { current.kind == .keyword(keyword) }

    private mutating func match(_ symbol: Symbol) -> Bool {
        guard check(symbol) else { return false }
        _ = advance()
        return true
    }

    private mutating func expect(_ symbol: Symbol, _ context: String) throws(SyntaxError) -> Token {
        guard check(symbol) else { throw error("expected '\(symbol.rawValue)' \(context), found \(describe(current))") }
        return advance()
    }

    /// Like `expect`, but at end of file points at the unclosed opening bracket instead.
    private mutating func close(_ symbol: Symbol, opening: Token, _ context: String) throws(SyntaxError) -> Token {
        if current.kind == .end && !check(symbol), case .symbol(let open) = opening.kind {
            throw error("'\(open.rawValue)' was never closed", at: opening)
        }
        return try expect(symbol, context)
    }

    private mutating func identifier(_ context: String) throws(SyntaxError) -> String {
        guard case .identifier(let name) = current.kind else {
            throw error("expected a name \(context), found \(describe(current))")
        }
        _ = advance()
        return name
    }

    /// One level deeper for `body`; past ``nestingLimit`` a syntax error at the current token.
    private mutating func nested<T>(_ levels: Int = 1, _ body: (inout Parser) throws(SyntaxError) -> T) throws(SyntaxError) -> T {
        try deeper(levels)
        defer { depth -= levels }
        return try body(&self)
    }

    private mutating func deeper(_ levels: Int) throws(SyntaxError) {
        depth += levels
        if depth > Self.nestingLimit {
            depth -= levels
            throw error("nesting too deep (more than \(Self.nestingLimit) levels of brackets, blocks, calls or operators)")
        }
    }

    private mutating func skipSeparators() {
        while current.kind == .newline || check(.semicolon) { _ = advance() }
    }

    // MARK: Statements

    private mutating func program() throws(SyntaxError) -> [Statement] {
        var statements: [Statement] = []
        skipSeparators()
        while current.kind != .end {
            statements.append(try statement())
            try endOfStatement()
            skipSeparators()
        }
        return statements
    }

    /// A statement ends at a newline, `;`, `}` or the end of the file — or right after the `}`
    /// that closes its own block (`if c { return 1 } return 2` is two statements).
    private mutating func endOfStatement() throws(SyntaxError) {
        if position > 0, tokens[position - 1].kind == .symbol(.rightBrace) { return }
        switch current.kind {
        case .newline, .end, .symbol(.semicolon), .symbol(.rightBrace): return
        default: throw error("expected end of statement, found \(describe(current))")
        }
    }

    private mutating func block(_ context: String) throws(SyntaxError) -> [Statement] {
        try nested { parser throws(SyntaxError) in try parser.blockBody(context) }
    }

    private mutating func blockBody(_ context: String) throws(SyntaxError) -> [Statement] {
        _ = try expect(.leftBrace, context)
        var statements: [Statement] = []
        skipSeparators()
        while !check(.rightBrace) {
            if current.kind == .end { throw error("expected '}' to close the block, found end of file") }
            statements.append(try statement())
            try endOfStatement()
            skipSeparators()
        }
        _ = advance()
        return statements
    }

    private mutating func statement() throws(SyntaxError) -> Statement {
        let start = current
        func make(_ kind: Statement.Kind) -> Statement { Statement(kind: kind, line: start.line, column: start.column) }
        switch start.kind {
        case .keyword(.fn):
            guard functionDepth == 0 && blockDepth == 0 else {
                throw error("functions may be defined only at top level")
            }
            _ = advance()
            let name = try identifier("after 'fn'")
            _ = try expect(.leftParen, "after the function name")
            var parameters: [String] = []
            if !check(.rightParen) {
                repeat {
                    let parameterToken = current
                    let parameter = try identifier("for a parameter")
                    if parameters.contains(parameter) {
                        throw error("duplicate parameter '\(parameter)'", at: parameterToken)
                    }
                    parameters.append(parameter)
                } while match(.comma)
            }
            _ = try expect(.rightParen, "after the parameters")
            functionDepth += 1
            defer { functionDepth -= 1 }
            let body = try block("to start the function body")
            return make(.function(FunctionDeclaration(name: name, parameters: parameters, body: body, line: start.line)))
        case .keyword(.let):
            _ = advance()
            let name = try identifier("after 'let'")
            _ = try expect(.equal, "after the variable name")
            return make(.letBinding(name, try expression()))
        case .keyword(.if):
            var branches: [(condition: Expression, body: [Statement])] = []
            var elseBody: [Statement]?
            _ = advance()
            blockDepth += 1
            defer { blockDepth -= 1 }
            branches.append((try expression(), try block("after the 'if' condition")))
            while peekElse() {
                _ = advance()
                if check(.if) {
                    _ = advance()
                    branches.append((try expression(), try block("after the 'else if' condition")))
                } else {
                    elseBody = try block("after 'else'")
                    break
                }
            }
            return make(.ifElse(branches, elseBody: elseBody))
        case .keyword(.while):
            _ = advance()
            blockDepth += 1
            defer { blockDepth -= 1 }
            let condition = try expression()
            return make(.whileLoop(condition, try block("after the 'while' condition")))
        case .keyword(.return):
            guard functionDepth > 0 else { throw error("'return' outside a function") }
            _ = advance()
            switch current.kind {
            case .newline, .end, .symbol(.semicolon), .symbol(.rightBrace): return make(.returnValue(nil))
            default: return make(.returnValue(try expression()))
            }
        default:
            let target = try expression()
            if check(.equal) {
                let equalToken = advance()
                let value = try expression()
                switch target.kind {
                case .name(let name): return make(.assign(name, value))
                case .index(let container, let index): return make(.assignIndex(container, index, value))
                default: throw error("cannot assign to this expression", at: equalToken)
                }
            }
            return make(.expression(target))
        }
    }

    private var blockDepth = 0

    /// `else` may follow the closing brace on the same line or on a following line.
    private mutating func peekElse() -> Bool {
        var lookahead = position
        while tokens[lookahead].kind == .newline { lookahead += 1 }
        guard tokens[lookahead].kind == .keyword(.else) else { return false }
        position = lookahead
        return true
    }

    // MARK: Expressions

    private mutating func expression() throws(SyntaxError) -> Expression {
        try nested { parser throws(SyntaxError) in try parser.orExpression() }
    }

    private mutating func orExpression() throws(SyntaxError) -> Expression {
        var left = try andExpression()
        var chain = 0
        defer { depth -= chain }
        while check(.or) {
            let op = advance()
            try deeper(1)
            chain += 1
            left = Expression(kind: .or(left, try andExpression()), line: op.line, column: op.column)
        }
        return left
    }

    private mutating func andExpression() throws(SyntaxError) -> Expression {
        var left = try notExpression()
        var chain = 0
        defer { depth -= chain }
        while check(.and) {
            let op = advance()
            try deeper(1)
            chain += 1
            left = Expression(kind: .and(left, try notExpression()), line: op.line, column: op.column)
        }
        return left
    }

    private mutating func notExpression() throws(SyntaxError) -> Expression {
        if check(.not) {
            let op = advance()
            let operand = try nested { parser throws(SyntaxError) in try parser.notExpression() }
            return Expression(kind: .not(operand), line: op.line, column: op.column)
        }
        return try comparison()
    }

    private mutating func comparison() throws(SyntaxError) -> Expression {
        try binaryLevel(Self.comparisonOperator) { parser throws(SyntaxError) in try parser.additive() }
    }

    private mutating func additive() throws(SyntaxError) -> Expression {
        try binaryLevel(Self.additiveOperator) { parser throws(SyntaxError) in try parser.multiplicative() }
    }

    private mutating func multiplicative() throws(SyntaxError) -> Expression {
        try binaryLevel(Self.multiplicativeOperator) { parser throws(SyntaxError) in try parser.unary() }
    }

    // Each precedence level's operators, as switches: a dictionary literal here was built on
    // every expression parsed (13 % of compiling 100,000 functions).
    private static func comparisonOperator(_ symbol: Symbol) -> BinaryOperator? {
        switch symbol {
        case .equalEqual: .equal
        case .bangEqual: .notEqual
        case .less: .less
        case .lessEqual: .lessEqual
        case .greater: .greater
        case .greaterEqual: .greaterEqual
        default: nil
        }
    }

    private static func additiveOperator(_ symbol: Symbol) -> BinaryOperator? {
        switch symbol {
        case .plus: .add
        case .minus: .subtract
        default: nil
        }
    }

    private static func multiplicativeOperator(_ symbol: Symbol) -> BinaryOperator? {
        switch symbol {
        case .star: .multiply
        case .slash: .divide
        case .percent: .remainder
        default: nil
        }
    }

    /// One left-associative precedence level: operands from `operand`, joined by `operators`.
    private mutating func binaryLevel(_ operators: (Symbol) -> BinaryOperator?,
                                      _ operand: (inout Parser) throws(SyntaxError) -> Expression) throws(SyntaxError) -> Expression {
        var left = try operand(&self)
        var chain = 0
        defer { depth -= chain }
        while case .symbol(let symbol) = current.kind, let op = operators(symbol) {
            let token = advance()
            try deeper(1)  // a left-associative chain nests in the tree: 1+1+1 is ((1+1)+1)
            chain += 1
            left = Expression(kind: .binary(op, left, try operand(&self)), line: token.line, column: token.column)
        }
        return left
    }

    private mutating func unary() throws(SyntaxError) -> Expression {
        if check(.minus) {
            let token = advance()
            let operand = try nested { parser throws(SyntaxError) in try parser.unary() }
            // Fold literals so that -9223372036854775808 and -1.5 are constants.
            if case .float(let value) = operand.kind {
                return Expression(kind: .float(-value), line: token.line, column: token.column)
            }
            if case .integer(let value) = operand.kind {
                return Expression(kind: .integer(-value), line: token.line, column: token.column)
            }
            return Expression(kind: .negate(operand), line: token.line, column: token.column)
        }
        return try postfix()
    }

    private mutating func postfix() throws(SyntaxError) -> Expression {
        var expression = try primary()
        var chain = 0
        defer { depth -= chain }
        while true {
            if check(.leftParen) || check(.leftBracket) {
                try deeper(1)  // f(1)(2)[3] nests in the tree like brackets do
                chain += 1
            }
            if check(.leftParen) {
                let token = advance()
                var arguments: [Expression] = []
                if !check(.rightParen) {
                    repeat { arguments.append(try self.expression()) } while match(.comma)
                }
                _ = try close(.rightParen, opening: token, "after the call arguments")
                expression = Expression(kind: .call(expression, arguments), line: token.line, column: token.column)
            } else if check(.leftBracket) {
                let token = advance()
                let index = try self.expression()
                _ = try close(.rightBracket, opening: token, "after the index")
                expression = Expression(kind: .index(expression, index), line: token.line, column: token.column)
            } else {
                return expression
            }
        }
    }

    private mutating func primary() throws(SyntaxError) -> Expression {
        let token = current
        func make(_ kind: Expression.Kind) -> Expression { Expression(kind: kind, line: token.line, column: token.column) }
        switch token.kind {
        case .integer(let value): _ = advance(); return make(.integer(value))
        case .float(let value): _ = advance(); return make(.float(value))
        case .string(let value): _ = advance(); return make(.string(value))
        case .keyword(.true): _ = advance(); return make(.boolean(true))
        case .keyword(.false): _ = advance(); return make(.boolean(false))
        case .keyword(.nil): _ = advance(); return make(.nilLiteral)
        case .identifier(let name): _ = advance(); return make(.name(name))
        case .symbol(.leftParen):
            _ = advance()
            let inner = try expression()
            _ = try close(.rightParen, opening: token, "to close the parenthesis")
            return inner
        case .symbol(.leftBracket):
            _ = advance()
            var elements: [Expression] = []
            if !check(.rightBracket) {
                repeat {
                    if check(.rightBracket) { break }  // trailing comma
                    elements.append(try expression())
                } while match(.comma)
            }
            _ = try close(.rightBracket, opening: token, "to close the list")
            return make(.list(elements))
        default:
            throw error("expected an expression, found \(describe(token))")
        }
    }
}
