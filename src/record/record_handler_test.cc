#include "record/record_handler.h"

#include <gtest/gtest.h>

#include "testing/fake_client.h"
#include "testing/fake_connector.h"
#include "testing/manual_loop.h"

namespace strata {
namespace {

using namespace std::chrono_literals;
using testing::FakeClient;
using testing::FakeConnector;
using testing::ManualLoop;
namespace ra = record_action;

class RecordHandlerTest : public ::testing::Test {
 protected:
  RecordHandlerTest()
      : store_(RecordStoreOptions{}, cache_, storage_, loop_), handler_(options_, store_) {}

  void Send(const std::shared_ptr<FakeClient>& c, Message m) {
    m.topic = Topic::kRecord;
    handler_.Handle(c, std::move(m));
    loop_.RunUntilIdle();
  }
  void GetRecord(const std::shared_ptr<FakeClient>& c, std::string name) {
    Message m;
    m.action = ra::kSubscribeCreateAndRead;
    m.names = {std::move(name)};
    m.correlation_id = "0";
    Send(c, m);
  }
  Message Write(int32_t action, std::string name, int32_t version, std::optional<std::string> data,
                std::optional<std::string> path = {}) {
    Message m;
    m.action = action;
    m.name = std::move(name);
    m.version = version;
    m.data = std::move(data);
    m.path = std::move(path);
    return m;
  }
  Message WithAck(Message m, std::string cid) {
    m.is_write_ack = true;
    m.correlation_id = std::move(cid);
    return m;
  }

  ManualLoop loop_;
  FakeConnector cache_{"cache"};
  FakeConnector storage_{"storage"};
  RecordHandlerOptions options_;
  RecordStore store_;
  RecordHandler handler_;
  std::shared_ptr<FakeClient> alice_ = std::make_shared<FakeClient>(1, "alice");
  std::shared_ptr<FakeClient> bob_ = std::make_shared<FakeClient>(2, "bob");
};

TEST_F(RecordHandlerTest, GetRecordCreatesVersionZeroAndAnswersWithEveryField) {
  GetRecord(alice_, "a");
  auto reads = alice_->With(ra::kReadResponse);
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0].name, "a");
  EXPECT_EQ(reads[0].version, 0);  // present even though it is 0: the client needs it
  EXPECT_EQ(reads[0].data, "{}");
  EXPECT_EQ(storage_.data["a"], (RecordValue{0, "{}"}));
}

TEST_F(RecordHandlerTest, WritesReachOtherSubscribersButNeverTheWriter) {
  GetRecord(alice_, "a");
  GetRecord(bob_, "a");
  Send(alice_, Write(ra::kUpdate, "a", 1, R"({"n":1})"));
  Send(alice_, Write(ra::kPatch, "a", 2, "2", "n"));
  Send(alice_, Write(ra::kErase, "a", 3, std::nullopt, "n"));
  auto updates = bob_->With(ra::kUpdate);
  auto patches = bob_->With(ra::kPatch);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].data, R"({"n":1})");
  EXPECT_EQ(updates[0].version, 1);
  EXPECT_EQ(updates[0].is_write_ack, false);
  ASSERT_EQ(patches.size(), 2u);
  EXPECT_EQ(patches[0].data, "2");
  EXPECT_EQ(patches[0].path, "n");
  EXPECT_EQ(patches[1].version, 3);
  EXPECT_FALSE(patches[1].data.has_value());  // ERASE goes out as PATCH without data
  EXPECT_TRUE(alice_->With(ra::kUpdate).empty());
  EXPECT_TRUE(alice_->With(ra::kPatch).empty());
  EXPECT_EQ(cache_.data["a"], (RecordValue{3, "{}"}));
}

TEST_F(RecordHandlerTest, StaleVersionGetsVersionExistsWithCurrentData) {
  GetRecord(alice_, "a");
  Send(alice_, Write(ra::kUpdate, "a", 1, R"({"v":1})"));
  Send(bob_, WithAck(Write(ra::kUpdate, "a", 1, R"({"v":"bob"})"), "7"));
  auto conflicts = bob_->With(ra::kVersionExists);
  ASSERT_EQ(conflicts.size(), 1u);
  EXPECT_EQ(conflicts[0].version, 1);
  EXPECT_EQ(conflicts[0].data, R"({"v":1})");
  EXPECT_EQ(conflicts[0].original_action, ra::kUpdate);
  EXPECT_EQ(conflicts[0].is_write_ack, true);
  EXPECT_EQ(conflicts[0].correlation_id, "7");
  EXPECT_TRUE(bob_->With(ra::kWriteAcknowledgement).empty());
  EXPECT_EQ(cache_.data["a"].json, R"({"v":1})");
}

