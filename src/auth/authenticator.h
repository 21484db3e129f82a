#pragma once
// Authenticator: one entry of the `auth:` list. Given the data of an AUTH REQUEST it accepts the
// login (with a user id and optional client/server data), rejects it, or says the login is not
// its business, in which case the next entry is asked (deepstream's handler chain).
//
// Thread-safety: Authenticate may be called from any thread; `done` runs exactly once, on any
// thread (an authenticator may do slow work, such as hashing or an HTTP call, elsewhere).

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace strata::auth {

struct AuthOutcome {
  enum class Verdict { kAccepted, kRejected, kNotMine };
  Verdict verdict = Verdict::kNotMine;
  std::string id;                          // kAccepted: the user id
  std::optional<std::string> client_data;  // JSON sent to the client (also with kRejected)
  std::optional<std::string> server_data;  // JSON for permission rules (`user.data`)
  std::optional<std::string> token;        // a token the HTTP API hands out (http auth only)

  static AuthOutcome NotMine() { return {}; }
  static AuthOutcome Rejected(std::optional<std::string> client_data = std::nullopt) {
    return {Verdict::kRejected, "", std::move(client_data), std::nullopt, std::nullopt};
  }
};

// One login attempt as the authenticators see it.
struct LoginAttempt {
  std::string auth_data;       // the AUTH REQUEST's data: valid JSON (the session checked it)
  std::string remote_address;  // "ip:port" of the client
};

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  virtual std::string_view Name() const = 0;
  virtual void Authenticate(const LoginAttempt& attempt, std::function<void(AuthOutcome)> done) = 0;
};

}  // namespace strata::auth
