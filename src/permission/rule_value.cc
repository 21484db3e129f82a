#include "permission/rule_value.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace strata::permission {

RuleValue RuleValue::Null() {
  RuleValue v;
  v.type_ = Type::kNull;
  return v;
}

RuleValue RuleValue::Boolean(bool b) {
  RuleValue v;
  v.type_ = Type::kBoolean;
  v.boolean_ = b;
  return v;
}

RuleValue RuleValue::Number(double n) {
  RuleValue v;
  v.type_ = Type::kNumber;
  v.number_ = n;
  return v;
}

RuleValue RuleValue::String(std::string s) {
  RuleValue v;
  v.type_ = Type::kString;
  v.string_ = std::move(s);
  return v;
}

RuleValue RuleValue::Array(std::vector<RuleValue> items) {
  RuleValue v;
  v.type_ = Type::kArray;
  v.items_ = std::make_shared<const std::vector<RuleValue>>(std::move(items));
  return v;
}

RuleValue RuleValue::FromJson(const rapidjson::Value* json) {
  if (json == nullptr) return RuleValue();
  switch (json->GetType()) {
    case rapidjson::kNullType:
      return Null();
    case rapidjson::kFalseType:
      return Boolean(false);
    case rapidjson::kTrueType:
      return Boolean(true);
    case rapidjson::kNumberType:
      return Number(json->GetDouble());
    case rapidjson::kStringType:
      return String(std::string(json->GetString(), json->GetStringLength()));
    case rapidjson::kObjectType:
    case rapidjson::kArrayType: {
      RuleValue v;
      v.type_ = json->IsObject() ? Type::kObject : Type::kArray;
      v.json_ = json;
      return v;
    }
  }
  return RuleValue();
}

namespace {

// An array index written as a canonical non-negative integer ("0", "12"), or -1.
long long IndexOf(const RuleValue& key) {
  if (key.type() == RuleValue::Type::kNumber) {
    double n = key.number();
    return n >= 0 && n == std::floor(n) && n < 9e15 ? static_cast<long long>(n) : -1;
  }
  if (key.type() != RuleValue::Type::kString) return -1;
  const std::string& s = key.string();
  if (s.empty() || s.size() > 15 || (s.size() > 1 && s[0] == '0')) return -1;
  long long index = 0;
  auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), index);
  return error == std::errc() && end == s.data() + s.size() ? index : -1;
}

}  // namespace

RuleValue RuleValue::Get(const RuleValue& key) const {
  const std::string name = key.ToString();
  if (type_ == Type::kString) {
    if (name == "length") return Number(static_cast<double>(string_.size()));
    long long i = IndexOf(key);
    return i >= 0 && static_cast<size_t>(i) < string_.size() ? String(string_.substr(i, 1))
                                                             : RuleValue();
  }
  if (type_ == Type::kArray) {
    size_t size = items_ ? items_->size() : json_->Size();
    if (name == "length") return Number(static_cast<double>(size));
    long long i = IndexOf(key);
    if (i < 0 || static_cast<size_t>(i) >= size) return RuleValue();
    return items_ ? (*items_)[i] : FromJson(&(*json_)[static_cast<rapidjson::SizeType>(i)]);
  }
  if (type_ == Type::kObject) {
    auto it = json_->FindMember(rapidjson::Value(rapidjson::StringRef(name.data(), name.size())));
    return it == json_->MemberEnd() ? RuleValue() : FromJson(&it->value);
  }
  return RuleValue();  // booleans and numbers have no properties rules can use
}

std::vector<RuleValue> RuleValue::Items() const {
  if (type_ != Type::kArray) return {};
  if (items_) return *items_;
  std::vector<RuleValue> items;
  items.reserve(json_->Size());
  for (const auto& item : json_->GetArray()) items.push_back(FromJson(&item));
  return items;
}

bool RuleValue::Truthy() const {
  switch (type_) {
    case Type::kUndefined:
    case Type::kNull:
      return false;
    case Type::kBoolean:
      return boolean_;
    case Type::kNumber:
      return number_ != 0 && !std::isnan(number_);
    case Type::kString:
      return !string_.empty();
    default:
      return true;
  }
}