TEST_F(RecordHandlerTest, InvalidVersionDoesNotJamLaterWrites) {
  Send(alice_, Write(ra::kCreateAndUpdate, "r2", 1, "{}"));
  Send(alice_, Write(ra::kUpdate, "r2", 5, R"({"v":5})"));
  auto invalid = alice_->With(ra::kInvalidVersion);
  ASSERT_EQ(invalid.size(), 1u);
  EXPECT_EQ(invalid[0].version, 1);
  EXPECT_EQ(invalid[0].data, R"({"v":5})");
  Send(alice_, Write(ra::kUpdate, "r2", 2, R"({"v":2})"));
  EXPECT_TRUE(alice_->With(ra::kVersionExists).empty());
  EXPECT_EQ(cache_.data["r2"], (RecordValue{2, R"({"v":2})"}));
}

TEST_F(RecordHandlerTest, VersionMinusOneTakesTheNextVersion) {
  Send(alice_, Write(ra::kCreateAndUpdate, "b", -1, R"({"k":1})"));
  Send(alice_, Write(ra::kCreateAndPatch, "b", -1, "2", "k"));
  EXPECT_EQ(cache_.data["b"], (RecordValue{2, R"({"k":2})"}));
}

TEST_F(RecordHandlerTest, AckComesOnceAfterStorageHoldsTheWrite) {
  GetRecord(alice_, "a");
  storage_.hold = true;
  Send(alice_, WithAck(Write(ra::kUpdate, "a", 1, "{}"), "1"));
  EXPECT_TRUE(alice_->With(ra::kWriteAcknowledgement).empty());
  storage_.Release();
  loop_.RunUntilIdle();
  auto acks = alice_->With(ra::kWriteAcknowledgement);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].correlation_id, "1");
  EXPECT_EQ(acks[0].is_write_ack, true);
}

TEST_F(RecordHandlerTest, InterleavedWritersEachGetTheirOwnAck) {
  GetRecord(alice_, "a");
  storage_.hold = true;
  Send(alice_, WithAck(Write(ra::kUpdate, "a", -1, R"({"w":"a"})"), "10"));
  Send(bob_, WithAck(Write(ra::kUpdate, "a", -1, R"({"w":"b"})"), "20"));
  for (int i = 0; i < 4; ++i) {
    storage_.Release();
    loop_.RunUntilIdle();
  }
  ASSERT_EQ(alice_->With(ra::kWriteAcknowledgement).size(), 1u);
  ASSERT_EQ(bob_->With(ra::kWriteAcknowledgement).size(), 1u);
  EXPECT_EQ(alice_->With(ra::kWriteAcknowledgement)[0].correlation_id, "10");
  EXPECT_EQ(bob_->With(ra::kWriteAcknowledgement)[0].correlation_id, "20");
}

TEST_F(RecordHandlerTest, StorageFailureIsReportedInsteadOfAnAck) {
  GetRecord(alice_, "a");
  storage_.fail_with = Status::InvalidArgument("rejected by storage");
  storage_.fail_count = 1;
  Send(alice_, WithAck(Write(ra::kUpdate, "a", 1, "{}"), "3"));
  EXPECT_TRUE(alice_->With(ra::kWriteAcknowledgement).empty());
  auto errors = alice_->With(ra::kRecordUpdateError);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].is_error, true);
  EXPECT_EQ(errors[0].is_write_ack, true);
  EXPECT_EQ(errors[0].correlation_id, "3");
}

TEST_F(RecordHandlerTest, BadDataIsRejectedAndNothingChanges) {
  GetRecord(alice_, "a");
  Send(alice_, Write(ra::kUpdate, "a", 1, R"({"ok":1})"));
  const RecordValue before = cache_.data["a"];
  const size_t storage_writes = storage_.log.size();
  for (const char* bad : {"{not json", R"("str")", "42", ""}) {
    Send(alice_, Write(ra::kUpdate, "a", 2, bad));
  }
  Send(alice_, Write(ra::kPatch, "a", 2, "{bad", "x"));
  Send(alice_, Write(ra::kPatch, "a", 2, "1", std::string("")));
  Send(alice_, Write(ra::kUpdate, "a", 2, std::nullopt));
  auto invalid = alice_->With(ra::kInvalidMessageData);
  ASSERT_EQ(invalid.size(), 7u);
  EXPECT_EQ(invalid[1].original_action, ra::kUpdate);
  EXPECT_EQ(invalid[1].data, R"("str")");
  EXPECT_EQ(cache_.data["a"], before);
  EXPECT_EQ(storage_.log.size(), storage_writes);
}

