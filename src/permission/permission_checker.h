#pragma once
// PermissionChecker: `permission: {type: config, options: {permissions: <permissions.yml>,
// maxRuleIterations}}` applied to one name of one client message (Valve, SEMANTICS B.6).
//
// What is checked (rule type per action): record SUBSCRIBE* / READ / HEAD -> read;
// UPDATE, PATCH, ERASE, CREATEANDUPDATE, CREATEANDPATCH -> write (and create when the record
// does not exist yet; SUBSCRIBECREATEANDREAD likewise checks create before read); DELETE ->
// delete; NOTIFY -> notify; LISTEN -> listen (the pattern is the name). event SUBSCRIBE ->
// subscribe, EMIT -> publish, LISTEN -> listen. rpc PROVIDE -> provide, REQUEST -> request.
// presence SUBSCRIBE, SUBSCRIBE_ALL, QUERY, QUERY_ALL -> allow. Everything else (unsubscribes,
// acks, replies) is not checked. Unlike deepstream 7.0.2, ERASE is a write, and a PATCH or ERASE
// is judged with `data` = the whole record as it would be after the write.
//
// Rules that read oldData, judge a patch, or check create load the record through `lookup`;
// `_()` cross-references load theirs the same way, at most maxRuleIterations per check.
//
// Thread-safety: immutable after Create; Check may run on many threads at once. `done` runs
// exactly once: at once when no record is needed, else on whatever thread `lookup` answers.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "permission/rule_set.h"
#include "strata/message.h"
#include "strata/status.h"

namespace strata::permission {

// Who is asking.
struct Actor {
  std::string id;
  std::optional<std::string> server_data;  // JSON: `user.data`
};

enum class Verdict { kAllowed, kDenied, kError };

struct CheckResult {
  Verdict verdict = Verdict::kAllowed;
  std::string error;  // kError: what went wrong in the rule
};

// Loads a record's data: nullopt when it does not exist. `done` may run on any thread.
using RecordLookup = std::function<void(
    const std::string& name, std::function<void(Result<std::optional<std::string>>)> done)>;

class PermissionChecker {
 public:
  // kInvalidArgument naming the place of the first bad rule or option.
  static Result<std::unique_ptr<PermissionChecker>> Create(std::string_view options_json);

  // Whether `msg` is checked at all (cheap; most replies and unsubscribes are not).
  static bool Checks(const Message& msg);

  // Checks `name` of `msg` (its name, one of its names, or its pattern).
  void Check(const Actor& actor, const Message& msg, const std::string& name,
             const RecordLookup& lookup, std::function<void(CheckResult)> done) const;

 private:
  struct Evaluation;
  PermissionChecker(RuleSet rules, int max_iterations)
      : rules_(std::move(rules)), max_iterations_(max_iterations) {}
  void Continue(std::shared_ptr<Evaluation> evaluation) const;

  RuleSet rules_;
  int max_iterations_;
};

}  // namespace strata::permission