double RuleValue::ToNumber() const {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  switch (type_) {
    case Type::kNull:
      return 0;
    case Type::kBoolean:
      return boolean_ ? 1 : 0;
    case Type::kNumber:
      return number_;
    case Type::kString: {
      size_t b = string_.find_first_not_of(" \t\n\r");
      if (b == std::string::npos) return 0;  // "" and whitespace are 0 in JavaScript
      size_t e = string_.find_last_not_of(" \t\n\r");
      std::string trimmed = string_.substr(b, e - b + 1);
      if (trimmed == "Infinity" || trimmed == "+Infinity") return HUGE_VAL;
      if (trimmed == "-Infinity") return -HUGE_VAL;
      // strtod also reads hex floats, "inf" and "nan"; rules have no use for them: NaN.
      if (trimmed.find_first_of("xXnNiI") != std::string::npos) return kNaN;
      char* end = nullptr;
      double n = std::strtod(trimmed.c_str(), &end);
      return end == trimmed.c_str() + trimmed.size() ? n : kNaN;
    }
    case Type::kArray: {
      std::vector<RuleValue> items = Items();
      if (items.empty()) return 0;
      if (items.size() == 1) return items[0].is_nullish() ? 0 : items[0].ToNumber();
      return kNaN;
    }
    default:
      return kNaN;
  }
}

std::string NumberToString(double n) {
  if (std::isnan(n)) return "NaN";
  if (std::isinf(n)) return n > 0 ? "Infinity" : "-Infinity";
  if (n == 0) return "0";
  if (n == std::floor(n) && std::fabs(n) < 1e21) {
    char buf[32];
    auto [end, error] = std::to_chars(buf, buf + sizeof buf, n, std::chars_format::fixed, 0);
    return std::string(buf, end);
  }
  char buf[64];
  auto [end, error] = std::to_chars(buf, buf + sizeof buf, n);  // shortest round-trip form
  return std::string(buf, end);
}

std::string RuleValue::ToString() const {
  switch (type_) {
    case Type::kUndefined:
      return "undefined";
    case Type::kNull:
      return "null";
    case Type::kBoolean:
      return boolean_ ? "true" : "false";
    case Type::kNumber:
      return NumberToString(number_);
    case Type::kString:
      return string_;
    case Type::kObject:
      return "[object Object]";
    case Type::kArray: {
      std::string joined;
      std::vector<RuleValue> items = Items();
      for (size_t i = 0; i < items.size(); ++i) {
        if (i > 0) joined += ',';
        if (!items[i].is_nullish()) joined += items[i].ToString();
      }
      return joined;
    }
  }
  return "";
}

std::string_view RuleValue::TypeName() const {
  switch (type_) {
    case Type::kUndefined:
      return "undefined";
    case Type::kNull:
      return "null";
    case Type::kBoolean:
      return "boolean";
    case Type::kNumber:
      return "number";
    case Type::kString:
      return "string";
    case Type::kObject:
      return "object";
    case Type::kArray:
      return "array";
  }
  return "";
}

bool StrictEquals(const RuleValue& a, const RuleValue& b) {
  if (a.type_ != b.type_) return false;
  switch (a.type_) {
    case RuleValue::Type::kUndefined:
    case RuleValue::Type::kNull:
      return true;
    case RuleValue::Type::kBoolean:
      return a.boolean_ == b.boolean_;
    case RuleValue::Type::kNumber:
      return a.number_ == b.number_;  // NaN != NaN, 0 == -0
    case RuleValue::Type::kString:
      return a.string_ == b.string_;
    default:  // the same object or array, not an equal one
      return a.json_ ? a.json_ == b.json_ : a.items_ == b.items_;
  }
}

bool LooseEquals(const RuleValue& a, const RuleValue& b) {
  using T = RuleValue::Type;
  if (a.type_ == b.type_) return StrictEquals(a, b);
  if (a.is_nullish() || b.is_nullish()) return a.is_nullish() && b.is_nullish();
  const bool a_object = a.type_ == T::kObject || a.type_ == T::kArray;
  const bool b_object = b.type_ == T::kObject || b.type_ == T::kArray;
  // An object against a primitive compares its primitive form (ToPrimitive = ToString here).
  if (a_object) return LooseEquals(RuleValue::String(a.ToString()), b);
  if (b_object) return LooseEquals(a, RuleValue::String(b.ToString()));
  return a.ToNumber() == b.ToNumber();  // number, string, boolean mixed: compared as numbers
}

}  // namespace strata::permission
