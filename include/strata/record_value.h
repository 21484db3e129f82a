#pragma once
// The value of a record as connectors see it: a version and the JSON text of the document.
// Connectors own their serialisation: they store these two however suits their system.

#include <cstdint>
#include <string>

namespace strata {

// deepstream versions are int32 on the wire; -1 means "missing" or "next" depending on context.
using Version = int32_t;

struct RecordValue {
  Version version = 0;
  std::string json;  // UTF-8 JSON text of the whole record (an object, or an array for lists)

  bool operator==(const RecordValue&) const = default;
};

struct NamedValue {
  std::string name;
  RecordValue value;
};

}  // namespace strata
