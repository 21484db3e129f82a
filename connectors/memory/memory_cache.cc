#include "connectors/memory/memory_cache.h"

#include <algorithm>
#include <functional>
#include <list>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include <rapidjson/document.h>

#include "connectors/common/json_options.h"

namespace strata {
namespace {

constexpr std::string_view kKnownOptions = "maxBytes, maxRecords, stripes";

// Reads a non-negative integer option; `key` names it in the error.
Result<size_t> ReadCount(const rapidjson::Value& value, std::string_view key) {
  if (!value.IsUint64()) {
    return Status::InvalidArgument("cache.options." + std::string(key) +
                                   ": expected a non-negative integer");
  }
  return static_cast<size_t>(value.GetUint64());
}

Status ApplyOption(std::string_view key, const rapidjson::Value& value,
                   MemoryCacheOptions& options) {
  if (key == "maxBytes") {
    STRATA_ASSIGN_OR_RETURN(options.max_bytes, ReadCount(value, key));
  } else if (key == "maxRecords") {
    STRATA_ASSIGN_OR_RETURN(options.max_records, ReadCount(value, key));
  } else if (key == "stripes") {
    STRATA_ASSIGN_OR_RETURN(options.stripes, ReadCount(value, key));
    if (options.stripes == 0) {
      return Status::InvalidArgument("cache.options.stripes: expected a positive integer");
    }
  } else {
    return Status::InvalidArgument("cache.options." + std::string(key) +
                                   ": unknown option; known: " + std::string(kKnownOptions));
  }
  return Status();
}

// A per-stripe share of a limit, rounded up so a small limit never becomes 0 (= unbounded).
size_t ShareOf(size_t limit, size_t stripes) {
  return limit == 0 ? 0 : (limit + stripes - 1) / stripes;
}

}  // namespace

Result<MemoryCacheOptions> ParseMemoryCacheOptions(std::string_view options_json) {
  MemoryCacheOptions options;
  STRATA_RETURN_IF_ERROR(ForEachJsonOption(
      options_json, "cache", [&](std::string_view key, const rapidjson::Value& value) -> Status {
        return ApplyOption(key, value, options);
      }));
  return options;
}

// One shard of the cache. All fields are guarded by `mu`.
struct alignas(64) MemoryCache::Stripe {
  struct Entry {
    std::string name;
    Version version;
    // Immutable once stored, so readers copy it out after releasing the lock.
    std::shared_ptr<const std::string> json;
    size_t Bytes() const { return name.size() + json->size(); }
  };
  using Lru = std::list<Entry>;

  // Finds `name` and marks it most recently used; nullptr if absent.
  Entry* Touch(std::string_view name) {
    auto it = index.find(name);
    if (it == index.end()) return nullptr;
    lru.splice(lru.begin(), lru, it->second);
    return &*it->second;
  }

  void Put(std::string_view name, Version version, std::shared_ptr<const std::string> json) {
    if (Entry* entry = Touch(name)) {
      bytes = bytes - entry->json->size() + json->size();
      entry->version = version;
      entry->json = std::move(json);
    } else {
      lru.push_front(Entry{std::string(name), version, std::move(json)});
      index.emplace(lru.front().name, lru.begin());
      bytes += lru.front().Bytes();
    }
    EvictOverLimits();
  }

  void Erase(std::string_view name) {
    auto it = index.find(name);
    if (it == index.end()) return;
    Lru::iterator entry = it->second;
    bytes -= entry->Bytes();
    index.erase(it);  // before the list node, whose name the key views
    lru.erase(entry);
  }

  // Evicts from the cold end. A single entry larger than the stripe's byte budget evicts itself:
  // the cache may forget, and strata then reads storage.
  void EvictOverLimits() {
    while (!lru.empty() && OverLimits()) {
      Erase(lru.back().name);
      ++evictions;
    }
  }

  bool OverLimits() const {
    return (max_records != 0 && lru.size() > max_records) || (max_bytes != 0 && bytes > max_bytes);
  }

