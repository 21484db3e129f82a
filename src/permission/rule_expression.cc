// RuleExpression's public functions: Compile (length check, then rule_parser.h) and Evaluate /
// Allows (rule_evaluator.h).

#include "permission/rule_expression.h"

#include <string>

#include "permission/rule_evaluator.h"
#include "permission/rule_parser.h"

namespace strata::permission {
namespace {

constexpr size_t kMaxSourceLength = 4096;

}  // namespace

Result<RuleExpression> RuleExpression::Compile(std::string_view source) {
  if (source.size() > kMaxSourceLength) {
    return Status::InvalidArgument("rule longer than " + std::to_string(kMaxSourceLength) +
                                   " characters");
  }
  STRATA_ASSIGN_OR_RETURN(ParsedRule parsed, ParseRule(source));
  RuleExpression expression;
  expression.source_ = std::string(source);
  expression.root_ = std::move(parsed.root);
  expression.uses_cross_references_ = parsed.uses_cross_references;
  expression.names_ = std::move(parsed.names);
  return expression;
}

Result<RuleValue> RuleExpression::Evaluate(const RuleContext& context) const {
  return EvaluateRule(*root_, context);
}

Result<bool> RuleExpression::Allows(const RuleContext& context) const {
  STRATA_ASSIGN_OR_RETURN(RuleValue value, Evaluate(context));
  return value.Truthy();
}

}  // namespace strata::permission
