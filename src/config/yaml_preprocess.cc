#include "config/yaml_preprocess.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace strata::config_internal {
namespace {

constexpr std::string_view kFile = "file(";
constexpr std::string_view kFileLoad = "fileLoad(";

// `file(` preceded by a letter, digit or '_' is part of another word (`profile(x)`), not ours.
bool StartsWord(const std::string& text, size_t pos) {
  if (pos == 0) return true;
  unsigned char before = static_cast<unsigned char>(text[pos - 1]);
  return !std::isalnum(before) && before != '_';
}

std::string ExpandFilePaths(const std::string& text, const std::string& base_dir) {
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t start = text.find(kFile, pos);
    size_t close = start == std::string::npos ? start : text.find(')', start);
    if (close == std::string::npos) break;
    out.append(text, pos, start - pos);
    if (StartsWord(text, start)) {
      std::string inner = text.substr(start + kFile.size(), close - start - kFile.size());
      out += ResolveAgainst(base_dir, inner);
    } else {
      out.append(text, start, close + 1 - start);
    }
    pos = close + 1;
  }
  out.append(text, pos);
  return out;
}

Result<std::string> ReadWholeFile(const std::string& file, const std::string& path) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return Status::InvalidArgument(path + ": cannot read '" + file + "': " + std::strerror(errno));
  }
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

bool IsStructuredFile(const std::string& file) {
  std::string ext = std::filesystem::path(file).extension().string();
  return ext == ".yml" || ext == ".yaml" || ext == ".json";
}

Result<YAML::Node> LoadReferencedFile(const std::string& reference, const std::string& base_dir,
                                      const std::string& path) {
  std::string file = ResolveAgainst(base_dir, reference);
  STRATA_ASSIGN_OR_RETURN(std::string content, ReadWholeFile(file, path));
  content = SubstituteEnv(content);
  if (!IsStructuredFile(file)) {
    YAML::Node text(content);
    text.SetTag("!");  // a quoted string: "123" in a PEM file stays text
    return text;
  }
  try {
    return YAML::Load(content);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(path + ": invalid content in '" + file + "': " + e.what());
  }
}

// The `p` of a scalar that is exactly `fileLoad(p)` (surrounding spaces allowed), or "".
std::string FileLoadTarget(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t");
  size_t end = text.find_last_not_of(" \t");
  if (begin == std::string::npos) return "";
  std::string_view trimmed(text.data() + begin, end - begin + 1);
  if (!trimmed.starts_with(kFileLoad) || !trimmed.ends_with(")")) return "";
  return std::string(trimmed.substr(kFileLoad.size(), trimmed.size() - kFileLoad.size() - 1));
}

Status ResolveNode(YAML::Node node, const std::string& base_dir, const std::string& path) {
  if (node.IsMap()) {
    for (auto entry : node) {
      std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "?";
      std::string child_path = path.empty() ? key : path + "." + key;
      STRATA_RETURN_IF_ERROR(ResolveNode(entry.second, base_dir, child_path));
    }
  } else if (node.IsSequence()) {
    for (size_t i = 0; i < node.size(); ++i) {
      STRATA_RETURN_IF_ERROR(ResolveNode(node[i], base_dir, path + "[" + std::to_string(i) + "]"));
    }
  } else if (node.IsScalar()) {
    std::string target = FileLoadTarget(node.Scalar());
    if (!target.empty()) {
      STRATA_ASSIGN_OR_RETURN(YAML::Node loaded, LoadReferencedFile(target, base_dir, path));
      node = loaded;  // yaml-cpp assigns through the handle: the tree now holds the content
    } else if (node.Scalar().find(kFile) != std::string::npos) {
      node = ExpandFilePaths(node.Scalar(), base_dir);
    }
  }
  return Status::Ok();
}

}  // namespace

std::string SubstituteEnv(std::string_view text) {
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t start = text.find("${", pos);
    size_t close = start == std::string_view::npos ? start : text.find('}', start + 2);
    if (close == std::string_view::npos) break;
    out.append(text.substr(pos, start - pos));
    std::string name(text.substr(start + 2, close - start - 2));
    if (name.empty()) {
      out += "${}";  // names nothing: kept as written, as deepstream's /\${([^}]+)}/
    } else if (const char* value = std::getenv(name.c_str())) {
      out += value;
    }
    pos = close + 1;
  }
  out.append(text.substr(pos));
  return out;
}

std::string ResolveAgainst(const std::string& base_dir, const std::string& relative) {
  std::filesystem::path target(relative);
  if (target.is_absolute()) return target.lexically_normal().string();
  std::error_code error;  // absolute() of a relative base needs the cwd; on failure keep it
  std::filesystem::path base = std::filesystem::absolute(base_dir.empty() ? "." : base_dir, error);
  return (base / target).lexically_normal().string();
}

Status ResolveFileReferences(YAML::Node root, const std::string& base_dir) {
  try {
    return ResolveNode(root, base_dir, "");
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string("invalid YAML: ") + e.what());
  }
}

}  // namespace strata::config_internal
