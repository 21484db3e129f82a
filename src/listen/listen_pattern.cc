#include "listen/listen_pattern.h"

#include <cctype>

#include <re2/re2.h>

namespace strata {
namespace {

// RE2's budget for one compiled pattern; beyond it compilation fails (the pattern is refused)
// and matching stays linear either way.
constexpr int64_t kMaxProgramMemory = 1 << 20;

Status Refuse(std::string_view why) { return Status::InvalidArgument(why); }

bool IsHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

// Checks the escape starting at p[i] == '\\'; on success sets `length` to its size in bytes.
Status CheckEscape(std::string_view p, size_t i, bool in_class, size_t* length) {
  if (i + 1 >= p.size()) return Refuse("the pattern ends with a backslash");
  const unsigned char c = static_cast<unsigned char>(p[i + 1]);
  *length = 2;
  if (c >= 0x80) return Refuse("a backslash before a non-ASCII character");
  if (std::ispunct(c)) return Status();
  switch (c) {
    case 'd':
    case 'D':
    case 'w':
    case 'W':
    case 'n':
    case 'r':
    case 't':
    case 'f':
    case 'v':
      return Status();
    case 'b':
    case 'B':
      return in_class ? Refuse("\\b inside a class (JavaScript: backspace)") : Status();
    case '0':
      if (i + 2 < p.size() && std::isdigit(static_cast<unsigned char>(p[i + 2]))) {
        return Refuse("octal escapes");
      }
      return Status();
    case 'x':
      if (i + 3 < p.size() && IsHex(p[i + 2]) && IsHex(p[i + 3])) {
        *length = 4;
        return Status();
      }
      return Refuse("\\x must be followed by two hex digits");
    default:
      break;
  }
  if (std::isdigit(c)) return Refuse("backreferences");
  return Refuse(std::string("the escape \\") + static_cast<char>(c) + " is not supported");
}

// Checks a class opening at p[i] == '['; sets `length` to the bytes of its head ([ or [^).
Status CheckClassStart(std::string_view p, size_t i, size_t* length) {
  size_t j = i + 1;
  if (j < p.size() && p[j] == '^') ++j;
  if (j < p.size() && p[j] == ']') return Refuse("[] and [^] (JavaScript: empty and any class)");
  *length = j - i;
  return Status();
}

// Refuses what JavaScript and RE2 read differently (see the header); RE2 refuses the rest.
Status CheckSubset(std::string_view p) {
  if (p.size() > kMaxListenPatternLength) {
    return Refuse("longer than " + std::to_string(kMaxListenPatternLength) + " bytes");
  }
  bool in_class = false;
  size_t i = 0;
  while (i < p.size()) {
    size_t length = 1;
    const char c = p[i];
    if (c == '\\') {
      STRATA_RETURN_IF_ERROR(CheckEscape(p, i, in_class, &length));
    } else if (in_class) {
      if (c == ']') in_class = false;
      if (c == '[' && i + 1 < p.size() && (p[i + 1] == ':' || p[i + 1] == '.' || p[i + 1] == '=')) {
        return Refuse("POSIX classes such as [[:alpha:]]");
      }
    } else if (c == '[') {
      STRATA_RETURN_IF_ERROR(CheckClassStart(p, i, &length));
      in_class = true;
    } else if (c == '(' && i + 1 < p.size() && p[i + 1] == '?') {
      if (i + 2 >= p.size() || p[i + 2] != ':') {
        return Refuse("lookaround, named groups and flags: only (?: is supported after (");
      }
    }
    i += length;
  }
  return Status();
}

}  // namespace

Result<std::shared_ptr<const ListenPattern>> ListenPattern::Compile(std::string_view pattern) {
  STRATA_RETURN_IF_ERROR(CheckSubset(pattern));
  RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(kMaxProgramMemory);
  auto regex = std::make_unique<RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
  if (!regex->ok()) return Refuse(regex->error());
  return std::shared_ptr<const ListenPattern>(
      new ListenPattern(std::string(pattern), std::move(regex)));
}

ListenPattern::ListenPattern(std::string text, std::unique_ptr<re2::RE2> regex)
    : text_(std::move(text)), regex_(std::move(regex)) {}

ListenPattern::~ListenPattern() = default;

bool ListenPattern::Matches(std::string_view name) const {
  return RE2::PartialMatch(re2::StringPiece(name.data(), name.size()), *regex_);
}

}  // namespace strata
