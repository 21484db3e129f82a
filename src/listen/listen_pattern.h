#pragma once
// ListenPattern: a provider's LISTEN pattern, compiled once and shared (read-only) by every
// shard. deepstream compiles it with `new RegExp(pattern)` and tests names with `regex.test`,
// i.e. UNANCHORED; strata uses RE2, whose matching time is linear in the name, so a hostile
// pattern cannot stall a loop.
//
// Accepted subset: what JavaScript and RE2 both accept with the same meaning.
//   literals (any UTF-8), `.`, `^`, `$`, `|`, groups `( )` and `(?: )`, quantifiers
//   `* + ? {n} {n,} {n,m}` (n, m <= 1000) and their lazy forms `*? +? ?? {..}?`, classes
//   `[abc] [^a-z]` (a literal `]` inside a class must be escaped as `\]`), escapes
//   `\d \D \w \W \b \B \n \r \t \f \v \0 \xHH` and a backslash before any ASCII punctuation.
// Refused with INVALID_LISTEN_REGEX, because RE2 cannot run them or because JavaScript reads
// them differently: backreferences `\1`..`\9`, lookaround `(?= (?! (?<= (?<!`, every other
// `(?` group (named groups, inline flags), `\s \S` (JS includes Unicode spaces), `\p \P \Q \E
// \A \z \Z \C \a \c \u \x{..}` and other letter escapes, `[]` / `[^]` (JS: empty / any class),
// POSIX classes `[[:alpha:]]`, `[\b]`, patterns longer than kMaxListenPatternLength bytes, and
// patterns whose compiled form exceeds RE2's memory budget.
// Known residual differences (names only, never a crash): JS `.` excludes \r, U+2028 and U+2029
// where RE2's `.` excludes only \n; JS works on UTF-16 code units, so `.` consumes half of a
// character outside the BMP where RE2 consumes all of it.
//
// Thread-safety: a compiled pattern is immutable; RE2 matching is thread-safe.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "strata/status.h"

namespace re2 {
class RE2;
}

namespace strata {

inline constexpr size_t kMaxListenPatternLength = 1000;

class ListenPattern {
 public:
  // kInvalidArgument (with the reason) when the pattern is outside the subset above.
  static Result<std::shared_ptr<const ListenPattern>> Compile(std::string_view pattern);
  ~ListenPattern();
  ListenPattern(const ListenPattern&) = delete;
  ListenPattern& operator=(const ListenPattern&) = delete;

  const std::string& text() const { return text_; }
  // True when the pattern matches anywhere in `name` (JavaScript's RegExp.test).
  bool Matches(std::string_view name) const;

 private:
  ListenPattern(std::string text, std::unique_ptr<re2::RE2> regex);

  const std::string text_;
  const std::unique_ptr<re2::RE2> regex_;
};

}  // namespace strata
