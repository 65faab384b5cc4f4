// SPDX-License-Identifier: Apache-2.0
#include "user.h"

#include <gtest/gtest.h>

namespace rlimit_init {
namespace {

constexpr char kPasswd[] =
    "root:x:0:0:root:/root:/bin/bash\n"
    "# a comment line\n"
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "app:x:1000:1000:App:/home/app:/bin/sh\n"
    "broken line\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
constexpr char kGroup[] =
    "root:x:0:\n"
    "sudo:x:27:app,other\n"
    "app:x:1000:\n"
    "video:x:44:app\n"
    "staff:x:50:other\n";

UserIds Resolved(const char* text) {
  Result<UserIds> ids = ResolveUser(ParseUserSpec(text).value(), kPasswd, kGroup);
  EXPECT_TRUE(ids.ok()) << ids.error();
  return ids.ok() ? ids.value() : UserIds{};
}

TEST(User, NamedUserGetsPasswdGidAndListedGroups) {
  UserIds ids = Resolved("app");
  EXPECT_EQ(ids.uid, 1000u);
  EXPECT_EQ(ids.gid, 1000u);
  EXPECT_EQ(ids.groups, (std::vector<std::uint32_t>{1000, 27, 44}));
  EXPECT_EQ(DescribeIds(ids), "1000:1000 (groups 1000,27,44)");
}

TEST(User, NumericUidInPasswdIsTreatedAsThatUser) {
  UserIds ids = Resolved("1000");
  EXPECT_EQ(ids.gid, 1000u);
  EXPECT_EQ(ids.groups, (std::vector<std::uint32_t>{1000, 27, 44}));
}

TEST(User, UnknownNumericUidGetsItsOwnNumberAsGidNeverRoot) {
  UserIds ids = Resolved("4242");
  EXPECT_EQ(ids.uid, 4242u);
  EXPECT_EQ(ids.gid, 4242u);
  EXPECT_EQ(ids.groups, (std::vector<std::uint32_t>{4242}));
}

TEST(User, ExplicitGroupByNumberOrName) {
  UserIds by_number = Resolved("4242:50");
  EXPECT_EQ(by_number.gid, 50u);
  EXPECT_EQ(by_number.groups, (std::vector<std::uint32_t>{50}));
  UserIds by_name = Resolved("app:staff");
  EXPECT_EQ(by_name.gid, 50u);
  EXPECT_EQ(by_name.groups, (std::vector<std::uint32_t>{50, 27, 44}));
}

TEST(User, UnknownNamesAreErrors) {
  EXPECT_EQ(ResolveUser(ParseUserSpec("ghost").value(), kPasswd, kGroup).error(),
            "user \"ghost\" is not in /etc/passwd");
  EXPECT_EQ(ResolveUser(ParseUserSpec("app:ghosts").value(), kPasswd, kGroup).error(),
            "group \"ghosts\" is not in /etc/group");
  EXPECT_EQ(ResolveUser(ParseUserSpec("app").value(), "", "").error(),
            "user \"app\" is not in /etc/passwd");
}

TEST(User, FirstMatchingEntryWinsAndBrokenEntriesAreSkipped) {
  const char* passwd =
      "app:x:1000:bad:App:/home/app:/bin/sh\n"
      "app:x:1001:1001:App:/home/app:/bin/sh\n"
      "app:x:1002:1002:App:/home/app:/bin/sh\n";
  const char* group =
      "staff:x:bad:\n"
      "staff:x:50:\n"
      "staff:x:51:\n"
      "one:x:60:,app\n"
      "two:x:61:app,app\n"
      "bad:x:none:app\n"
      "short:x:62\n";
  Result<UserIds> ids = ResolveUser(ParseUserSpec("app:staff").value(), passwd, group);
  ASSERT_TRUE(ids.ok()) << ids.error();
  EXPECT_EQ(ids.value().uid, 1001u);
  EXPECT_EQ(ids.value().gid, 50u);
  EXPECT_EQ(ids.value().groups, (std::vector<std::uint32_t>{50, 60, 61}));
}

TEST(User, SpecFormIsChecked) {
  EXPECT_EQ(ParseUserSpec("").error(), "the user is empty");
  EXPECT_EQ(ParseUserSpec("1000:").error(), "the group is empty");
  EXPECT_EQ(ParseUserSpec("4294967295").error(),
            "the user id 4294967295 is out of range (at most 4294967294)");
  EXPECT_EQ(ParseUserSpec("99999999999").error(),
            "the user id 99999999999 is out of range (at most 4294967294)");
  EXPECT_EQ(ParseUserSpec("-1").error(), "\"-1\" is not a valid user name or number");
  EXPECT_EQ(ParseUserSpec("app:9x y").error(), "\"9x y\" is not a valid group name or number");
  EXPECT_EQ(ParseUserSpec("a:b:c").error(), "\"b:c\" is not a valid group name or number");
  EXPECT_EQ(ParseUserSpec("www-data").value().user, "www-data");
}

}  // namespace
}  // namespace rlimit_init
