#pragma once
// OnlineUsers: the user ids that have at least one logged-in connection. A user with several
// connections counts once: online from the first login until the last of them logs out. Ids are
// listed in the order they came online, as deepstream lists them (its registry is a JS Map).
// Thread-safety: not thread-safe; owned by the presence handler's loop.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace strata {

class OnlineUsers {
 public:
  // Counts one more connection of `user`; true when it is the user's first (the user joined).
  bool Add(const std::string& user);
  // Counts one connection less; true when it was the user's last (the user left). False, and
  // nothing changes, for a user that is not online.
  bool Remove(const std::string& user);
  bool Contains(const std::string& user) const { return users_.contains(user); }
  // Every online user, in the order they came online.
  std::vector<std::string> All() const;
  size_t size() const { return users_.size(); }

 private:
  struct Entry {
    size_t connections = 0;
    uint64_t arrival = 0;  // key in by_arrival_
  };
  std::unordered_map<std::string, Entry> users_;
  std::map<uint64_t, std::string> by_arrival_;
  uint64_t next_arrival_ = 0;
};

}  // namespace strata