  std::mutex mu;
  Lru lru;                                                    // front = most recently used
  std::unordered_map<std::string_view, Lru::iterator> index;  // keys view Entry::name
  size_t bytes = 0;
  uint64_t evictions = 0;
  size_t max_bytes = 0;    // 0 = unbounded
  size_t max_records = 0;  // 0 = unbounded
};

MemoryCache::MemoryCache(const MemoryCacheOptions& options)
    : stripe_count_(std::max<size_t>(options.stripes, 1)),
      stripes_(std::make_unique<Stripe[]>(stripe_count_)) {
  for (size_t i = 0; i < stripe_count_; ++i) {
    stripes_[i].max_bytes = ShareOf(options.max_bytes, stripe_count_);
    stripes_[i].max_records = ShareOf(options.max_records, stripe_count_);
  }
}

MemoryCache::~MemoryCache() = default;

size_t MemoryCache::StripeIndex(std::string_view name) const {
  return std::hash<std::string_view>{}(name) % stripe_count_;
}

MemoryCache::Stripe& MemoryCache::StripeFor(std::string_view name) const {
  return stripes_[StripeIndex(name)];
}

void MemoryCache::Get(std::string_view name, Callback<std::optional<RecordValue>> cb) {
  Stripe& stripe = StripeFor(name);
  std::unique_lock lock(stripe.mu);
  Stripe::Entry* entry = stripe.Touch(name);
  if (entry == nullptr) {
    lock.unlock();
    return cb(std::optional<RecordValue>());
  }
  Version version = entry->version;
  std::shared_ptr<const std::string> json = entry->json;
  lock.unlock();
  cb(std::optional<RecordValue>(RecordValue{version, *json}));  // the caller's own copy
}

void MemoryCache::Set(std::string_view name, const RecordValue& value, DoneCallback cb) {
  auto json = std::make_shared<const std::string>(value.json);  // copied outside the lock
  Stripe& stripe = StripeFor(name);
  {
    std::lock_guard lock(stripe.mu);
    stripe.Put(name, value.version, std::move(json));
  }
  cb(Status());
}

void MemoryCache::Delete(std::string_view name, DoneCallback cb) {
  Stripe& stripe = StripeFor(name);
  {
    std::lock_guard lock(stripe.mu);
    stripe.Erase(name);
  }
  cb(Status());
}

void MemoryCache::Head(std::string_view name, Callback<std::optional<Version>> cb) {
  Stripe& stripe = StripeFor(name);
  std::optional<Version> version;
  {
    std::lock_guard lock(stripe.mu);
    if (Stripe::Entry* entry = stripe.Touch(name)) version = entry->version;
  }
  cb(version);
}

// Calls fn(stripe, i) for every batch position i with that name's stripe locked, taking each
// stripe's lock once per batch. Batch order is kept within a stripe, so a name that appears twice
// in one batch ends with its last value.
template <typename NameAt, typename Fn>
void MemoryCache::ForEachByStripe(size_t count, NameAt name_at, Fn fn) {
  std::vector<std::pair<size_t, size_t>> order;  // (stripe, position)
  order.reserve(count);
  for (size_t i = 0; i < count; ++i) order.emplace_back(StripeIndex(name_at(i)), i);
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t run = 0; run < order.size();) {
    const size_t index = order[run].first;
    std::lock_guard lock(stripes_[index].mu);
    for (; run < order.size() && order[run].first == index; ++run) {
      fn(stripes_[index], order[run].second);
    }
  }
}

void MemoryCache::GetBulk(std::span<const std::string> names, Callback<GetBulkResult> cb) {
  struct Found {
    Version version = 0;
    std::shared_ptr<const std::string> json;  // null: not cached
  };
  std::vector<Found> found(names.size());
  ForEachByStripe(
      names.size(), [&](size_t i) -> std::string_view { return names[i]; },
      [&](Stripe& stripe, size_t i) {
        if (Stripe::Entry* entry = stripe.Touch(names[i])) found[i] = {entry->version, entry->json};
      });
  GetBulkResult result;  // the caller's own copies, made outside the locks
  result.reserve(names.size());
  for (const Found& f : found) {
    if (f.json == nullptr) {
      result.emplace_back();
    } else {
      result.emplace_back(RecordValue{f.version, *f.json});
    }
  }
  cb(std::move(result));
}

void MemoryCache::SetBulk(std::span<const NamedValue> batch, DoneCallback cb) {
  std::vector<std::shared_ptr<const std::string>> copies;  // made outside the locks
  copies.reserve(batch.size());
  for (const NamedValue& nv : batch) {
    copies.push_back(std::make_shared<const std::string>(nv.value.json));
  }
  ForEachByStripe(
      batch.size(), [&](size_t i) -> std::string_view { return batch[i].name; },
      [&](Stripe& stripe, size_t i) {
        stripe.Put(batch[i].name, batch[i].value.version, std::move(copies[i]));
      });
  cb(Status());
}

void MemoryCache::DeleteBulk(std::span<const std::string> names, DoneCallback cb) {
  ForEachByStripe(
      names.size(), [&](size_t i) -> std::string_view { return names[i]; },
      [&](Stripe& stripe, size_t i) { stripe.Erase(names[i]); });
  cb(Status());
}

void MemoryCache::HeadBulk(std::span<const std::string> names, Callback<HeadBulkResult> cb) {
  std::vector<std::optional<Version>> versions(names.size());
  ForEachByStripe(
      names.size(), [&](size_t i) -> std::string_view { return names[i]; },
      [&](Stripe& stripe, size_t i) {
        if (Stripe::Entry* entry = stripe.Touch(names[i])) versions[i] = entry->version;
      });
  HeadBulkResult result;  // built outside the locks; `missing` keeps the request's order
  for (size_t i = 0; i < names.size(); ++i) {
    if (versions[i].has_value()) {
      result.versions[names[i]] = *versions[i];
    } else {
      result.missing.push_back(names[i]);
    }
  }
  cb(std::move(result));
}

size_t MemoryCache::entries() const {
  size_t total = 0;
  for (size_t i = 0; i < stripe_count_; ++i) {
    std::lock_guard lock(stripes_[i].mu);
    total += stripes_[i].lru.size();
  }
  return total;
}

size_t MemoryCache::bytes() const {
  size_t total = 0;
  for (size_t i = 0; i < stripe_count_; ++i) {
    std::lock_guard lock(stripes_[i].mu);
    total += stripes_[i].bytes;
  }
  return total;
}

uint64_t MemoryCache::evictions() const {
  uint64_t total = 0;
  for (size_t i = 0; i < stripe_count_; ++i) {
    std::lock_guard lock(stripes_[i].mu);
    total += stripes_[i].evictions;
  }
  return total;
}

Result<std::unique_ptr<CacheConnector>> NewMemoryCache(std::string_view options_json) {
  STRATA_ASSIGN_OR_RETURN(MemoryCacheOptions options, ParseMemoryCacheOptions(options_json));
  return std::unique_ptr<CacheConnector>(std::make_unique<MemoryCache>(options));
}

}  // namespace strata
