#pragma once
// EvaluateRule: the value of a compiled rule tree (rule_node.h) against one RuleContext, with
// JavaScript's semantics for the operators and methods the language allows. Internal to
// src/permission: RuleExpression::Evaluate is its only caller.
//
// Thread-safety: reads the tree only, so one tree may be evaluated on many threads at once.

#include "permission/rule_expression.h"
#include "permission/rule_node.h"
#include "permission/rule_value.h"
#include "strata/status.h"

namespace strata::permission {

// kFailedPrecondition for run-time errors (property of undefined, unknown method, more than
// `context.max_cross_references` calls of _()).
Result<RuleValue> EvaluateRule(const RuleExpression::Node& root, const RuleContext& context);

}  // namespace strata::permission
