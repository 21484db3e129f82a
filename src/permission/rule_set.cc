#include "permission/rule_set.h"

#include <cctype>
#include <cstddef>
#include <optional>
#include <utility>

namespace strata::permission {
namespace {

struct SectionSpec {
  Section section;
  std::vector<RuleType> types;
};

const std::vector<SectionSpec>& Sections() {
  static const std::vector<SectionSpec> sections = {
      {Section::kRecord,
       {RuleType::kCreate, RuleType::kWrite, RuleType::kRead, RuleType::kDelete, RuleType::kListen,
        RuleType::kNotify}},
      {Section::kEvent, {RuleType::kPublish, RuleType::kSubscribe, RuleType::kListen}},
      {Section::kRpc, {RuleType::kProvide, RuleType::kRequest}},
      {Section::kPresence, {RuleType::kAllow}},
  };
  return sections;
}

bool IsVariableChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

std::string Quoted(std::string_view pattern) { return "\"" + std::string(pattern) + "\""; }

}  // namespace

std::string_view SectionName(Section section) {
  switch (section) {
    case Section::kRecord:
      return "record";
    case Section::kEvent:
      return "event";
    case Section::kRpc:
      return "rpc";
    case Section::kPresence:
      return "presence";
  }
  return "";
}

std::string_view RuleTypeName(RuleType type) {
  switch (type) {
    case RuleType::kCreate:
      return "create";
    case RuleType::kRead:
      return "read";
    case RuleType::kWrite:
      return "write";
    case RuleType::kDelete:
      return "delete";
    case RuleType::kListen:
      return "listen";
    case RuleType::kNotify:
      return "notify";
    case RuleType::kPublish:
      return "publish";
    case RuleType::kSubscribe:
      return "subscribe";
    case RuleType::kProvide:
      return "provide";
    case RuleType::kRequest:
      return "request";
    case RuleType::kAllow:
      return "allow";
  }
  return "";
}

Result<PathPattern> PathPattern::Parse(std::string_view pattern) {
  if (pattern.empty()) return Status::InvalidArgument("a pattern can't be empty");
  if (pattern[0] == '/') return Status::InvalidArgument("a pattern can't start with /");
  PathPattern parsed;
  parsed.text_ = std::string(pattern);
  auto literal = [&](char c) {
    if (parsed.parts_.empty() || parsed.parts_.back().kind != Part::Kind::kLiteral) {
      parsed.parts_.push_back({Part::Kind::kLiteral, ""});
    }
    parsed.parts_.back().text += c;
  };
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '*') {
      parsed.parts_.push_back({Part::Kind::kAny, ""});
    } else if (pattern[i] == '$') {
      size_t end = i + 1;
      while (end < pattern.size() && IsVariableChar(pattern[end])) ++end;
      if (end == i + 1) {
        return Status::InvalidArgument("invalid variable name in pattern " + Quoted(pattern) +
                                       ": '$' must be followed by letters or digits");
      }
      parsed.parts_.push_back({Part::Kind::kVariable, std::string(pattern.substr(i, end - i))});
      i = end - 1;
    } else {
      literal(pattern[i]);
    }
  }
  return parsed;
}

bool PathPattern::Match(std::string_view name, PathVariables* vars) const {
  // Two passes, linear in parts x name length even for patterns full of `*`:
  // rest[k][p] says whether parts k.. can match name[p..] exactly (computed backwards); then the
  // walk forward gives every `*` and variable the longest run after which the rest still
  // matches, the choice a backtracking regular expression makes, so variables get the values
  // they get in deepstream.
  const size_t n = name.size();
  std::vector<std::vector<char>> rest(parts_.size() + 1, std::vector<char>(n + 1, 0));
  rest[parts_.size()][n] = 1;
  // The end of the run a variable starting at p may take: up to the next '/'.
  std::vector<size_t> run_end(n + 1, n);
  for (size_t p = n; p-- > 0;) run_end[p] = name[p] == '/' ? p : run_end[p + 1];
  for (size_t k = parts_.size(); k-- > 0;) {
    const Part& part = parts_[k];
    const std::vector<char>& next = rest[k + 1];
    std::vector<char>& here = rest[k];
    if (part.kind == Part::Kind::kLiteral) {
      for (size_t p = 0; p + part.text.size() <= n; ++p) {
        here[p] = next[p + part.text.size()] && name.compare(p, part.text.size(), part.text) == 0;
      }
    } else if (part.kind == Part::Kind::kAny) {
      char any = 0;
      for (size_t p = n + 1; p-- > 0;) here[p] = any = any || next[p];
    } else {
      // first_ok[e]: the smallest e' >= e where the rest matches (n + 1 when none).
      std::vector<size_t> first_ok(n + 2, n + 1);
      for (size_t e = n + 1; e-- > 0;) first_ok[e] = next[e] ? e : first_ok[e + 1];
      for (size_t p = 0; p < n; ++p) here[p] = first_ok[p + 1] <= run_end[p];
    }
  }
  if (!rest[0][0]) return false;
  if (vars == nullptr) return true;
  size_t pos = 0;
  for (size_t k = 0; k < parts_.size(); ++k) {
    const Part& part = parts_[k];
    if (part.kind == Part::Kind::kLiteral) {
      pos += part.text.size();
      continue;
    }
    const bool variable = part.kind == Part::Kind::kVariable;
    size_t end = variable ? run_end[pos] : n;
    while (!rest[k + 1][end]) --end;  // terminates: rest[k][pos] holds
    if (variable) (*vars)[part.text] = std::string(name.substr(pos, end - pos));
    pos = end;
  }
  return true;
}

