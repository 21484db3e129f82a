#include "common/json_patch.h"

#include <charconv>
#include <variant>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/json_validate.h"

namespace strata {
namespace {

using PathStep = std::variant<std::string, size_t>;  // member name or array index

// Parses `a.b[2].c` into steps. Digits in brackets are indices; everything else is a name.
Result<std::vector<PathStep>> ParsePath(std::string_view path) {
  std::vector<PathStep> steps;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '[') {
      size_t close = path.find(']', i);
      if (close == std::string_view::npos || close == i + 1) {
        return Status::InvalidArgument("malformed path index");
      }
      size_t index = 0;
      auto [end, ec] = std::from_chars(path.data() + i + 1, path.data() + close, index);
      if (ec != std::errc() || end != path.data() + close || index > 1000000) {
        return Status::InvalidArgument("malformed path index");
      }
      steps.emplace_back(index);
      i = close + 1;
      if (i < path.size() && path[i] == '.') ++i;
      continue;
    }
    size_t end = path.find_first_of(".[", i);
    if (end == std::string_view::npos) end = path.size();
    if (end == i) return Status::InvalidArgument("empty path segment");
    steps.emplace_back(std::string(path.substr(i, end - i)));
    i = end;
    if (i < path.size() && path[i] == '.') ++i;
  }
  if (steps.empty()) return Status::InvalidArgument("empty path");
  return steps;
}

Status ParseInto(rapidjson::Document& doc, std::string_view json, std::string_view what) {
  if (Status s = ValidateJson(json); !s.ok()) {
    return Status::InvalidArgument(std::string(what) + " is " + std::string(s.message()));
  }
  doc.Parse<rapidjson::kParseStopWhenDoneFlag>(json.data(), json.size());
  return Status();
}

// Makes `node` the container the step needs, replacing a scalar or a container of the wrong
// kind, then returns the child for `step`, created as null when missing.
rapidjson::Value& Descend(rapidjson::Value& node, const PathStep& step,
                          rapidjson::Document::AllocatorType& alloc) {
  if (const std::string* key = std::get_if<std::string>(&step)) {
    if (!node.IsObject()) node.SetObject();
    auto it = node.FindMember(rapidjson::StringRef(key->data(), key->size()));
    if (it != node.MemberEnd()) return it->value;
    node.AddMember(rapidjson::Value(key->data(), key->size(), alloc), rapidjson::Value(), alloc);
    return (node.MemberEnd() - 1)->value;
  }
  size_t index = std::get<size_t>(step);
  if (!node.IsArray()) node.SetArray();
  while (node.Size() <= index) node.PushBack(rapidjson::Value(), alloc);
  return node[static_cast<rapidjson::SizeType>(index)];
}

void Erase(rapidjson::Value& node, const PathStep& step) {
  if (const std::string* key = std::get_if<std::string>(&step)) {
    if (node.IsObject()) node.RemoveMember(rapidjson::StringRef(key->data(), key->size()));
    return;
  }
  size_t index = std::get<size_t>(step);
  if (node.IsArray() && index < node.Size())
    node[static_cast<rapidjson::SizeType>(index)].SetNull();
}

// Walks to the parent of the last step without creating anything; null when absent.
rapidjson::Value* FindParent(rapidjson::Value& root, const std::vector<PathStep>& steps) {
  rapidjson::Value* node = &root;
  for (size_t i = 0; i + 1 < steps.size(); ++i) {
    if (const std::string* key = std::get_if<std::string>(&steps[i])) {
      if (!node->IsObject()) return nullptr;
      auto it = node->FindMember(rapidjson::StringRef(key->data(), key->size()));
      if (it == node->MemberEnd()) return nullptr;
      node = &it->value;
    } else {
      size_t index = std::get<size_t>(steps[i]);
      if (!node->IsArray() || index >= node->Size()) return nullptr;
      node = &(*node)[static_cast<rapidjson::SizeType>(index)];
    }
  }
  return node;
}

}  // namespace

Result<std::string> ApplyPatch(std::string_view record_json, std::string_view path,
                               std::optional<std::string_view> value_json) {
  STRATA_ASSIGN_OR_RETURN(std::vector<PathStep> steps, ParsePath(path));
  rapidjson::Document doc;
  STRATA_RETURN_IF_ERROR(ParseInto(doc, record_json, "record"));
  if (value_json) {
    STRATA_RETURN_IF_ERROR(ValidateJson(*value_json));
    rapidjson::Document value(&doc.GetAllocator());
    STRATA_RETURN_IF_ERROR(ParseInto(value, *value_json, "value"));
    rapidjson::Value* node = &doc;
    for (const PathStep& step : steps) node = &Descend(*node, step, doc.GetAllocator());
    node->CopyFrom(value, doc.GetAllocator());
  } else if (rapidjson::Value* parent = FindParent(doc, steps)) {
    Erase(*parent, steps.back());
  }
  rapidjson::StringBuffer out;
  rapidjson::Writer<rapidjson::StringBuffer> writer(out);
  doc.Accept(writer);
  return std::string(out.GetString(), out.GetSize());
}

}  // namespace strata
