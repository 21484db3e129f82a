#include "cluster/record_change.h"

#include <vector>

#include "cluster/redis_reply.h"
#include "record/record_messages.h"

namespace strata::cluster {
namespace msgs = record_messages;
namespace {

// Splits the header line into space-separated fields.
std::vector<std::string_view> Fields(std::string_view header) {
  std::vector<std::string_view> fields;
  while (!header.empty()) {
    size_t space = header.find(' ');
    fields.push_back(header.substr(0, space));
    if (space == std::string_view::npos) break;
    header.remove_prefix(space + 1);
  }
  return fields;
}

Status Malformed(std::string_view why) {
  return Status::InvalidArgument("malformed record change: " + std::string(why));
}

}  // namespace

std::string EncodeOrigin(const Origin& origin) {
  return origin.node + ":" + std::to_string(origin.client_id);
}

EncodedChange EncodeWrite(const Origin& origin, const RecordValue& value,
                          const Message& broadcast) {
  std::string head = EncodeOrigin(origin) + " " + std::to_string(value.version);
  if (!broadcast.path) return {"U", head + "\n" + value.json};
  const std::string& path = *broadcast.path;
  if (!broadcast.data) {
    return {"E", head + " " + std::to_string(path.size()) + "\n" + path + value.json};
  }
  return {"P", head + " " + std::to_string(path.size()) + " " +
                   std::to_string(broadcast.data->size()) + "\n" + path + *broadcast.data +
                   value.json};
}

Result<RecordChange> DecodeChange(std::string_view payload) {
  size_t newline = payload.find('\n');
  std::string_view header = payload.substr(0, newline);
  std::string_view body =
      newline == std::string_view::npos ? std::string_view() : payload.substr(newline + 1);
  std::vector<std::string_view> f = Fields(header);
  if (f.size() < 3 || f[0].size() != 1) return Malformed("header '" + std::string(header) + "'");
  RecordChange change;
  change.kind = f[0][0];
  if (!ParseNumber(f[1], &change.seq)) return Malformed("seq");
  size_t colon = f[2].rfind(':');
  if (colon == std::string_view::npos ||
      !ParseNumber(f[2].substr(colon + 1), &change.origin.client_id)) {
    return Malformed("origin");
  }
  change.origin.node = std::string(f[2].substr(0, colon));
  if (change.kind == 'D') return change;
  const size_t want = change.kind == 'U' ? 4 : change.kind == 'E' ? 5 : 6;
  if (f.size() != want || (change.kind != 'U' && change.kind != 'E' && change.kind != 'P')) {
    return Malformed("kind '" + std::string(f[0]) + "'");
  }
  Version version = 0;
  if (!ParseNumber(f[3], &version)) return Malformed("version");
  size_t path_size = 0, patch_size = 0;
  if (change.kind != 'U' && !ParseNumber(f[4], &path_size)) return Malformed("path size");
  if (change.kind == 'P' && !ParseNumber(f[5], &patch_size)) return Malformed("value size");
  if (path_size + patch_size > body.size()) return Malformed("sizes beyond the message");
  change.path = std::string(body.substr(0, path_size));
  if (change.kind == 'P') change.patch = std::string(body.substr(path_size, patch_size));
  change.value = RecordValue{version, std::string(body.substr(path_size + patch_size))};
  return change;
}

Message ToMessage(const std::string& name, const RecordChange& change) {
  switch (change.kind) {
    case 'D':
      return msgs::Named(record_action::kDeleted, name);
    case 'P':
      return msgs::Patch(name, change.value->version, change.path, change.patch);
    case 'E':
      return msgs::Patch(name, change.value->version, change.path, std::nullopt);
    default:
      return msgs::Update(name, change.value->version, change.value->json);
  }
}

}  // namespace strata::cluster
