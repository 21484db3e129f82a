#pragma once
// RuleExpression: one Valve permission rule (`conf/permissions.yml`), e.g.
//   "user.id === data.owner && !oldData.locked"
// compiled once into a tree and evaluated by strata itself: there is no script engine, so a rule
// can only read the values it is given and call the functions listed below; it cannot loop,
// assign, allocate without bound or reach anything else.
//
// The language is the subset of JavaScript expressions that rules use:
//   literals      numbers, 'strings' and "strings" (with \ escapes), true, false, null, undefined,
//                 array literals [a, b]
//   names         user, data, oldData, now, action, name, $vars from the rule's pattern, _
//   access        a.b, a[b], .length of strings and arrays
//   operators     ! unary- unary+  * / %  + -  < <= > >=  == != === !==  && ||  ?:  ( )
//   calls         _(recordName) (the data of another record, at most `maxRuleIterations` per
//                 evaluation) and the string/array methods startsWith endsWith includes indexOf
//                 toUpperCase toLowerCase trim
// Anything else (assignment, `new`, functions, other names such as `process`, regex literals and
// `match`) is refused at compile time with the column where it occurs.
//
// Thread-safety: a compiled expression is immutable; Evaluate may run on many threads at once.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "permission/rule_value.h"
#include "strata/status.h"

namespace strata::permission {

struct RuleContext {
  RuleValue user;      // {id, isAuthenticated, data}
  RuleValue data;      // the incoming data (write, publish, request, subscribe)
  RuleValue old_data;  // the record's current data (record rules)
  double now = 0;      // ms since the epoch
  std::string action;  // "write", "read", ...
  std::string name;    // the record/event/rpc name
  std::map<std::string, std::string, std::less<>> vars;  // "$owner" -> "alice"
  // `_(name)`: the data of another record (undefined when it does not exist). Unset: `_` fails.
  std::function<Result<RuleValue>(std::string_view name)> record_data;
  int max_cross_references = 5;  // permission.options.maxRuleIterations
};

class RuleExpression {
 public:
  struct Node;

  // kInvalidArgument naming the problem and its column (1-based) when `source` is not a rule.
  static Result<RuleExpression> Compile(std::string_view source);

  // The value of the expression.
  // kFailedPrecondition for run-time errors (property of undefined, unknown method, too many
  // cross-references): the caller answers MESSAGE_PERMISSION_ERROR.
  Result<RuleValue> Evaluate(const RuleContext& context) const;
  // Evaluate, then JavaScript truthiness.
  Result<bool> Allows(const RuleContext& context) const;

  const std::string& source() const { return source_; }
  bool uses_cross_references() const { return uses_cross_references_; }
  // Whether the rule reads `name` (user, data, oldData, ...), so callers load only what it needs.
  bool Uses(std::string_view name) const { return names_.count(std::string(name)) > 0; }

 private:
  std::string source_;
  std::shared_ptr<const Node> root_;
  bool uses_cross_references_ = false;
  std::set<std::string> names_;
};

}  // namespace strata::permission
