#pragma once
// FileAuthenticator: `auth: [{type: file, options: {users: fileLoad(users.yml), hash, iterations,
// keyLength, reportInvalidParameters}}]`, compatible with deepstream's users.yml:
//   alice: {password: "<hash or plain text>", clientData: {...}, serverData: {...}}
// Unknown user: not mine (the next handler is asked). Missing username/password or a wrong
// password: rejected when reportInvalidParameters (default true), else not mine. Hashing runs on
// the authenticator's own thread, so a slow hash (many iterations) never blocks a connection loop.
//
// Thread-safety: see Authenticator.

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "auth/authenticator.h"
#include "auth/password_hash.h"
#include "strata/status.h"

namespace strata {
class WorkerThread;
}

namespace strata::auth {

class FileAuthenticator final : public Authenticator {
 public:
  // kInvalidArgument naming the problem: no users, a user without a string password, an unknown
  // hash algorithm, options of the wrong type.
  static Result<std::unique_ptr<FileAuthenticator>> Create(std::string_view options_json);
  ~FileAuthenticator() override;

  std::string_view Name() const override { return "file"; }
  void Authenticate(const LoginAttempt& attempt, std::function<void(AuthOutcome)> done) override;

 private:
  struct User {
    std::string password;  // stored form
    std::optional<std::string> client_data;
    std::optional<std::string> server_data;
  };
  FileAuthenticator() = default;
  AuthOutcome Check(const std::string& auth_data_json) const;

  std::map<std::string, User, std::less<>> users_;
  std::optional<HashOptions> hash_;  // nullopt: plain-text passwords
  bool report_invalid_parameters_ = true;
  std::unique_ptr<WorkerThread> worker_;
};

}  // namespace strata::auth
