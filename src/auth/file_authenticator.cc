#include "auth/file_authenticator.h"

#include <rapidjson/document.h>

#include "common/json_text.h"
#include "common/worker_thread.h"

namespace strata::auth {
namespace {

// deepstream's answer when username or password is missing.
constexpr char kMissingParameters[] =
    R"({"error":"missing authentication parameter: username or/and password"})";

}  // namespace

Result<std::unique_ptr<FileAuthenticator>> FileAuthenticator::Create(
    std::string_view options_json) {
  rapidjson::Document options;
  options.Parse(options_json.data(), options_json.size());
  if (options.HasParseError() || !options.IsObject()) {
    return Status::InvalidArgument("file auth options must be a map");
  }
  std::unique_ptr<FileAuthenticator> auth(new FileAuthenticator());
  if (auto it = options.FindMember("reportInvalidParameters"); it != options.MemberEnd()) {
    if (!it->value.IsBool())
      return Status::InvalidArgument("reportInvalidParameters must be true or false");
    auth->report_invalid_parameters_ = it->value.GetBool();
  }
  if (auto it = options.FindMember("hash"); it != options.MemberEnd() && !it->value.IsNull()) {
    if (!it->value.IsString()) return Status::InvalidArgument("hash must be the name of a digest");
    HashOptions hash;
    hash.algorithm = it->value.GetString();
    for (auto [key, field] :
         {std::pair{"iterations", &hash.iterations}, std::pair{"keyLength", &hash.key_length}}) {
      auto member = options.FindMember(key);
      if (member == options.MemberEnd() || !member->value.IsInt()) {
        return Status::InvalidArgument(std::string(key) + " must be a number when hash is set");
      }
      *field = member->value.GetInt();
    }
    STRATA_RETURN_IF_ERROR(ValidateHashOptions(hash));
    auth->hash_ = hash;
  }
  auto users = options.FindMember("users");
  if (users == options.MemberEnd() || !users->value.IsObject() || users->value.MemberCount() == 0) {
    return Status::InvalidArgument("no users present in the users file (options.users)");
  }
  for (const auto& member : users->value.GetObject()) {
    const std::string name(member.name.GetString(), member.name.GetStringLength());
    if (!member.value.IsObject())
      return Status::InvalidArgument("user '" + name + "' must be a map");
    auto password = member.value.FindMember("password");
    if (password == member.value.MemberEnd() || !password->value.IsString()) {
      return Status::InvalidArgument("missing password for user '" + name + "'");
    }
    User user;
    user.password.assign(password->value.GetString(), password->value.GetStringLength());
    for (auto [key, field] :
         {std::pair{"clientData", &user.client_data}, std::pair{"serverData", &user.server_data}}) {
      auto data = member.value.FindMember(key);
      if (data != member.value.MemberEnd()) *field = ToJsonText(data->value);
    }
    auth->users_.emplace(name, std::move(user));
  }
  auth->worker_ = std::make_unique<WorkerThread>("strata-auth", auth.get());
  return auth;
}

FileAuthenticator::~FileAuthenticator() {
  if (worker_) worker_->Stop();
}

void FileAuthenticator::Authenticate(const LoginAttempt& attempt,
                                     std::function<void(AuthOutcome)> done) {
  worker_->Post([this, data = attempt.auth_data, done = std::move(done)](Status running) {
    if (!running.ok()) return done(AuthOutcome::Rejected());  // shutting down
    done(Check(data));
  });
}

AuthOutcome FileAuthenticator::Check(const std::string& auth_data_json) const {
  rapidjson::Document data;
  data.Parse(auth_data_json.c_str(), auth_data_json.size());
  const rapidjson::Value* username = nullptr;
  const rapidjson::Value* password = nullptr;
  if (!data.HasParseError() && data.IsObject()) {
    if (auto it = data.FindMember("username"); it != data.MemberEnd()) username = &it->value;
    if (auto it = data.FindMember("password"); it != data.MemberEnd()) password = &it->value;
  }
  if (username == nullptr || !username->IsString() || password == nullptr ||
      !password->IsString()) {
    return report_invalid_parameters_ ? AuthOutcome::Rejected(kMissingParameters)
                                      : AuthOutcome::NotMine();
  }
  auto user = users_.find(std::string_view(username->GetString(), username->GetStringLength()));
  if (user == users_.end()) return AuthOutcome::NotMine();
  const std::string_view given(password->GetString(), password->GetStringLength());
  bool matches = false;
  if (hash_) {
    Result<bool> verified = VerifyPassword(given, user->second.password, *hash_);
    matches = verified.ok() && *verified;
  } else {
    matches = given == user->second.password;
  }
  if (!matches)
    return report_invalid_parameters_ ? AuthOutcome::Rejected() : AuthOutcome::NotMine();
  AuthOutcome accepted;
  accepted.verdict = AuthOutcome::Verdict::kAccepted;
  accepted.id = user->first;
  accepted.client_data = user->second.client_data;
  accepted.server_data = user->second.server_data;
  return accepted;
}

}  // namespace strata::auth
