// The rule evaluator: walks a RuleExpression::Node tree against one RuleContext.

#include "permission/rule_evaluator.h"

#include <cctype>
#include <cmath>
#include <string>
#include <vector>

namespace strata::permission {
namespace {

using Node = RuleExpression::Node;
using NodePtr = std::shared_ptr<const Node>;

// Evaluates a tree against one context; counts cross-references.
class Evaluator {
 public:
  explicit Evaluator(const RuleContext& context) : context_(context) {}

  Result<RuleValue> Eval(const Node& node) {
    switch (node.kind) {
      case Node::Kind::kLiteral:
        return node.literal;
      case Node::Kind::kName:
        return Name(node.op);
      case Node::Kind::kArray: {
        std::vector<RuleValue> items;
        for (const NodePtr& kid : node.kids) {
          STRATA_ASSIGN_OR_RETURN(RuleValue item, Eval(*kid));
          items.push_back(std::move(item));
        }
        return RuleValue::Array(std::move(items));
      }
      case Node::Kind::kIndex: {
        STRATA_ASSIGN_OR_RETURN(RuleValue target, Eval(*node.kids[0]));
        STRATA_ASSIGN_OR_RETURN(RuleValue key, Eval(*node.kids[1]));
        if (target.is_nullish()) {
          return Status::FailedPrecondition("cannot read property '" + key.ToString() + "' of " +
                                            std::string(target.TypeName()));
        }
        return target.Get(key);
      }
      case Node::Kind::kCall:
        return node.op.empty() ? CrossReference(node) : Method(node);
      case Node::Kind::kUnary: {
        STRATA_ASSIGN_OR_RETURN(RuleValue v, Eval(*node.kids[0]));
        if (node.op == "!") return RuleValue::Boolean(!v.Truthy());
        return RuleValue::Number(node.op == "-" ? -v.ToNumber() : v.ToNumber());
      }
      case Node::Kind::kLogical: {
        STRATA_ASSIGN_OR_RETURN(RuleValue left, Eval(*node.kids[0]));
        // JavaScript: && and || give one of their operands, and skip the right when decided.
        if (node.op == "&&" ? !left.Truthy() : left.Truthy()) return left;
        return Eval(*node.kids[1]);
      }
      case Node::Kind::kCondition: {
        STRATA_ASSIGN_OR_RETURN(RuleValue test, Eval(*node.kids[0]));
        return Eval(*node.kids[test.Truthy() ? 1 : 2]);
      }
      case Node::Kind::kBinary: {
        STRATA_ASSIGN_OR_RETURN(RuleValue left, Eval(*node.kids[0]));
        STRATA_ASSIGN_OR_RETURN(RuleValue right, Eval(*node.kids[1]));
        return Binary(node.op, left, right);
      }
    }
    return Status::Internal("unknown rule node");
  }

 private:
  RuleValue Name(const std::string& name) const {
    if (name == "user") return context_.user;
    if (name == "data") return context_.data;
    if (name == "oldData") return context_.old_data;
    if (name == "now") return RuleValue::Number(context_.now);
    if (name == "action") return RuleValue::String(context_.action);
    if (name == "name") return RuleValue::String(context_.name);
    auto it = context_.vars.find(name);
    return it == context_.vars.end() ? RuleValue() : RuleValue::String(it->second);
  }

