#include "wire.h"

#include <cstring>

namespace strata::loadgen {
namespace {

constexpr uint8_t kMaskKey[4] = {0x5a, 0x13, 0xc7, 0x6e};

// Cursor over protobuf bytes; every read is bounds-checked and clears ok on overrun.
struct Reader {
  const uint8_t* p;
  const uint8_t* end;
  bool ok = true;

  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (p >= end) break;
      uint8_t b = *p++;
      v |= uint64_t(b & 0x7f) << shift;
      if (b < 0x80) return v;
    }
    ok = false;
    return 0;
  }
  std::string_view Bytes() {
    uint64_t len = Varint();
    if (!ok || len > uint64_t(end - p)) {
      ok = false;
      return {};
    }
    std::string_view s(reinterpret_cast<const char*>(p), len);
    p += len;
    return s;
  }
  void Skip(int wire_type) {
    if (wire_type == 0) {
      Varint();
    } else if (wire_type == 2) {
      Bytes();
    } else if (wire_type == 1 || wire_type == 5) {
      size_t n = wire_type == 1 ? 8 : 4;
      if (size_t(end - p) < n)
        ok = false;
      else
        p += n;
    } else {
      ok = false;
    }
  }
};

// RECORD and EVENT share field numbers 1-6; RECORD adds isWriteAck (11) and version (13).
void DecodeInner(Reader r, bool named, bool record, Msg* m) {
  while (r.ok && r.p < r.end) {
    uint64_t tag = r.Varint();
    int field = int(tag >> 3), wt = int(tag & 7);
    if (field == 1 && wt == 0) {
      m->action = int32_t(r.Varint());
    } else if (!named) {
      r.Skip(wt);
    } else if (field == 2 && wt == 2) {
      m->data = r.Bytes();
      m->has_data = true;
    } else if (field == 3 && wt == 2) {
      m->correlation_id = r.Bytes();
    } else if (field == 4 && wt == 0) {
      m->is_error = r.Varint() != 0;
    } else if (field == 5 && wt == 0) {
      m->is_ack = r.Varint() != 0;
    } else if (field == 6 && wt == 2) {
      m->name = r.Bytes();
    } else if (record && field == 11 && wt == 0) {
      m->is_write_ack = r.Varint() != 0;
    } else if (record && field == 13 && wt == 0) {
      m->version = int32_t(uint32_t(r.Varint()));
      m->has_version = true;
    } else {
      r.Skip(wt);
    }
  }
  if (!r.ok) m->action = -1;
}

}  // namespace

void ProtoWriter::PutVarint(uint64_t v) {
  while (v >= 0x80) {
    buf_.push_back(char(uint8_t(v) | 0x80));
    v >>= 7;
  }
  buf_.push_back(char(v));
}

ProtoWriter& ProtoWriter::Varint(int field, int64_t value) {
  PutVarint(uint64_t(field) << 3);
  PutVarint(uint64_t(value));
  return *this;
}

ProtoWriter& ProtoWriter::Bytes(int field, std::string_view value) {
  PutVarint((uint64_t(field) << 3) | 2);
  PutVarint(value.size());
  buf_.append(value);
  return *this;
}

std::string EncodeMessage(int topic, const std::string& inner) {
  ProtoWriter body;
  body.Varint(2, topic).Bytes(3, inner);
  std::string out;
  uint64_t n = body.str().size();
  while (n >= 0x80) {
    out.push_back(char(uint8_t(n) | 0x80));
    n >>= 7;
  }
  out.push_back(char(n));
  return out + body.str();
}

std::string MaskedFrame(std::string_view payload, uint8_t opcode) {
  std::string f;
  f.push_back(char(0x80 | opcode));
  size_t n = payload.size();
  if (n < 126) {
    f.push_back(char(0x80 | n));
  } else if (n <= 0xffff) {
    f.push_back(char(0x80 | 126));
    f.push_back(char(n >> 8));
    f.push_back(char(n & 0xff));
  } else {
    f.push_back(char(0x80 | 127));
    for (int i = 7; i >= 0; --i) f.push_back(char((uint64_t(n) >> (8 * i)) & 0xff));
  }
  f.append(reinterpret_cast<const char*>(kMaskKey), 4);
  for (size_t i = 0; i < n; ++i) f.push_back(char(uint8_t(payload[i]) ^ kMaskKey[i & 3]));
  return f;
}

bool DecodeFrame(std::string_view frame, Msg* m) {
  *m = Msg{};
  Reader r{reinterpret_cast<const uint8_t*>(frame.data()),
           reinterpret_cast<const uint8_t*>(frame.data()) + frame.size()};
  uint64_t total = r.Varint();
  if (!r.ok || total > uint64_t(r.end - r.p)) return false;
  m->trailing = size_t(r.end - r.p) - total;
  r.end = r.p + total;
  std::string_view inner;
  bool has_inner = false;
  while (r.ok && r.p < r.end) {
    uint64_t tag = r.Varint();
    int field = int(tag >> 3), wt = int(tag & 7);
    if (field == 2 && wt == 0) {
      m->topic = int(r.Varint());
    } else if (field == 3 && wt == 2) {
      inner = r.Bytes();
      has_inner = true;
    } else {
      r.Skip(wt);
    }
  }
  if (!r.ok) return false;
  if (!has_inner) return true;
  const auto* ip = reinterpret_cast<const uint8_t*>(inner.data());
  bool record = m->topic == topic::kRecord;
  DecodeInner(Reader{ip, ip + inner.size()}, record || m->topic == topic::kEvent, record, m);
  return m->action != -1;
}

std::string Describe(const Msg& m) {
  std::string s = "{topic " + std::to_string(m.topic) + ", action " + std::to_string(m.action);
  if (!m.name.empty()) s += ", name \"" + std::string(m.name) + "\"";
  if (m.has_version) s += ", version " + std::to_string(m.version);
  if (!m.correlation_id.empty()) s += ", correlationId \"" + std::string(m.correlation_id) + "\"";
  if (m.is_error) s += ", isError";
  if (m.is_ack) s += ", isAck";
  if (m.is_write_ack) s += ", isWriteAck";
  if (m.has_data)
    s += ", data " + std::string(m.data.substr(0, 80)) + (m.data.size() > 80 ? "..." : "");
  return s + "}";
}

}  // namespace strata::loadgen
