#include "permission/permission_checker.h"

#include <chrono>
#include <map>

#include <rapidjson/document.h>

#include "common/json_patch.h"
#include "common/json_text.h"

namespace strata::permission {
namespace {

namespace ra = record_action;
namespace ea = event_action;
namespace pa = presence_action;

// What a message asks for, in Valve's terms.
struct Target {
  Section section;
  RuleType type;
  const char* action;         // `action` in rules
  bool check_create = false;  // also the create rule when the record does not exist
  bool has_data = false;      // `data` is the message's data
  bool patch = false;         // `data` is the record after this path write
  bool erase = false;         // `data` is the record after this path erase
};

std::optional<Target> TargetOf(const Message& m) {
  using S = Section;
  using R = RuleType;
  switch (m.topic) {
    case Topic::kRecord:
      switch (m.action) {
        case ra::kSubscribe:
          return Target{S::kRecord, R::kRead, "SUBSCRIBE"};
        case ra::kSubscribeAndHead:
          return Target{S::kRecord, R::kRead, "SUBSCRIBEANDHEAD"};
        case ra::kSubscribeAndRead:
          return Target{S::kRecord, R::kRead, "SUBSCRIBEANDREAD"};
        case ra::kSubscribeCreateAndRead:
          return Target{S::kRecord, R::kRead, "SUBSCRIBECREATEANDREAD", true};
        case ra::kRead:
          return Target{S::kRecord, R::kRead, "READ"};
        case ra::kHead:
          return Target{S::kRecord, R::kRead, "HEAD"};
        case ra::kUpdate:
          return Target{S::kRecord, R::kWrite, "UPDATE", false, true};
        case ra::kCreateAndUpdate:
          return Target{S::kRecord, R::kWrite, "CREATEANDUPDATE", true, true};
        case ra::kPatch:
          return Target{S::kRecord, R::kWrite, "PATCH", false, false, true};
        case ra::kCreateAndPatch:
          return Target{S::kRecord, R::kWrite, "CREATEANDPATCH", true, false, true};
        case ra::kErase:
          return Target{S::kRecord, R::kWrite, "ERASE", false, false, false, true};
        case ra::kDelete:
          return Target{S::kRecord, R::kDelete, "DELETE"};
        case ra::kNotify:
          return Target{S::kRecord, R::kNotify, "NOTIFY"};
        case ra::kListen:
          return Target{S::kRecord, R::kListen, "LISTEN"};
        default:
          return std::nullopt;
      }
    case Topic::kEvent:
      switch (m.action) {
        case ea::kSubscribe:
          return Target{S::kEvent, R::kSubscribe, "SUBSCRIBE"};
        case ea::kEmit:
          return Target{S::kEvent, R::kPublish, "EMIT", false, true};
        case ea::kListen:
          return Target{S::kEvent, R::kListen, "LISTEN"};
        default:
          return std::nullopt;
      }
    case Topic::kRpc:
      if (m.action == rpc_action::kProvide) return Target{S::kRpc, R::kProvide, "PROVIDE"};
      if (m.action == rpc_action::kRequest)
        return Target{S::kRpc, R::kRequest, "REQUEST", false, true};
      return std::nullopt;
    case Topic::kPresence:
      switch (m.action) {
        case pa::kSubscribe:
          return Target{S::kPresence, R::kAllow, "SUBSCRIBE"};
        case pa::kSubscribeAll:
          return Target{S::kPresence, R::kAllow, "SUBSCRIBE_ALL"};
        case pa::kQuery:
          return Target{S::kPresence, R::kAllow, "QUERY"};
        case pa::kQueryAll:
          return Target{S::kPresence, R::kAllow, "QUERY_ALL"};
        default:
          return std::nullopt;
      }
    default:
      return std::nullopt;
  }
}

// Parses `json` into `doc` and gives its value (undefined when absent or not JSON).
RuleValue Load(rapidjson::Document& doc, const std::optional<std::string>& json) {
  if (!json) return RuleValue();
  doc.Parse(json->c_str(), json->size());
  return doc.HasParseError() ? RuleValue() : RuleValue::FromJson(&doc);
}

}  // namespace

struct PermissionChecker::Evaluation {
  Actor actor;
  Target target;
  std::string name;
  std::optional<std::string> data;  // the message's data
  std::optional<std::string> path;
  RecordLookup lookup;
  std::function<void(CheckResult)> done;

