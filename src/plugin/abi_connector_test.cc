#include "plugin/abi_connector.h"

#include <stdlib.h>

#include <filesystem>
#include <future>
#include <vector>

#include <gtest/gtest.h>

namespace strata {
namespace {

namespace fs = std::filesystem;

template <typename T>
T Wait(const std::function<void(std::function<void(T)>)>& op) {
  auto promise = std::make_shared<std::promise<T>>();
  std::future<T> future = promise->get_future();
  op([promise](T value) { promise->set_value(std::move(value)); });
  return future.get();
}

class AbiConnectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "strata-abi-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    Result<std::shared_ptr<PluginLibrary>> library = PluginLibrary::Open(STRATA_TEMPLATE_PLUGIN);
    ASSERT_TRUE(library.ok()) << library.status().ToString();
    library_ = *library;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Options() const { return R"({"path":")" + dir_ + R"(/records"})"; }

  std::unique_ptr<AbiConnector> MakeStarted() {
    Result<std::unique_ptr<AbiConnector>> made =
        AbiConnector::Create(library_, STRATA_ROLE_STORAGE, Options());
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    if (!made.ok()) return nullptr;
    std::unique_ptr<AbiConnector> connector = std::move(*made);
    connector->SetEventListener([this](ConnectorEvent e, std::string_view name, const Status& s) {
      std::lock_guard lock(mu_);
      events_.push_back({e, std::string(name), s});
    });
    Status started = Wait<Status>([&](DoneCallback cb) { connector->Start(std::move(cb)); });
    EXPECT_TRUE(started.ok()) << started.ToString();
    return connector;
  }

  Status Set(AbiConnector& c, const std::string& name, RecordValue value) {
    return Wait<Status>([&](DoneCallback cb) { c.Set(name, value, std::move(cb)); });
  }
  Result<std::optional<RecordValue>> Get(AbiConnector& c, const std::string& name) {
    return Wait<Result<std::optional<RecordValue>>>(
        [&](Callback<std::optional<RecordValue>> cb) { c.Get(name, std::move(cb)); });
  }