  static Result<RuleValue> Binary(const std::string& op, const RuleValue& a, const RuleValue& b) {
    using T = RuleValue::Type;
    if (op == "===") return RuleValue::Boolean(StrictEquals(a, b));
    if (op == "!==") return RuleValue::Boolean(!StrictEquals(a, b));
    if (op == "==") return RuleValue::Boolean(LooseEquals(a, b));
    if (op == "!=") return RuleValue::Boolean(!LooseEquals(a, b));
    if (op == "+") {
      const bool text = a.type() == T::kString || b.type() == T::kString ||
                        a.type() == T::kObject || a.type() == T::kArray || b.type() == T::kObject ||
                        b.type() == T::kArray;
      if (text) return RuleValue::String(a.ToString() + b.ToString());
      return RuleValue::Number(a.ToNumber() + b.ToNumber());
    }
    if (op == "<" || op == "<=" || op == ">" || op == ">=") {
      if (a.type() == T::kString && b.type() == T::kString) {
        int c = a.string().compare(b.string());
        return RuleValue::Boolean(op == "<"    ? c < 0
                                  : op == "<=" ? c <= 0
                                  : op == ">"  ? c > 0
                                               : c >= 0);
      }
      double x = a.ToNumber(), y = b.ToNumber();  // NaN makes every comparison false
      return RuleValue::Boolean(op == "<"    ? x < y
                                : op == "<=" ? x <= y
                                : op == ">"  ? x > y
                                             : x >= y);
    }
    double x = a.ToNumber(), y = b.ToNumber();
    if (op == "-") return RuleValue::Number(x - y);
    if (op == "*") return RuleValue::Number(x * y);
    if (op == "/") return RuleValue::Number(x / y);
    return RuleValue::Number(std::fmod(x, y));  // "%": JavaScript's remainder has fmod's sign rule
  }

  Result<RuleValue> CrossReference(const Node& node) {
    STRATA_ASSIGN_OR_RETURN(RuleValue name, Eval(*node.kids[0]));
    if (++cross_references_ > context_.max_cross_references) {
      return Status::FailedPrecondition("more than " +
                                        std::to_string(context_.max_cross_references) +
                                        " cross-references (_()) in one rule evaluation");
    }
    if (!context_.record_data) return Status::FailedPrecondition("_() is not available here");
    return context_.record_data(name.ToString());
  }

  Result<RuleValue> Method(const Node& node) {
    STRATA_ASSIGN_OR_RETURN(RuleValue target, Eval(*node.kids[0]));
    std::vector<RuleValue> args;
    for (size_t i = 1; i < node.kids.size(); ++i) {
      STRATA_ASSIGN_OR_RETURN(RuleValue arg, Eval(*node.kids[i]));
      args.push_back(std::move(arg));
    }
    const std::string& m = node.op;
    const RuleValue arg = args.empty() ? RuleValue() : args[0];
    if (target.type() == RuleValue::Type::kArray && (m == "includes" || m == "indexOf")) {
      std::vector<RuleValue> items = target.Items();
      for (size_t i = 0; i < items.size(); ++i) {
        if (StrictEquals(items[i], arg)) {
          return m == "includes" ? RuleValue::Boolean(true)
                                 : RuleValue::Number(static_cast<double>(i));
        }
      }
      return m == "includes" ? RuleValue::Boolean(false) : RuleValue::Number(-1);
    }
    if (target.type() != RuleValue::Type::kString) {
      return Status::FailedPrecondition(std::string(target.TypeName()) + " has no method " + m);
    }
    const std::string& s = target.string();
    if (m == "toUpperCase" || m == "toLowerCase") {
      std::string out = s;
      for (char& c : out) {
        c = static_cast<char>(m == "toUpperCase" ? std::toupper(static_cast<unsigned char>(c))
                                                 : std::tolower(static_cast<unsigned char>(c)));
      }
      return RuleValue::String(out);
    }
    if (m == "trim") {
      size_t b = s.find_first_not_of(" \t\n\r\f\v");
      if (b == std::string::npos) return RuleValue::String("");
      return RuleValue::String(s.substr(b, s.find_last_not_of(" \t\n\r\f\v") - b + 1));
    }
    const std::string needle = arg.ToString();
    if (m == "startsWith") return RuleValue::Boolean(s.compare(0, needle.size(), needle) == 0);
    if (m == "endsWith") {
      return RuleValue::Boolean(s.size() >= needle.size() &&
                                s.compare(s.size() - needle.size(), needle.size(), needle) == 0);
    }
    size_t at = s.find(needle);
    if (m == "includes") return RuleValue::Boolean(at != std::string::npos);
    return RuleValue::Number(at == std::string::npos ? -1 : static_cast<double>(at));  // indexOf
  }

  const RuleContext& context_;
  int cross_references_ = 0;
};

}  // namespace

Result<RuleValue> EvaluateRule(const RuleExpression::Node& root, const RuleContext& context) {
  Evaluator evaluator(context);
  return evaluator.Eval(root);
}

}  // namespace strata::permission