TEST_F(RecordHandlerTest, UpdateOfMissingRecordWithoutAckFails) {
  Send(alice_, Write(ra::kUpdate, "none", 1, "{}"));
  auto errors = alice_->With(ra::kRecordUpdateError);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].name, "none");
  EXPECT_FALSE(cache_.data.contains("none"));
}

TEST_F(RecordHandlerTest, DeleteTellsTheDeleterAndOthersThenUnsubscribes) {
  GetRecord(alice_, "a");
  GetRecord(bob_, "a");
  Message del;
  del.action = ra::kDelete;
  del.name = "a";
  Send(alice_, del);
  EXPECT_EQ(alice_->With(ra::kDeleteSuccess).size(), 1u);
  EXPECT_EQ(bob_->With(ra::kDeleted).size(), 1u);
  EXPECT_TRUE(alice_->With(ra::kDeleted).empty());
  EXPECT_FALSE(handler_.subscriptions().HasSubscribers("a"));
  EXPECT_FALSE(storage_.data.contains("a"));
  // A later getRecord creates it afresh.
  GetRecord(bob_, "a");
  EXPECT_EQ(bob_->With(ra::kReadResponse).back().version, 0);
}

TEST_F(RecordHandlerTest, ReadAndHeadOfMissingRecord) {
  Message read;
  read.action = ra::kRead;
  read.name = "missing";
  Send(alice_, read);
  auto nf = alice_->With(ra::kRecordNotFound);
  ASSERT_EQ(nf.size(), 1u);
  EXPECT_EQ(nf[0].is_error, true);
  EXPECT_EQ(nf[0].original_action, ra::kRead);
  Message head;
  head.action = ra::kHead;
  head.name = "missing";
  Send(alice_, head);
  auto heads = alice_->With(ra::kHeadResponse);
  ASSERT_EQ(heads.size(), 1u);
  EXPECT_EQ(heads[0].version, -1);
}

TEST_F(RecordHandlerTest, SubscribeAndReadDoesNotCreate) {
  Message m;
  m.action = ra::kSubscribeAndRead;
  m.names = {"m3"};
  Send(alice_, m);
  auto reads = alice_->With(ra::kReadResponse);
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0].version, -1);
  EXPECT_EQ(reads[0].data, "{}");
  EXPECT_FALSE(cache_.data.contains("m3"));
}

TEST_F(RecordHandlerTest, NotifyRereadsFromStorageForEverySubscriber) {
  GetRecord(alice_, "n1");
  GetRecord(bob_, "n1");
  storage_.data["n1"] = {5, R"({"ext":true})"};  // changed behind strata's back
  std::optional<Status> done;
  handler_.Notify({"n1"}, [&](Status s) { done = s; });
  loop_.RunUntilIdle();
  ASSERT_TRUE(done && done->ok());
  for (auto* c : {alice_.get(), bob_.get()}) {
    auto updates = c->With(ra::kUpdate);
    ASSERT_EQ(updates.size(), 1u);
    EXPECT_EQ(updates[0].version, 5);
    EXPECT_EQ(updates[0].data, R"({"ext":true})");
  }
}

TEST_F(RecordHandlerTest, ClientRemovalDropsItsSubscriptions) {
  GetRecord(alice_, "a");
  GetRecord(bob_, "a");
  handler_.RemoveClient(bob_->id());
  Send(alice_, Write(ra::kUpdate, "a", 1, "{}"));
  EXPECT_TRUE(bob_->With(ra::kUpdate).empty());
}

TEST_F(RecordHandlerTest, ClientThatLeftWhileTheRecordLoadedIsNotSubscribed) {
  storage_.hold = true;  // the record's load waits on storage
  GetRecord(alice_, "slow");
  alice_->connected_flag = false;
  handler_.RemoveClient(alice_->id());
  storage_.Release();
  loop_.RunUntilIdle();
  storage_.hold = false;
  loop_.RunUntilIdle();
  EXPECT_FALSE(handler_.subscriptions().HasSubscribers("slow"));
  EXPECT_TRUE(alice_->With(ra::kReadResponse).empty());
}

TEST_F(RecordHandlerTest, HotPathWritesAreUnversionedAndPatchesRejected) {
  options_.storage_hot_path_prefixes = {"hot/"};
  RecordHandler handler(options_, store_);
  handler.Handle(alice_, Write(ra::kCreateAndUpdate, "hot/x", 17, R"({"a":1})"));
  handler.Handle(alice_, Write(ra::kCreateAndPatch, "hot/x", 2, "1", "a"));
  loop_.RunUntilIdle();
  EXPECT_EQ(cache_.data["hot/x"], (RecordValue{0, R"({"a":1})"}));
  EXPECT_EQ(alice_->With(ra::kInvalidPatchOnHotpath).size(), 1u);
}

}  // namespace
}  // namespace strata