  struct Event {
    ConnectorEvent kind;
    std::string connector;
    Status detail;
  };
  std::string dir_;
  std::shared_ptr<PluginLibrary> library_;
  std::mutex mu_;
  std::vector<Event> events_;  // guarded by mu_
};

TEST_F(AbiConnectorTest, OperationsCrossTheAbi) {
  std::unique_ptr<AbiConnector> c = MakeStarted();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->Name(), "template");
  Result<std::optional<RecordValue>> missing = Get(*c, "nothing");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  ASSERT_TRUE(Set(*c, "user/1", RecordValue{3, R"({"a":1})"}).ok());
  Result<std::optional<RecordValue>> got = Get(*c, "user/1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, std::optional<RecordValue>(RecordValue{3, R"({"a":1})"}));
  // The template has no head: the connector answers it from get.
  Result<std::optional<Version>> head = Wait<Result<std::optional<Version>>>(
      [&](Callback<std::optional<Version>> cb) { c->Head("user/1", std::move(cb)); });
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(*head, std::optional<Version>(3));
  std::vector<NamedValue> batch = {{"b/1", {1, "{}"}}, {"b/2", {2, "[]"}}};
  EXPECT_TRUE(Wait<Status>([&](DoneCallback cb) { c->SetBulk(batch, std::move(cb)); }).ok());
  EXPECT_EQ(*Get(*c, "b/2"), std::optional<RecordValue>(RecordValue{2, "[]"}));
  std::vector<std::string> names = {"b/1", "b/2", "user/1"};
  // get_bulk answers in the order asked, a missing name included.
  std::vector<std::string> asked = {"user/1", "b/none", "b/1"};
  Result<GetBulkResult> bulk = Wait<Result<GetBulkResult>>(
      [&](Callback<GetBulkResult> cb) { c->GetBulk(asked, std::move(cb)); });
  ASSERT_TRUE(bulk.ok()) << bulk.status().ToString();
  EXPECT_EQ(*bulk,
            (GetBulkResult{RecordValue{3, R"({"a":1})"}, std::nullopt, RecordValue{1, "{}"}}));
  EXPECT_TRUE(Wait<Status>([&](DoneCallback cb) { c->DeleteBulk(names, std::move(cb)); }).ok());
  EXPECT_FALSE(Get(*c, "user/1")->has_value());
  EXPECT_TRUE(Wait<Status>([&](DoneCallback cb) { c->Close(std::move(cb)); }).ok());
}

TEST_F(AbiConnectorTest, ConnectionEventsReachTheListener) {
  std::unique_ptr<AbiConnector> c = MakeStarted();
  ASSERT_NE(c, nullptr);
  fs::remove_all(dir_ + "/records");  // the template's "server went away"
  Status failed = Set(*c, "r", RecordValue{1, "{}"});
  EXPECT_EQ(failed.code(), StatusCode::kUnavailable) << failed.ToString();
  fs::create_directories(dir_ + "/records");
  EXPECT_TRUE(Set(*c, "r", RecordValue{1, "{}"}).ok());
  std::lock_guard lock(mu_);
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_EQ(events_[0].kind, ConnectorEvent::kConnectionLost);
  EXPECT_EQ(events_[0].connector, "template");
  EXPECT_EQ(events_[0].detail.code(), StatusCode::kUnavailable);
  EXPECT_NE(events_[0].detail.message().find("is gone"), std::string_view::npos);
  EXPECT_EQ(events_[1].kind, ConnectorEvent::kConnectionRestored);
}

TEST_F(AbiConnectorTest, BadOptionsAreRefusedWithTheConnectorsMessage) {
  Result<std::unique_ptr<AbiConnector>> made =
      AbiConnector::Create(library_, STRATA_ROLE_STORAGE, R"({"paht":"x"})");
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(made.status().message(),
            "connector 'template': options.paht: unknown option (known: path)");
}

TEST_F(AbiConnectorTest, RoleTheLibraryDoesNotOfferIsRefused) {
  Result<std::unique_ptr<AbiConnector>> made =
      AbiConnector::Create(library_, STRATA_ROLE_CACHE, Options());
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(made.status().message(), "connector 'template' (" STRATA_TEMPLATE_PLUGIN
                                     ") cannot serve as cache; it offers: storage");
}

TEST_F(AbiConnectorTest, DestroyingAStartedConnectorClosesItFirst) {
  std::unique_ptr<AbiConnector> c = MakeStarted();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(Set(*c, "kept", RecordValue{1, "{}"}).ok());
  c.reset();  // must close (flushing the queue) and destroy without hanging
  std::unique_ptr<AbiConnector> again = MakeStarted();
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(*Get(*again, "kept"), std::optional<RecordValue>(RecordValue{1, "{}"}));
}

TEST(AbiConnectorBadLibraryTest, GetBulkWithTooFewResultsFailsTheBatch) {
  Result<std::shared_ptr<PluginLibrary>> library =
      PluginLibrary::Open(STRATA_SHORT_GET_BULK_PLUGIN);
  ASSERT_TRUE(library.ok()) << library.status().ToString();
  Result<std::unique_ptr<AbiConnector>> made =
      AbiConnector::Create(*library, STRATA_ROLE_STORAGE, "{}");
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  AbiConnector& c = **made;
  ASSERT_TRUE(Wait<Status>([&](DoneCallback cb) { c.Start(std::move(cb)); }).ok());
  std::vector<std::string> names = {"a", "b", "c"};
  Result<GetBulkResult> bulk = Wait<Result<GetBulkResult>>(
      [&](Callback<GetBulkResult> cb) { c.GetBulk(names, std::move(cb)); });
  ASSERT_FALSE(bulk.ok());
  EXPECT_EQ(bulk.status().code(), StatusCode::kInternal);
  EXPECT_EQ(bulk.status().message(), "get_bulk answered 2 results for 3 names");
  EXPECT_TRUE(Wait<Status>([&](DoneCallback cb) { c.Close(std::move(cb)); }).ok());
}

Result<std::unique_ptr<AbiConnector>> StartedFrom(const char* path, std::string_view options) {
  Result<std::shared_ptr<PluginLibrary>> library = PluginLibrary::Open(path);
  if (!library.ok()) return library.status();
  Result<std::unique_ptr<AbiConnector>> made =
      AbiConnector::Create(*library, STRATA_ROLE_STORAGE, options);
  if (!made.ok()) return made.status();
  STRATA_RETURN_IF_ERROR(Wait<Status>([&](DoneCallback cb) { (*made)->Start(std::move(cb)); }));
  return made;
}

Result<FencedResult> SetFenced(AbiConnector& c, std::vector<FencedValue> batch) {
  return Wait<Result<FencedResult>>(
      [&](Callback<FencedResult> cb) { c.SetBulkFenced(batch, std::move(cb)); });
}

Result<FencedResult> DeleteFenced(AbiConnector& c, std::vector<FencedName> names) {
  return Wait<Result<FencedResult>>(
      [&](Callback<FencedResult> cb) { c.DeleteBulkFenced(names, std::move(cb)); });
}

TEST(AbiConnectorFencedTest, FencedWritesCrossTheAbiBothWays) {
  Result<std::unique_ptr<AbiConnector>> made = StartedFrom(STRATA_FENCED_PLUGIN, "{}");
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  AbiConnector& c = **made;
  EXPECT_TRUE(c.SupportsFencing());
  // A batch: two new rows applied.
  Result<FencedResult> first =
      SetFenced(c, {{"a", {1, R"({"v":1})"}, 10}, {"b", {1, R"({"v":1})"}, 10}});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(*first, (FencedResult{true, true}));
  // Mixed: "a" older (fenced, unchanged), "b" newer (applied).
  Result<FencedResult> mixed =
      SetFenced(c, {{"a", {2, R"({"v":2})"}, 9}, {"b", {2, R"({"v":2})"}, 11}});
  ASSERT_TRUE(mixed.ok()) << mixed.status().ToString();
  EXPECT_EQ(*mixed, (FencedResult{false, true}));
  Result<std::optional<RecordValue>> a = Wait<Result<std::optional<RecordValue>>>(
      [&](Callback<std::optional<RecordValue>> cb) { c.Get("a", std::move(cb)); });
  EXPECT_EQ(*a, std::optional<RecordValue>(RecordValue{1, R"({"v":1})"}));
  // A tombstone: the record reads as missing, an older set is fenced, a newer one re-creates it.
  Result<FencedResult> deleted = DeleteFenced(c, {{"a", 20}, {"never", 5}, {"b", 3}});
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(*deleted, (FencedResult{true, true, false}));
  Result<GetBulkResult> bulk = Wait<Result<GetBulkResult>>([&](Callback<GetBulkResult> cb) {
    c.GetBulk(std::vector<std::string>{"a", "b"}, std::move(cb));
  });
  ASSERT_TRUE(bulk.ok()) << bulk.status().ToString();
  EXPECT_EQ(*bulk, (GetBulkResult{std::nullopt, RecordValue{2, R"({"v":2})"}}));
  EXPECT_EQ(*SetFenced(c, {{"a", {0, "{}"}, 19}}), (FencedResult{false}));
  EXPECT_EQ(*SetFenced(c, {{"a", {0, "{}"}, 21}}), (FencedResult{true}));
  EXPECT_TRUE(SetFenced(c, {})->empty());
  EXPECT_TRUE(DeleteFenced(c, {})->empty());
  EXPECT_TRUE(Wait<Status>([&](DoneCallback cb) { c.Close(std::move(cb)); }).ok());
}

TEST(AbiConnectorFencedTest, ConnectorWithoutFencingAnswersFailedPrecondition) {
  // Exported by the SDK but not supporting fencing: the capability bit stays clear.
  Result<std::unique_ptr<AbiConnector>> made =
      StartedFrom(STRATA_FENCED_PLUGIN, R"({"fenced":false})");
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_FALSE((*made)->SupportsFencing());
  Result<FencedResult> set = SetFenced(**made, {{"a", {1, "{}"}, 1}});
  EXPECT_EQ(set.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(set.status().message(), "fenced-memory does not support fenced writes");
  Result<FencedResult> del = DeleteFenced(**made, {{"a", 1}});
  EXPECT_EQ(del.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Wait<Status>([&](DoneCallback cb) { (*made)->Close(std::move(cb)); }).ok());
}

TEST_F(AbiConnectorTest, LibraryWithoutTheCapabilityDoesNotSupportFencing) {
  std::unique_ptr<AbiConnector> c = MakeStarted();
  ASSERT_NE(c, nullptr);
  EXPECT_FALSE(c->SupportsFencing());
  Result<FencedResult> set = SetFenced(*c, {{"a", {1, "{}"}, 1}});
  EXPECT_EQ(set.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(set.status().message(), "template does not support fenced writes");
  EXPECT_TRUE(Wait<Status>([&](DoneCallback cb) { c->Close(std::move(cb)); }).ok());
}

TEST(AbiConnectorFencedTest, VtableTooShortForTheFencedFunctionsIsNotFenced) {
  Result<std::unique_ptr<AbiConnector>> made = StartedFrom(STRATA_SHORT_GET_BULK_PLUGIN, "old");
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_FALSE((*made)->SupportsFencing());
  EXPECT_EQ(SetFenced(**made, {{"a", {1, "{}"}, 1}}).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Wait<Status>([&](DoneCallback cb) { (*made)->Close(std::move(cb)); }).ok());
}

TEST(AbiConnectorFencedTest, MalformedFencedAnswersFailTheBatch) {
  Result<std::unique_ptr<AbiConnector>> made = StartedFrom(STRATA_SHORT_GET_BULK_PLUGIN, "{}");
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  ASSERT_TRUE((*made)->SupportsFencing());
  Result<FencedResult> set = SetFenced(**made, {{"a", {1, "{}"}, 1}, {"b", {1, "{}"}, 1}});
  EXPECT_EQ(set.status().code(), StatusCode::kInternal);
  EXPECT_EQ(set.status().message(), "set_bulk_fenced answered 1 results for 2 rows");
  Result<FencedResult> del = DeleteFenced(**made, {{"a", 1}});
  EXPECT_EQ(del.status().code(), StatusCode::kInternal);
  EXPECT_EQ(del.status().message(), "delete_bulk_fenced answered 1 results for 1 rows");
  EXPECT_TRUE(Wait<Status>([&](DoneCallback cb) { (*made)->Close(std::move(cb)); }).ok());
}

TEST(StatusFromAbiTest, MapsCodesAndKeepsMessages) {
  EXPECT_TRUE(StatusFromAbi(STRATA_OK, strata_str{}).ok());
  Status s = StatusFromAbi(STRATA_UNAVAILABLE, strata_str{"down", 4});
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "down");
  EXPECT_EQ(StatusFromAbi(42, strata_str{"x", 1}).code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace strata
