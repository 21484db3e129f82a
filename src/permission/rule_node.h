#pragma once
// RuleExpression::Node: the tree a rule compiles to. Internal to src/permission: the parser
// (rule_parser.h) builds it, the evaluator (rule_evaluator.h) walks it, and rule_expression.h
// only names it so that the public header does not carry the tree.

#include <memory>
#include <string>
#include <vector>

#include "permission/rule_expression.h"
#include "permission/rule_value.h"

namespace strata::permission {

// The tree: literals, names, [a, b], a.b / a[b], calls, unary, binary, && ||, ?:.
struct RuleExpression::Node {
  enum class Kind { kLiteral, kName, kArray, kIndex, kCall, kUnary, kBinary, kLogical, kCondition };
  Kind kind;
  std::string op;  // operator, name, or method name of a call (empty: call of `_`)
  RuleValue literal;
  std::vector<std::shared_ptr<const Node>> kids;
};

}  // namespace strata::permission
