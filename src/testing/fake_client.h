#pragma once
// A client that records what it is sent, for tests of the handlers. Test-only.

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "pubsub/client.h"

namespace strata::testing {

// Records every message it is sent.
class FakeClient : public Client {
 public:
  FakeClient(uint64_t id, std::string user) : id_(id), user_(std::move(user)) {}
  uint64_t id() const override { return id_; }
  const std::string& user_id() const override { return user_; }
  bool connected() const override { return connected_flag; }
  bool remote() const override { return remote_flag; }
  void Send(const Message& msg) override { sent.push_back(msg); }
  void Send(const Broadcast& msg) override { sent.push_back(msg.message()); }

  // Messages with this action, in order.
  std::vector<Message> With(int32_t action) const {
    std::vector<Message> out;
    std::copy_if(sent.begin(), sent.end(), std::back_inserter(out),
                 [action](const Message& m) { return m.action == action; });
    return out;
  }

  std::vector<Message> sent;
  bool connected_flag = true;
  bool remote_flag = false;  // stands for another node of a cluster

 private:
  uint64_t id_;
  std::string user_;
};

}  // namespace strata::testing
