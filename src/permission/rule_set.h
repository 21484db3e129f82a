#pragma once
// RuleSet: the Valve rules of `permissions.yml`, compiled once at start-up.
//
//   record:
//     "*":                {read: true, write: false, ...}
//     "profile/$userId":  {write: "user.id === $userId"}
//
// Sections record, event, rpc and presence; each maps a name pattern to rules by rule type.
// Patterns match whole names: `*` is any run of characters (slashes included), `$name` one or
// more characters other than `/` whose value the rule reads as `$name`; everything else is
// literal (deepstream feeds the rest to a regular expression unescaped, so its `.` matches any
// character; strata's does not). For a name, the rule comes from the longest pattern that
// matches and has a rule of the requested type (later patterns win ties), as in deepstream. No
// such pattern: denied.
//
// Thread-safety: immutable after FromJson; Find may run on many threads at once.

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "permission/rule_expression.h"
#include "strata/status.h"

namespace strata::permission {

enum class Section { kRecord, kEvent, kRpc, kPresence };
enum class RuleType {
  kCreate,
  kRead,
  kWrite,
  kDelete,
  kListen,
  kNotify,  // record (+ listen for event)
  kPublish,
  kSubscribe,  // event
  kProvide,
  kRequest,  // rpc
  kAllow,    // presence
};

std::string_view SectionName(Section section);
std::string_view RuleTypeName(RuleType type);

using PathVariables = std::map<std::string, std::string, std::less<>>;

// One name pattern of a section.
class PathPattern {
 public:
  // kInvalidArgument for an empty pattern, a leading '/', or a `$` not followed by a letter/digit.
  static Result<PathPattern> Parse(std::string_view pattern);
  // True when `name` matches the whole pattern; fills `vars` ("$userId" -> "alice") if given.
  bool Match(std::string_view name, PathVariables* vars) const;
  const std::string& text() const { return text_; }

 private:
  struct Part {
    enum class Kind { kLiteral, kAny, kVariable } kind;
    std::string text;  // literal text or variable name
  };
  std::string text_;
  std::vector<Part> parts_;
};

// A rule: a constant (true/false in the file) or a compiled expression.
struct Rule {
  bool constant = false;  // used when expression is null
  std::shared_ptr<const RuleExpression> expression;
};

class RuleSet {
 public:
  // `permissions`: the document of permissions.yml. Errors name the section, pattern and rule
  // type, e.g. record."profile/$id".write: unknown name 'usr' at column 1 of rule "usr.id".
  static Result<RuleSet> FromJson(const rapidjson::Value& permissions);

  // The rule deciding `type` for `name`, with the pattern's variables; nullptr when no pattern
  // of the section has such a rule (the action is denied).
  const Rule* Find(Section section, RuleType type, std::string_view name,
                   PathVariables* vars) const;

 private:
  struct Entry {
    PathPattern pattern;
    std::map<RuleType, Rule> rules;
  };
  std::map<Section, std::vector<Entry>> sections_;
};

}  // namespace strata::permission
