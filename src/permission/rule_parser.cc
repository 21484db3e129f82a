// The rule language's tokenizer and parser: source text -> RuleExpression::Node tree, refusing
// everything outside the subset rule_expression.h lists.

#include "permission/rule_parser.h"

#include <cctype>
#include <cstdlib>
#include <optional>
#include <vector>

namespace strata::permission {
namespace {

using Node = RuleExpression::Node;
using NodePtr = std::shared_ptr<const Node>;

// Nesting; keeps the recursive parser and evaluator off the stack limit.
constexpr int kMaxDepth = 64;

const std::vector<std::string_view> kNames = {"user", "data", "oldData", "now", "action", "name"};
const std::vector<std::string_view> kMethods = {"startsWith",  "endsWith",    "includes", "indexOf",
                                                "toUpperCase", "toLowerCase", "trim"};
// Longest first, so that "===" is not read as "==" then "=".
const std::vector<std::string_view> kPunctuators = {
    "===", "!==", "==", "!=", "<=", ">=", "&&", "||", "!", "<", ">", "+",
    "-",   "*",   "/",  "%",  "?",  ":",  ".",  ",",  "(", ")", "[", "]"};

struct Token {
  enum class Kind { kEnd, kNumber, kString, kName, kPunct };
  Kind kind = Kind::kEnd;
  std::string text;  // the name, punctuator or decoded string
  double number = 0;
  size_t column = 0;  // 1-based
};

bool IsNameStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '$';
}
bool IsNamePart(char c) { return IsNameStart(c) || std::isdigit(static_cast<unsigned char>(c)); }

class Parser {
 public:
  explicit Parser(std::string_view source) : src_(source) {}

  Result<NodePtr> Parse() {
    STRATA_RETURN_IF_ERROR(Tokenize());
    STRATA_ASSIGN_OR_RETURN(NodePtr root, Condition(0));
    if (Peek().kind != Token::Kind::kEnd) return Error(Peek(), "unexpected '" + Peek().text + "'");
    return root;
  }
  bool uses_cross_references() const { return cross_references_; }
  const std::set<std::string>& names() const { return names_; }

 private:
  Status Error(size_t column, std::string_view what) const {
    return Status::InvalidArgument(std::string(what) + " at column " + std::to_string(column) +
                                   " of rule \"" + std::string(src_) + "\"");
  }
  Status Error(const Token& at, std::string_view what) const { return Error(at.column, what); }

  Status Tokenize() {
    size_t i = 0;
    while (i < src_.size()) {
      char c = src_[i];
      Token t;
      t.column = i + 1;
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++i;
        continue;
      }
      if (std::isdigit(static_cast<unsigned char>(c)) ||
          (c == '.' && i + 1 < src_.size() &&
           std::isdigit(static_cast<unsigned char>(src_[i + 1])))) {
        size_t start = i;
        while (i < src_.size() &&
               (std::isdigit(static_cast<unsigned char>(src_[i])) || src_[i] == '.'))
          ++i;
        if (i < src_.size() && (src_[i] == 'e' || src_[i] == 'E')) {
          ++i;
          if (i < src_.size() && (src_[i] == '+' || src_[i] == '-')) ++i;
          while (i < src_.size() && std::isdigit(static_cast<unsigned char>(src_[i]))) ++i;
        }
        if (i < src_.size() && IsNamePart(src_[i])) return Error(t, "malformed number");
        std::string text(src_.substr(start, i - start));
        char* end = nullptr;
        t.number = std::strtod(text.c_str(), &end);
        if (end != text.c_str() + text.size()) return Error(t, "malformed number '" + text + "'");
        t.kind = Token::Kind::kNumber;
        t.text = text;
      } else if (c == '\'' || c == '"') {
        STRATA_ASSIGN_OR_RETURN(t.text, StringLiteral(i));
        t.kind = Token::Kind::kString;
      } else if (IsNameStart(c)) {
        size_t start = i;
        while (i < src_.size() && IsNamePart(src_[i])) ++i;
        t.kind = Token::Kind::kName;
        t.text = std::string(src_.substr(start, i - start));
      } else {
        for (std::string_view p : kPunctuators) {
          if (src_.substr(i, p.size()) == p) {
            t.kind = Token::Kind::kPunct;
            t.text = std::string(p);
            break;
          }
        }
        if (t.kind != Token::Kind::kPunct) {
          if (src_.substr(i, 2) == "=>")
            return Error(t, "arrow functions are not allowed in a rule");
          if (c == '=') return Error(t, "assignment is not allowed in a rule");
          if (c == '`') return Error(t, "template strings are not allowed in a rule");
          return Error(t, std::string("unexpected character '") + c + "'");
        }
        i += t.text.size();
      }
      tokens_.push_back(std::move(t));
    }
    Token end;
    end.column = src_.size() + 1;
    end.text = "end of rule";
    tokens_.push_back(end);
    return Status();
  }