Result<RuleSet> RuleSet::FromJson(const rapidjson::Value& permissions) {
  if (!permissions.IsObject())
    return Status::InvalidArgument("permissions must be a map of sections");
  RuleSet set;
  for (const auto& section_member : permissions.GetObject()) {
    const std::string section_name = section_member.name.GetString();
    const SectionSpec* spec = nullptr;
    for (const SectionSpec& s : Sections()) {
      if (SectionName(s.section) == section_name) spec = &s;
    }
    if (spec == nullptr) {
      return Status::InvalidArgument("unknown permission section '" + section_name +
                                     "' (record, event, rpc, presence)");
    }
    if (!section_member.value.IsObject()) {
      return Status::InvalidArgument(section_name + ": must be a map of name patterns");
    }
    std::vector<Entry>& entries = set.sections_[spec->section];
    for (const auto& path_member : section_member.value.GetObject()) {
      const std::string path = path_member.name.GetString();
      const std::string where = section_name + "." + Quoted(path);
      Result<PathPattern> pattern = PathPattern::Parse(path);
      if (!pattern.ok())
        return Status::InvalidArgument(where + ": " + std::string(pattern.status().message()));
      if (!path_member.value.IsObject()) {
        return Status::InvalidArgument(where + ": must be a map of rule types to rules");
      }
      Entry entry{std::move(pattern).value(), {}};
      for (const auto& rule_member : path_member.value.GetObject()) {
        const std::string type_name = rule_member.name.GetString();
        const std::string rule_where = where + "." + type_name;
        std::optional<RuleType> type;
        std::string allowed;
        for (RuleType t : spec->types) {
          if (RuleTypeName(t) == type_name) type = t;
          allowed += (allowed.empty() ? "" : ", ") + std::string(RuleTypeName(t));
        }
        if (!type) {
          return Status::InvalidArgument(rule_where + ": unknown rule type for " + section_name +
                                         " (" + allowed + ")");
        }
        const rapidjson::Value& value = rule_member.value;
        Rule rule;
        if (value.IsBool()) {
          rule.constant = value.GetBool();
        } else if (value.IsString()) {
          Result<RuleExpression> compiled =
              RuleExpression::Compile(std::string_view(value.GetString(), value.GetStringLength()));
          if (!compiled.ok()) {
            return Status::InvalidArgument(rule_where + ": " +
                                           std::string(compiled.status().message()));
          }
          rule.expression = std::make_shared<const RuleExpression>(std::move(compiled).value());
        } else {
          return Status::InvalidArgument(rule_where + ": a rule must be true, false or a string");
        }
        entry.rules[*type] = std::move(rule);
      }
      entries.push_back(std::move(entry));
    }
  }
  return set;
}

const Rule* RuleSet::Find(Section section, RuleType type, std::string_view name,
                          PathVariables* vars) const {
  auto it = sections_.find(section);
  if (it == sections_.end()) return nullptr;
  const Entry* best = nullptr;
  for (const Entry& entry : it->second) {
    if (!entry.rules.count(type)) continue;
    if (best != nullptr && entry.pattern.text().size() < best->pattern.text().size()) continue;
    if (entry.pattern.Match(name, nullptr)) best = &entry;
  }
  if (best == nullptr) return nullptr;
  if (vars != nullptr) best->pattern.Match(name, vars);
  return &best->rules.at(type);
}

}  // namespace strata::permission
