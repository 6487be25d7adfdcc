/// Tokens of the toy language.
enum TokenKind: Equatable {
    case identifier(String)
    case integer(Int)
    case float(Double)
    case string(String)
    case keyword(Keyword)
    case symbol(Symbol)
    case newline
    case end
}

enum Keyword: String {
    case fn, `let`, `if`, `else`, `while`, `return`, `true`, `false`, `nil`, and, or, not

    /// The keyword spelled by `word`, if any. Words longer than any keyword (most identifiers)
    /// are ruled out by length before the string comparison.
    static func spelled(_ word: ArraySlice<UInt8>) -> Keyword? {
        guard (2...6).contains(word.count) else { return nil }
        return Keyword(rawValue: String(decoding: word, as: UTF8.self))
    }
}

enum Symbol: String {
    case plus = "+", minus = "-", star = "*", slash = "/", percent = "%"
    case equalEqual = "==", bangEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
    case equal = "=", leftParen = "(", rightParen = ")", leftBracket = "[", rightBracket = "]"
    case leftBrace = "{", rightBrace = "}", comma = ",", semicolon = ";"
}

extension Symbol {
    /// `==`, `!=`, `<=`, `>=` from their two bytes (no string built per token).
    static func twoByte(_ first: UInt8, _ second: UInt8) -> Symbol? {
        guard second == UInt8(ascii: "=") else { return nil }
        switch first {
        case UInt8(ascii: "="): return .equalEqual
        case UInt8(ascii: "!"): return .bangEqual
        case UInt8(ascii: "<"): return .lessEqual
        case UInt8(ascii: ">"): return .greaterEqual
        default: return nil
        }
    }

    /// The one-byte symbols.
    static func oneByte(_ byte: UInt8) -> Symbol? {
        switch byte {
        case UInt8(ascii: "+"): .plus
        case UInt8(ascii: "-"): .minus
        case UInt8(ascii: "*"): .star
        case UInt8(ascii: "/"): .slash
        case UInt8(ascii: "%"): .percent
        case UInt8(ascii: "<"): .less
        case UInt8(ascii: ">"): .greater
        case UInt8(ascii: "="): .equal
        case UInt8(ascii: "("): .leftParen
        case UInt8(ascii: ")"): .rightParen
        case UInt8(ascii: "["): .leftBracket
        case UInt8(ascii: "]"): .rightBracket
        case UInt8(ascii: "{"): .leftBrace
        case UInt8(ascii: "}"): .rightBrace
        case UInt8(ascii: ","): .comma
        case UInt8(ascii: ";"): .semicolon
        default: nil
        }
    }
}

struct Token {
    let kind: TokenKind
    let line: Int
    let column: Int
}

/// Turns UTF-8 source into tokens. Newlines inside `( )` and `[ ]` are not statement ends.
struct Lexer {
    private let bytes: [UInt8]
    private let file: String
    private var index = 0
    private var line = 1
    private var lineStart = 0
    private var nesting = 0
    /// Where the last column was counted: counting resumes from there, so columns cost time
    /// linear in the line's length overall, not per token (a 2 MB line stays fast).
    private let counted = ColumnCounter()

    init(source: String, file: String) {
        bytes = Array(source.utf8)
        self.file = file
    }

