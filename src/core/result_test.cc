#include "core/result.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace linkhub {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) {
    return Unexpected(MakeError(ErrorCode::kInvalidArgument, "odd"));
  }
  return x / 2;
}

Result<int> Quarter(int x) {
  LINKHUB_ASSIGN_OR_RETURN(int h, Half(x));
  LINKHUB_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

Status CheckEven(int x) {
  LINKHUB_RETURN_IF_ERROR(Half(x));
  return OkStatus();
}

TEST(ResultTest, ValueAndError) {
  auto ok = Half(8);
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(*ok, 4);
  auto bad = Half(3);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().message, "odd");
}

TEST(ResultTest, AssignOrReturnPropagatesFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  auto r = Quarter(6);  // 6 -> 3 -> odd
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "odd");
}

TEST(ResultTest, StatusPropagates) {
  EXPECT_TRUE(CheckEven(2));
  EXPECT_FALSE(CheckEven(1));
}

TEST(ResultTest, MoveOnlyValues) {
  Result<std::unique_ptr<std::string>> r = std::make_unique<std::string>("x");
  ASSERT_TRUE(r);
  std::unique_ptr<std::string> p = std::move(r).value();
  EXPECT_EQ(*p, "x");
}

TEST(ResultDeathTest, ValueOfErrorAborts) {
  auto bad = Half(1);
  EXPECT_DEATH((void)bad.value(), "check failed");
}

}  // namespace
}  // namespace linkhub