  // A quoted string starting at src_[i]; advances i past the closing quote.
  Result<std::string> StringLiteral(size_t& i) {
    const char quote = src_[i];
    const size_t column = i + 1;
    std::string out;
    for (++i; i < src_.size(); ++i) {
      char c = src_[i];
      if (c == quote) {
        ++i;
        return out;
      }
      if (c != '\\') {
        out += c;
        continue;
      }
      if (++i == src_.size()) break;
      switch (src_[i]) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case '0':
          out += '\0';
          break;
        case 'u':
        case 'x':
          return Error(i, "\\u and \\x escapes are not supported in rules");
        default:
          out += src_[i];  // \\ \' \" and JavaScript's identity escapes
      }
    }
    return Error(column, "unterminated string");
  }

  const Token& Peek() const { return tokens_[pos_]; }
  bool At(std::string_view punct) const {
    return Peek().kind == Token::Kind::kPunct && Peek().text == punct;
  }
  bool Accept(std::string_view punct) {
    if (!At(punct)) return false;
    ++pos_;
    return true;
  }
  Status Expect(std::string_view punct) {
    if (Accept(punct)) return Status();
    return Error(Peek(), "expected '" + std::string(punct) + "' but found '" + Peek().text + "'");
  }

  static NodePtr Make(Node::Kind kind, std::string op, std::vector<NodePtr> kids,
                      RuleValue literal = RuleValue()) {
    return std::make_shared<const Node>(
        Node{kind, std::move(op), std::move(literal), std::move(kids)});
  }

  Result<NodePtr> Condition(int depth) {
    if (depth > kMaxDepth) return Error(Peek(), "rule nested too deeply");
    STRATA_ASSIGN_OR_RETURN(NodePtr test, Binary(0, depth));
    if (!Accept("?")) return test;
    STRATA_ASSIGN_OR_RETURN(NodePtr yes, Condition(depth + 1));
    STRATA_RETURN_IF_ERROR(Expect(":"));
    STRATA_ASSIGN_OR_RETURN(NodePtr no, Condition(depth + 1));
    return Make(Node::Kind::kCondition, "?", {test, yes, no});
  }

  // Binary operators by precedence level, loosest first.
  static const std::vector<std::vector<std::string_view>>& Levels() {
    static const std::vector<std::vector<std::string_view>> levels = {
        {"||"},     {"&&"},         {"===", "!==", "==", "!="}, {"<", "<=", ">", ">="},
        {"+", "-"}, {"*", "/", "%"}};
    return levels;
  }

  Result<NodePtr> Binary(size_t level, int depth) {
    if (level == Levels().size()) return Unary(depth);
    STRATA_ASSIGN_OR_RETURN(NodePtr left, Binary(level + 1, depth));
    for (;;) {
      std::optional<std::string_view> op;
      for (std::string_view candidate : Levels()[level]) {
        if (At(candidate)) op = candidate;
      }
      if (!op) return left;
      ++pos_;
      STRATA_ASSIGN_OR_RETURN(NodePtr right, Binary(level + 1, depth));
      const bool logical = *op == "&&" || *op == "||";
      left = Make(logical ? Node::Kind::kLogical : Node::Kind::kBinary, std::string(*op),
                  {left, right});
    }
  }

  Result<NodePtr> Unary(int depth) {
    if (depth > kMaxDepth) return Error(Peek(), "rule nested too deeply");
    for (std::string_view op : {"!", "-", "+"}) {
      if (Accept(op)) {
        STRATA_ASSIGN_OR_RETURN(NodePtr operand, Unary(depth + 1));
        return Make(Node::Kind::kUnary, std::string(op), {operand});
      }
    }
    return Postfix(depth);
  }

  Result<NodePtr> Postfix(int depth) {
    STRATA_ASSIGN_OR_RETURN(NodePtr node, Primary(depth));
    for (;;) {
      if (Accept(".")) {
        const Token& t = Peek();
        if (t.kind != Token::Kind::kName) return Error(t, "expected a property name after '.'");
        ++pos_;
        if (At("(")) {
          STRATA_ASSIGN_OR_RETURN(node, MethodCall(node, t, depth));
          continue;
        }
        STRATA_RETURN_IF_ERROR(CheckProperty(t));
        node = Make(Node::Kind::kIndex, "",
                    {node, Make(Node::Kind::kLiteral, "", {}, RuleValue::String(t.text))});
      } else if (Accept("[")) {
        STRATA_ASSIGN_OR_RETURN(NodePtr key, Condition(depth + 1));
        STRATA_RETURN_IF_ERROR(Expect("]"));
        node = Make(Node::Kind::kIndex, "", {node, key});
      } else if (At("(")) {
        return Error(Peek(), "only _() and the listed string/array methods can be called");
      } else {
        return node;
      }
    }
  }

  // Names that would reach JavaScript internals in the reference are refused here too, so a
  // rule means the same in both.
  Status CheckProperty(const Token& t) const {
    for (std::string_view bad : {"constructor", "__proto__", "prototype"}) {
      if (t.text == bad) return Error(t, "property '" + t.text + "' is not allowed in a rule");
    }
    return Status();
  }

  Result<NodePtr> MethodCall(NodePtr target, const Token& method, int depth) {
    bool known = false;
    for (std::string_view m : kMethods) known = known || m == method.text;
    if (!known) {
      return Error(method,
                   "method '" + method.text +
                       "' is not allowed in a rule (allowed: "
                       "startsWith endsWith includes indexOf toUpperCase toLowerCase trim)");
    }
    STRATA_ASSIGN_OR_RETURN(std::vector<NodePtr> args, Arguments(depth));
    args.insert(args.begin(), target);
    return Make(Node::Kind::kCall, method.text, std::move(args));
  }

  Result<std::vector<NodePtr>> Arguments(int depth) {
    STRATA_RETURN_IF_ERROR(Expect("("));
    std::vector<NodePtr> args;
    if (Accept(")")) return args;
    do {
      STRATA_ASSIGN_OR_RETURN(NodePtr arg, Condition(depth + 1));
      args.push_back(arg);
    } while (Accept(","));
    STRATA_RETURN_IF_ERROR(Expect(")"));
    return args;
  }

  Result<NodePtr> Primary(int depth) {
    const Token t = Peek();
    switch (t.kind) {
      case Token::Kind::kNumber:
        ++pos_;
        return Make(Node::Kind::kLiteral, "", {}, RuleValue::Number(t.number));
      case Token::Kind::kString:
        ++pos_;
        return Make(Node::Kind::kLiteral, "", {}, RuleValue::String(t.text));
      case Token::Kind::kName:
        ++pos_;
        return NameOrKeyword(t, depth);
      case Token::Kind::kEnd:
        return Error(t, "unexpected end of rule");
      case Token::Kind::kPunct:
        break;
    }
    if (Accept("(")) {
      STRATA_ASSIGN_OR_RETURN(NodePtr inner, Condition(depth + 1));
      STRATA_RETURN_IF_ERROR(Expect(")"));
      return inner;
    }
    if (Accept("[")) {
      std::vector<NodePtr> items;
      if (!Accept("]")) {
        do {
          STRATA_ASSIGN_OR_RETURN(NodePtr item, Condition(depth + 1));
          items.push_back(item);
        } while (Accept(","));
        STRATA_RETURN_IF_ERROR(Expect("]"));
      }
      return Make(Node::Kind::kArray, "", std::move(items));
    }
    if (t.text == "/") return Error(t, "regular expressions are not supported in rules");
    return Error(t, "unexpected '" + t.text + "'");
  }

  Result<NodePtr> NameOrKeyword(const Token& t, int depth) {
    if (t.text == "true" || t.text == "false") {
      return Make(Node::Kind::kLiteral, "", {}, RuleValue::Boolean(t.text == "true"));
    }
    if (t.text == "null") return Make(Node::Kind::kLiteral, "", {}, RuleValue::Null());
    if (t.text == "undefined") return Make(Node::Kind::kLiteral, "", {}, RuleValue());
    if (t.text == "_") {
      if (!At("(")) return Error(t, "_ must be called: _(recordName)");
      STRATA_ASSIGN_OR_RETURN(std::vector<NodePtr> args, Arguments(depth));
      if (args.size() != 1) return Error(t, "_() takes exactly one record name");
      cross_references_ = true;
      return Make(Node::Kind::kCall, "", std::move(args));
    }
    if (t.text[0] == '$') return Make(Node::Kind::kName, t.text, {});
    for (std::string_view name : kNames) {
      if (t.text == name) {
        names_.insert(t.text);
        return Make(Node::Kind::kName, t.text, {});
      }
    }
    return Error(t, "unknown name '" + t.text +
                        "' (rules may use user, data, oldData, now, "
                        "action, name, $variables and _())");
  }

  std::string_view src_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  bool cross_references_ = false;
  std::set<std::string> names_;
};

}  // namespace

Result<ParsedRule> ParseRule(std::string_view source) {
  Parser parser(source);
  STRATA_ASSIGN_OR_RETURN(NodePtr root, parser.Parse());
  return ParsedRule{std::move(root), parser.uses_cross_references(), parser.names()};
}

}  // namespace strata::permission