    static func tokenize(_ source: String, file: String) throws(SyntaxError) -> [Token] {
        var lexer = Lexer(source: source, file: file)
        var tokens: [Token] = []
        while true {
            let token = try lexer.next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    /// 1-based column of `index`, counting characters (UTF-8 continuation bytes do not count).
    private var column: Int {
        if counted.lineStart != lineStart || counted.index > index {
            counted.lineStart = lineStart
            counted.index = lineStart
            counted.column = 1
        }
        for byte in bytes[counted.index..<index] where byte & 0xC0 != 0x80 { counted.column += 1 }
        counted.index = index
        return counted.column
    }

    private func error(_ message: String, column: Int? = nil) -> SyntaxError {
        SyntaxError(file: file, line: line, column: column ?? self.column, message: message)
    }

    private func peek(_ offset: Int = 0) -> UInt8? {
        index + offset < bytes.count ? bytes[index + offset] : nil
    }

    mutating func next() throws(SyntaxError) -> Token {
        while let byte = peek() {
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r") {
                index += 1
            } else if byte == UInt8(ascii: "#") {
                while let b = peek(), b != UInt8(ascii: "\n") { index += 1 }
            } else if byte == UInt8(ascii: "\n") && nesting > 0 {
                index += 1
                line += 1
                lineStart = index
            } else {
                break
            }
        }
        let startLine = line
        let startColumn = column
        func token(_ kind: TokenKind) -> Token { Token(kind: kind, line: startLine, column: startColumn) }
        guard let byte = peek() else { return token(.end) }

        if byte == UInt8(ascii: "\n") {
            index += 1
            let result = token(.newline)
            line += 1
            lineStart = index
            return result
        }
        if Self.isIdentifierStart(byte) {
            let start = index
            while let b = peek(), Self.isIdentifierStart(b) || Self.isDigit(b) { index += 1 }
            if let keyword = Keyword.spelled(bytes[start..<index]) { return token(.keyword(keyword)) }
            return token(.identifier(String(decoding: bytes[start..<index], as: UTF8.self)))
        }
        if Self.isDigit(byte) { return token(try number()) }
        if byte == UInt8(ascii: "\"") { return token(.string(try string())) }

        if let second = peek(1), let symbol = Symbol.twoByte(byte, second) {
            index += 2
            return token(.symbol(symbol))
        }
        if let symbol = Symbol.oneByte(byte) {
            index += 1
            switch symbol {
            case .leftParen, .leftBracket: nesting += 1
            case .rightParen, .rightBracket: nesting = max(0, nesting - 1)
            default: break
            }
            return token(.symbol(symbol))
        }
        if byte == UInt8(ascii: "!") { throw error("unexpected character '!' (did you mean 'not' or '!=')") }
        let scalar = String(decoding: bytes[index...].prefix(4), as: UTF8.self).unicodeScalars.first
        let shown = scalar.map { $0.properties.isWhitespace || $0.value < 0x20 ? "U+\(String($0.value, radix: 16, uppercase: true))" : String($0) } ?? "?"
        throw error("unexpected character '\(shown)'")
    }

    private mutating func number() throws(SyntaxError) -> TokenKind {
        let start = index
        let startColumn = column
        while let b = peek(), Self.isDigit(b) { index += 1 }
        var isFloat = false
        if peek() == UInt8(ascii: "."), let after = peek(1), Self.isDigit(after) {
            isFloat = true
            index += 1
            while let b = peek(), Self.isDigit(b) { index += 1 }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            var lookahead = 1
            if peek(1) == UInt8(ascii: "+") || peek(1) == UInt8(ascii: "-") { lookahead = 2 }
            if let digit = peek(lookahead), Self.isDigit(digit) {
                isFloat = true
                index += lookahead
                while let b = peek(), Self.isDigit(b) { index += 1 }
            }
        }
        if let b = peek(), Self.isIdentifierStart(b) {
            throw error("invalid number literal", column: startColumn)
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if isFloat {
            guard let value = Double(text) else { throw error("invalid float literal '\(text)'", column: startColumn) }
            return .float(value)
        }
        guard let value = Int(text) else {
            throw error("integer literal '\(text)' does not fit in 64 bits", column: startColumn)
        }
        return .integer(value)
    }

    private mutating func string() throws(SyntaxError) -> String {
        let startColumn = column
        index += 1
        var result: [UInt8] = []
        while true {
            guard let byte = peek() else {
                throw error("unterminated string literal", column: startColumn)
            }
            if byte == UInt8(ascii: "\n") { throw error("unterminated string literal", column: startColumn) }
            index += 1
            if byte == UInt8(ascii: "\"") { break }
            if byte == UInt8(ascii: "\\") {
                guard let escaped = peek() else { throw error("unterminated string literal", column: startColumn) }
                index += 1
                switch escaped {
                case UInt8(ascii: "n"): result.append(UInt8(ascii: "\n"))
                case UInt8(ascii: "t"): result.append(UInt8(ascii: "\t"))
                case UInt8(ascii: "r"): result.append(UInt8(ascii: "\r"))
                case UInt8(ascii: "0"): result.append(0)
                case UInt8(ascii: "\""): result.append(UInt8(ascii: "\""))
                case UInt8(ascii: "\\"): result.append(UInt8(ascii: "\\"))
                default:
                    index -= 1
                    throw error("unknown escape sequence '\\\(String(decoding: [escaped], as: UTF8.self))'")
                }
            } else {
                result.append(byte)
            }
        }
        return String(decoding: result, as: UTF8.self)
    }

    private static func isIdentifierStart(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
            || b == UInt8(ascii: "_")
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
}

/// The lexer's column cache (a reference, so the non-mutating `column` can advance it).
private final class ColumnCounter {
    var lineStart = -1
    var index = 0
    var column = 1
}
