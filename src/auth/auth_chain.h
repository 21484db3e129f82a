#pragma once
// AuthChain: the `auth:` list of the config, asked in order for every login (sockets and the
// HTTP API). The first authenticator that does not answer "not mine" decides; when all say
// "not mine" the login is rejected. Types: none (open auth), file, http; `storage` is not
// supported yet (the config loader says so).
//
// Thread-safety: Authenticate may be called from any thread; `done` runs once, on any thread.

#include <functional>
#include <memory>
#include <vector>

#include "auth/authenticator.h"
#include "config/options.h"
#include "strata/status.h"

namespace strata::auth {

// Open auth: user id = authData.username when it is a non-empty string, else "open".
class OpenAuthenticator final : public Authenticator {
 public:
  std::string_view Name() const override { return "none"; }
  void Authenticate(const LoginAttempt& attempt, std::function<void(AuthOutcome)> done) override;
};

class AuthChain {
 public:
  // One authenticator per entry; an error names the entry ("auth[1] (file): no users ...").
  static Result<std::unique_ptr<AuthChain>> Create(const std::vector<AuthConfig>& config);
  explicit AuthChain(std::vector<std::unique_ptr<Authenticator>> authenticators);

  void Authenticate(const LoginAttempt& attempt, std::function<void(AuthOutcome)> done) const;

 private:
  void Ask(size_t index, const LoginAttempt& attempt, std::function<void(AuthOutcome)> done) const;

  std::vector<std::unique_ptr<Authenticator>> authenticators_;
};

}  // namespace strata::auth
