// The record channel's message format (record_change.h): what the functions publish decodes back
// into the change, and damaged messages are refused.

#include "cluster/record_change.h"

#include <gtest/gtest.h>

#include "record/record_messages.h"

namespace strata::cluster {
namespace {

namespace msgs = record_messages;

// What a subscriber of another node would get for a write, after the functions added the kind
// and seq.
RecordChange RoundTrip(const RecordValue& value, const Message& broadcast, uint64_t seq) {
  EncodedChange encoded = EncodeWrite(Origin{"n1", 7}, value, broadcast);
  Result<RecordChange> change =
      DecodeChange(encoded.kind + " " + std::to_string(seq) + " " + encoded.rest);
  EXPECT_TRUE(change.ok()) << change.status().ToString();
  return change.ok() ? *change : RecordChange{};
}

TEST(RecordChange, UpdateCarriesTheWholeRecord) {
  RecordValue value{3, "{\"a\":\"x y\\nz\"}"};
  RecordChange c = RoundTrip(value, msgs::Update("rec", 3, value.json), 1700000000000001);
  EXPECT_EQ(c.kind, 'U');
  EXPECT_EQ(c.seq, 1700000000000001u);
  EXPECT_EQ(c.origin.node, "n1");
  EXPECT_EQ(c.origin.client_id, 7u);
  EXPECT_EQ(c.value, value);
  EXPECT_EQ(ToMessage("rec", c), msgs::Update("rec", 3, value.json));
}

TEST(RecordChange, PatchAndEraseKeepTheirPathAndTheWholeRecord) {
  RecordValue value{4, "{\"a\":{\"b\":[1, 2]}}"};
  Message patch = msgs::Patch("rec", 4, "a.b", std::string("[1, 2]"));
  RecordChange c = RoundTrip(value, patch, 9);
  EXPECT_EQ(c.kind, 'P');
  EXPECT_EQ(c.path, "a.b");
  EXPECT_EQ(c.patch, "[1, 2]");
  EXPECT_EQ(c.value, value);
  EXPECT_EQ(ToMessage("rec", c), patch);

  Message erase = msgs::Patch("rec", 5, "a", std::nullopt);
  RecordChange e = RoundTrip(RecordValue{5, "{}"}, erase, 10);
  EXPECT_EQ(e.kind, 'E');
  EXPECT_EQ(e.path, "a");
  EXPECT_FALSE(e.patch.has_value());
  EXPECT_EQ(ToMessage("rec", e), erase);
}

TEST(RecordChange, DeleteHasOnlyItsOrigin) {
  Result<RecordChange> d = DecodeChange("D 12 n2:0");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->kind, 'D');
  EXPECT_EQ(d->origin.node, "n2");
  EXPECT_FALSE(d->value.has_value());
  EXPECT_EQ(ToMessage("rec", *d), msgs::Named(record_action::kDeleted, "rec"));
}

TEST(RecordChange, DamagedMessagesAreRefused) {
  for (const char* bad : {"", "U", "U x n1:1 3\n{}", "U 1 n1 3\n{}", "U 1 n1:1 v\n{}",
                          "P 1 n1:1 3 9 9\nab", "X 1 n1:1 3\n{}", "E 1 n1:1 3\n{}"}) {
    EXPECT_FALSE(DecodeChange(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace strata::cluster