  bool old_loaded = false;
  std::optional<std::string> old_data;                        // the record itself
  std::map<std::string, std::optional<std::string>> records;  // loaded by _()
};

Result<std::unique_ptr<PermissionChecker>> PermissionChecker::Create(
    std::string_view options_json) {
  rapidjson::Document options;
  options.Parse(options_json.data(), options_json.size());
  if (options.HasParseError() || !options.IsObject()) {
    return Status::InvalidArgument("permission.options must be a map");
  }
  auto permissions = options.FindMember("permissions");
  if (permissions == options.MemberEnd()) {
    return Status::InvalidArgument(
        "permission.options.permissions is required (e.g. fileLoad(permissions.yml))");
  }
  Result<RuleSet> rules = RuleSet::FromJson(permissions->value);
  if (!rules.ok()) {
    return Status::InvalidArgument("permission.options.permissions: " +
                                   std::string(rules.status().message()));
  }
  int max_iterations = 3;  // deepstream's default maxRuleIterations
  if (auto it = options.FindMember("maxRuleIterations"); it != options.MemberEnd()) {
    if (!it->value.IsInt() || it->value.GetInt() < 1) {
      return Status::InvalidArgument("permission.options.maxRuleIterations must be a number >= 1");
    }
    max_iterations = it->value.GetInt();
  }
  return std::unique_ptr<PermissionChecker>(
      new PermissionChecker(std::move(rules).value(), max_iterations));
}

bool PermissionChecker::Checks(const Message& msg) { return TargetOf(msg).has_value(); }

void PermissionChecker::Check(const Actor& actor, const Message& msg, const std::string& name,
                              const RecordLookup& lookup,
                              std::function<void(CheckResult)> done) const {
  std::optional<Target> target = TargetOf(msg);
  if (!target) return done({});
  auto evaluation = std::make_shared<Evaluation>();
  evaluation->actor = actor;
  evaluation->target = *target;
  evaluation->name = name;
  evaluation->data = msg.data;
  evaluation->path = msg.path;
  evaluation->lookup = lookup;
  evaluation->done = std::move(done);
  Continue(std::move(evaluation));
}

// Runs the rules as far as the loaded records allow; loads the next record it needs and comes back.
void PermissionChecker::Continue(std::shared_ptr<Evaluation> ev) const {
  const Target& t = ev->target;
  PathVariables vars;
  const Rule* rule = rules_.Find(t.section, t.type, ev->name, &vars);
  const Rule* create =
      t.check_create ? rules_.Find(t.section, RuleType::kCreate, ev->name, nullptr) : nullptr;
  auto uses = [](const Rule* r, const char* what) {
    return r && r->expression && r->expression->Uses(what);
  };
  const bool needs_old =
      t.check_create || uses(rule, "oldData") || ((t.patch || t.erase) && uses(rule, "data"));
  auto load = [this, ev](const std::string& name, bool old) {
    ev->lookup(name, [this, ev, name, old](Result<std::optional<std::string>> loaded) {
      if (!loaded.ok()) {
        return ev->done({Verdict::kError, "could not load record '" + name + "' for a rule: " +
                                              std::string(loaded.status().message())});
      }
      if (old) {
        ev->old_loaded = true;
        ev->old_data = std::move(*loaded);
      } else {
        ev->records[name] = std::move(*loaded);
      }
      Continue(ev);
    });
  };
  if (needs_old && !ev->old_loaded) return load(ev->name, true);

  // The documents the rules read; RuleValues borrow from them for this attempt only.
  rapidjson::Document user_doc, data_doc, old_doc;
  std::map<std::string, rapidjson::Document> loaded_docs;
  std::string user_json =
      "{\"id\":" + QuoteJson(ev->actor.id) +
      ",\"isAuthenticated\":true,\"data\":" + ev->actor.server_data.value_or("null") + "}";
  RuleContext context;
  context.user = Load(user_doc, user_json);
  context.old_data = Load(old_doc, ev->old_data);
  std::optional<std::string> data;
  if (t.has_data) data = ev->data;
  if ((t.patch || t.erase) && ev->path && uses(rule, "data")) {
    Result<std::string> after = ApplyPatch(
        ev->old_data.value_or("{}"), *ev->path,
        t.erase ? std::nullopt : std::optional<std::string_view>(ev->data.value_or("null")));
    if (after.ok()) data = *after;
  }
  context.data = Load(data_doc, data);
  context.now = static_cast<double>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
  context.action = t.action;
  context.name = ev->name;
  context.vars = std::move(vars);
  context.max_cross_references = max_iterations_;
  std::optional<std::string> wanted;
  context.record_data = [&](std::string_view name) -> Result<RuleValue> {
    auto it = ev->records.find(std::string(name));
    if (it == ev->records.end()) {
      wanted = std::string(name);
      return Status::Unavailable("record not loaded yet");
    }
    return Load(loaded_docs[it->first], it->second);
  };

  auto decide = [&](const Rule* r) -> std::optional<CheckResult> {
    if (r == nullptr) return CheckResult{Verdict::kDenied, ""};
    if (!r->expression)
      return r->constant ? std::nullopt
                         : std::optional<CheckResult>(CheckResult{Verdict::kDenied, ""});
    Result<bool> allowed = r->expression->Allows(context);
    if (!allowed.ok()) {
      if (wanted) return std::nullopt;  // a record to load first (handled below)
      return CheckResult{Verdict::kError, std::string(allowed.status().message())};
    }
    return *allowed ? std::nullopt : std::optional<CheckResult>(CheckResult{Verdict::kDenied, ""});
  };
  // create (for a record that does not exist yet), then the action's own rule.
  std::optional<CheckResult> result;
  if (t.check_create && !ev->old_data) result = decide(create);
  if (!result && !wanted) result = decide(rule);
  // Each round loads one more record and evaluation is deterministic, so the expression's own
  // bound (maxRuleIterations calls of _() per evaluation) also bounds the rounds.
  if (wanted) return load(*wanted, false);
  ev->done(result.value_or(CheckResult{}));
}

}  // namespace strata::permission
