#include "cli/config_section.h"

#include <vector>

namespace strata {
namespace {

// Start offsets of the lines of `text`.
std::vector<size_t> LineStarts(std::string_view text) {
  std::vector<size_t> starts;
  size_t at = 0;
  while (at < text.size()) {
    starts.push_back(at);
    size_t newline = text.find('\n', at);
    if (newline == std::string_view::npos) break;
    at = newline + 1;
  }
  return starts;
}

std::string_view LineAt(std::string_view text, size_t start) {
  size_t end = text.find('\n', start);
  return text.substr(start, end == std::string_view::npos ? text.size() - start : end - start);
}

bool IsBlank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

// "key:" followed by the end of the line, a space or a comment.
bool OpensKey(std::string_view line, std::string_view key) {
  if (!line.starts_with(key) || line.size() <= key.size() || line[key.size()] != ':') {
    return false;
  }
  std::string_view rest = line.substr(key.size() + 1);
  return rest.empty() || rest[0] == ' ' || rest[0] == '\t' || rest[0] == '\r' || rest[0] == '#';
}

}  // namespace

std::optional<TextRange> FindTopLevelSection(std::string_view text, std::string_view key) {
  std::vector<size_t> starts = LineStarts(text);
  for (size_t i = 0; i < starts.size(); ++i) {
    if (!OpensKey(LineAt(text, starts[i]), key)) continue;
    size_t last = i;  // the last line that belongs to the section
    for (size_t j = i + 1; j < starts.size(); ++j) {
      std::string_view line = LineAt(text, starts[j]);
      if (IsBlank(line)) continue;
      if (line[0] != ' ' && line[0] != '\t') break;
      last = j;
    }
    size_t end = last + 1 < starts.size() ? starts[last + 1] : text.size();
    return TextRange{starts[i], end};
  }
  return std::nullopt;
}

std::string SectionForRole(std::string_view example, std::string_view key, std::string_view name) {
  std::string_view other = key == "cache" ? "storage" : "cache";
  for (std::string_view candidate : {key, other}) {
    std::optional<TextRange> range = FindTopLevelSection(example, candidate);
    if (!range.has_value()) continue;
    std::string section(example.substr(range->begin, range->end - range->begin));
    section.replace(0, candidate.size(), key);
    if (!section.ends_with('\n')) section += '\n';
    return section;
  }
  return std::string(key) + ":\n  name: " + std::string(name) + "\n";
}

Result<std::string> SetTopLevelSection(std::string_view text, std::string_view key,
                                       std::string_view section) {
  if (std::optional<TextRange> plugins = FindTopLevelSection(text, "plugins")) {
    std::string_view block = text.substr(plugins->begin, plugins->end - plugins->begin);
    for (size_t at : LineStarts(block)) {
      std::string_view line = LineAt(block, at);
      size_t indent = line.find_first_not_of(" \t");
      if (at > 0 && indent != std::string_view::npos && indent > 0 &&
          OpensKey(line.substr(indent), key)) {
        return Status::FailedPrecondition("it sets plugins." + std::string(key) +
                                          "; remove that entry first (or edit it by hand)");
      }
    }
  }
  std::string out(text);
  if (std::optional<TextRange> range = FindTopLevelSection(text, key)) {
    out.replace(range->begin, range->end - range->begin, section);
    return out;
  }
  if (!out.empty() && !out.ends_with('\n')) out += '\n';
  if (!out.empty()) out += '\n';
  out += section;
  return out;
}

}  // namespace strata
