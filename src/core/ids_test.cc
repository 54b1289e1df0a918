#include "core/ids.h"

#include <gtest/gtest.h>

#include <set>

namespace linkhub {
namespace {

TEST(IdsTest, UuidIsVersion4AndCanonical) {
  SecureRandom random;
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    std::string id = NewUuid(random);
    ASSERT_TRUE(IsUuid(id)) << id;
    EXPECT_EQ(id[14], '4');
    EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos);
    EXPECT_TRUE(seen.insert(id).second);
  }
  EXPECT_FALSE(IsUuid("AF1A0311-DA53-4636-B754-DD15CC058176"));
  EXPECT_FALSE(IsUuid("af1a0311da534636b754dd15cc058176"));
}

TEST(IdsTest, SeededRandomIsReproducible) {
  SeededRandom a(7), b(7);
  EXPECT_EQ(NewBase62(a, 37), NewBase62(b, 37));
  std::string id = NewBase62(a, 37);
  EXPECT_EQ(id.size(), 37u);
  for (char c : id) {
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << id;
  }
}

TEST(IdsTest, UniformStaysInRange) {
  SeededRandom r(1);
  for (int i = 0; i < 1000; ++i) {
    auto v = r.Uniform(3, 5);
    EXPECT_GE(v, 3u);
    EXPECT_LE(v, 5u);
  }
}

}  // namespace
}  // namespace linkhub
