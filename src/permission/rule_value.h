#pragma once
// RuleValue: a JavaScript value as Valve permission rules see it: undefined, null, boolean, number,
// string, or an object/array. Objects and arrays from records and user data stay inside their
// RapidJSON document (borrowed, never copied); array literals written in a rule own their items.
// The conversions follow JavaScript (ToBoolean, ToNumber, ToString, == and ===) for these types.
//
// Thread-safety: a value is immutable; the documents it borrows from must outlive it.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

namespace strata::permission {

class RuleValue {
 public:
  enum class Type { kUndefined, kNull, kBoolean, kNumber, kString, kObject, kArray };

  RuleValue() = default;  // undefined
  static RuleValue Null();
  static RuleValue Boolean(bool b);
  static RuleValue Number(double n);
  static RuleValue String(std::string s);
  static RuleValue Array(std::vector<RuleValue> items);
  // A JSON value; primitives become the matching type, objects and arrays are borrowed.
  // nullptr gives undefined.
  static RuleValue FromJson(const rapidjson::Value* json);

  Type type() const { return type_; }
  bool is_nullish() const { return type_ == Type::kUndefined || type_ == Type::kNull; }
  bool boolean() const { return boolean_; }
  double number() const { return number_; }
  const std::string& string() const { return string_; }

  // Property access as `value.key` / `value[key]`: object members, array and string indices,
  // `length`. Undefined when absent. REQUIRES: !is_nullish().
  RuleValue Get(const RuleValue& key) const;
  // The items of an array (borrowed JSON arrays are converted item by item).
  std::vector<RuleValue> Items() const;

  bool Truthy() const;
  double ToNumber() const;
  std::string ToString() const;
  // typeof-like name, for error messages.
  std::string_view TypeName() const;

  friend bool StrictEquals(const RuleValue& a, const RuleValue& b);
  friend bool LooseEquals(const RuleValue& a, const RuleValue& b);

 private:
  Type type_ = Type::kUndefined;
  bool boolean_ = false;
  double number_ = 0;
  std::string string_;
  const rapidjson::Value* json_ = nullptr;               // kObject/kArray from a document
  std::shared_ptr<const std::vector<RuleValue>> items_;  // kArray from a literal
};

// JavaScript's Number::toString for the values rules meet (integers exactly, others shortest).
std::string NumberToString(double n);

}  // namespace strata::permission
