// The exchange journal file: what is written survives a reopen, a torn last line is cut off,
// and compaction keeps only what is not forgotten.
#include "store/file_exchange_journal.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace linkhub::store {
namespace {

class FileExchangeJournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/linkhub-journal-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/exchange-journal";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Contents() const {
    std::ifstream in(path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  static domain::LinkedAccount Answer() {
    domain::LinkedAccount a;
    a.id = "acc_1";
    a.project_id = "proj_a";
    a.origin_owner_id = "owner-1";
    a.origin_owner_name = "Owner One";
    a.label = "Main bank";
    a.type = "test";
    a.environment = "sandbox";
    a.products = {"transactions"};
    a.institution_id = "ins_1";
    a.accounts_json = R"([{"account_id":"x"}])";
    a.access_token_sealed = "v1:sealed-token";
    a.item_id_sealed = "v1:sealed-item";
    a.item_id_hash = "hash";
    a.connect_session_id = 7;
    a.created_at = TimePoint(std::chrono::milliseconds(1'800'000'000'123));
    return a;
  }

  std::string dir_, path_;
};

TEST_F(FileExchangeJournalTest, WhatIsRecordedIsReadBackAfterAReopen) {
  {
    auto j = FileExchangeJournal::Open(path_);
    ASSERT_TRUE(j) << j.error().message;
    ASSERT_TRUE((*j)->RecordSending("exch_1"));
    ASSERT_TRUE((*j)->RecordAnswer("exch_1", Answer()));
    ASSERT_TRUE((*j)->RecordSending("exch_2"));
    ASSERT_TRUE((*j)->RecordSending("exch_3"));
    ASSERT_TRUE((*j)->RecordRemoved("exch_3"));
  }
  EXPECT_EQ(std::filesystem::status(path_).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto j = FileExchangeJournal::Open(path_);
  ASSERT_TRUE(j);
  auto read = (*j)->Read();
  ASSERT_TRUE(read);
  ASSERT_EQ(read->size(), 3u);
  const JournalEntry& first = read->at("exch_1");
  EXPECT_TRUE(first.sent);
  ASSERT_TRUE(first.answer.has_value());
  const domain::LinkedAccount& a = *first.answer;
  domain::LinkedAccount want = Answer();
  EXPECT_EQ(a.id, want.id);
  EXPECT_EQ(a.project_id, want.project_id);
  EXPECT_EQ(a.origin_owner_name, want.origin_owner_name);
  EXPECT_EQ(a.label, want.label);
  EXPECT_EQ(a.origin_username, std::nullopt);
  EXPECT_EQ(a.type, want.type);
  EXPECT_EQ(a.products, want.products);
  EXPECT_EQ(a.institution_id, want.institution_id);
  EXPECT_EQ(a.institution_name, std::nullopt);
  EXPECT_EQ(a.accounts_json, want.accounts_json);
  EXPECT_EQ(a.access_token_sealed, want.access_token_sealed);
  EXPECT_EQ(a.item_id_sealed, want.item_id_sealed);
  EXPECT_EQ(a.item_id_hash, want.item_id_hash);
  EXPECT_EQ(a.connect_session_id, 7);
  EXPECT_EQ(a.created_at, want.created_at);
  EXPECT_TRUE(read->at("exch_2").sent);
  EXPECT_FALSE(read->at("exch_2").answer.has_value());
  EXPECT_TRUE(read->at("exch_3").removed);
}

TEST_F(FileExchangeJournalTest, ATornLastLineIsCutOffAndTheNextRecordStandsAlone) {
  {
    auto j = FileExchangeJournal::Open(path_);
    ASSERT_TRUE(j);
    ASSERT_TRUE((*j)->RecordSending("exch_1"));
  }
  {
    std::ofstream out(path_, std::ios::app);
    out << R"({"e":"exch_2","t":"ans)";  // a write the crash cut short
  }
  auto j = FileExchangeJournal::Open(path_);
  ASSERT_TRUE(j);
  ASSERT_TRUE((*j)->RecordSending("exch_3"));
  auto read = (*j)->Read();
  ASSERT_TRUE(read);
  EXPECT_EQ(read->size(), 2u);
  EXPECT_TRUE(read->contains("exch_1"));
  EXPECT_TRUE(read->contains("exch_3"));
  EXPECT_EQ(Contents().find("exch_2"), std::string::npos);
}

TEST_F(FileExchangeJournalTest, CompactionKeepsOnlyWhatIsNotForgotten) {
  auto j = FileExchangeJournal::Open(path_);
  ASSERT_TRUE(j);
  ASSERT_TRUE((*j)->RecordSending("exch_1"));
  ASSERT_TRUE((*j)->RecordAnswer("exch_1", Answer()));
  ASSERT_TRUE((*j)->RecordSending("exch_2"));
  (*j)->Forget("exch_1");
  ASSERT_TRUE((*j)->Compact());
  EXPECT_EQ(Contents(), "{\"e\":\"exch_2\",\"t\":\"sending\"}\n");
  // It goes on appending to the compacted file.
  ASSERT_TRUE((*j)->RecordSending("exch_3"));
  auto reopened = FileExchangeJournal::Open(path_);
  ASSERT_TRUE(reopened);
  auto read = (*reopened)->Read();
  ASSERT_TRUE(read);
  EXPECT_EQ(read->size(), 2u);
  EXPECT_FALSE(read->contains("exch_1"));
  EXPECT_FALSE(std::filesystem::exists(path_ + ".tmp"));
}

TEST_F(FileExchangeJournalTest, ItCompactsItselfOnceItOutgrowsItsLimit) {
  auto j = FileExchangeJournal::Open(path_, /*compact_at=*/512);
  ASSERT_TRUE(j);
  for (int i = 0; i < 100; ++i) {
    std::string id = "exch_" + std::to_string(i);
    ASSERT_TRUE((*j)->RecordSending(id));
    ASSERT_TRUE((*j)->RecordAnswer(id, Answer()));
    (*j)->Forget(id);
  }
  ASSERT_TRUE((*j)->RecordSending("exch_open"));
  EXPECT_LT(std::filesystem::file_size(path_), 1024u);
  auto read = (*j)->Read();
  ASSERT_TRUE(read);
  EXPECT_EQ(read->size(), 1u);
  EXPECT_TRUE(read->contains("exch_open"));
}

TEST_F(FileExchangeJournalTest, AJournalThatCannotBeOpenedSaysWhere) {
  auto j = FileExchangeJournal::Open(dir_ + "/missing/exchange-journal");
  ASSERT_FALSE(j);
  EXPECT_NE(j.error().message.find("missing/exchange-journal"), std::string::npos);
}

}  // namespace
}  // namespace linkhub::store
