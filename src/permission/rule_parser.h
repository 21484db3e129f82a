#pragma once
// ParseRule: the tokenizer and recursive-descent parser of the rule language (the grammar is in
// rule_expression.h), producing the tree of rule_node.h. Internal to src/permission:
// RuleExpression::Compile is its only caller.

#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "permission/rule_node.h"
#include "strata/status.h"

namespace strata::permission {

// What the parser learns about a rule besides its tree.
struct ParsedRule {
  std::shared_ptr<const RuleExpression::Node> root;
  bool uses_cross_references = false;  // the rule calls _()
  std::set<std::string> names;         // the context names it reads: user, data, oldData, ...
};

// kInvalidArgument naming the problem and its column (1-based) when `source` is not a rule.
// The length limit on `source` is Compile's to check.
Result<ParsedRule> ParseRule(std::string_view source);

}  // namespace strata::permission
