#include "auth/auth_chain.h"

#include <rapidjson/document.h>

#include "auth/file_authenticator.h"
#include "auth/http_authenticator.h"

namespace strata::auth {

void OpenAuthenticator::Authenticate(const LoginAttempt& attempt,
                                     std::function<void(AuthOutcome)> done) {
  AuthOutcome outcome;
  outcome.verdict = AuthOutcome::Verdict::kAccepted;
  outcome.id = "open";
  rapidjson::Document data;
  data.Parse(attempt.auth_data.c_str(), attempt.auth_data.size());
  if (!data.HasParseError() && data.IsObject()) {
    auto it = data.FindMember("username");
    if (it != data.MemberEnd() && it->value.IsString() && it->value.GetStringLength() > 0) {
      outcome.id.assign(it->value.GetString(), it->value.GetStringLength());
    }
  }
  done(std::move(outcome));
}

Result<std::unique_ptr<AuthChain>> AuthChain::Create(const std::vector<AuthConfig>& config) {
  std::vector<std::unique_ptr<Authenticator>> authenticators;
  for (size_t i = 0; i < config.size(); ++i) {
    const AuthConfig& entry = config[i];
    const std::string where = "auth[" + std::to_string(i) + "] (" + entry.type + "): ";
    if (entry.type == "none") {
      authenticators.push_back(std::make_unique<OpenAuthenticator>());
      continue;
    }
    Result<std::unique_ptr<Authenticator>> made = Status::InvalidArgument("not supported yet");
    if (entry.type == "file") {
      auto file = FileAuthenticator::Create(entry.options_json);
      made = file.ok() ? Result<std::unique_ptr<Authenticator>>(std::move(file).value())
                       : file.status();
    } else if (entry.type == "http") {
      auto http = HttpAuthenticator::Create(entry.options_json);
      made = http.ok() ? Result<std::unique_ptr<Authenticator>>(std::move(http).value())
                       : http.status();
    }
    if (!made.ok()) return Status::InvalidArgument(where + std::string(made.status().message()));
    authenticators.push_back(std::move(made).value());
  }
  if (authenticators.empty()) authenticators.push_back(std::make_unique<OpenAuthenticator>());
  return std::make_unique<AuthChain>(std::move(authenticators));
}

AuthChain::AuthChain(std::vector<std::unique_ptr<Authenticator>> authenticators)
    : authenticators_(std::move(authenticators)) {}

void AuthChain::Authenticate(const LoginAttempt& attempt,
                             std::function<void(AuthOutcome)> done) const {
  Ask(0, attempt, std::move(done));
}

void AuthChain::Ask(size_t index, const LoginAttempt& attempt,
                    std::function<void(AuthOutcome)> done) const {
  if (index == authenticators_.size()) return done(AuthOutcome::Rejected());
  authenticators_[index]->Authenticate(
      attempt, [this, index, attempt, done = std::move(done)](AuthOutcome outcome) mutable {
        if (outcome.verdict != AuthOutcome::Verdict::kNotMine) return done(std::move(outcome));
        Ask(index + 1, attempt, std::move(done));
      });
}

}  // namespace strata::auth
