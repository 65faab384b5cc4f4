// SPDX-License-Identifier: Apache-2.0
#include "policy/user.h"

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

Result<UserIds> Resolve(const char* spec, std::string_view passwd, std::string_view group) {
  return ResolveUser(ParseUserSpec(spec).value(), {passwd, ""}, {group, ""});
}

UserIds Resolved(const char* text) {
  Result<UserIds> ids = Resolve(text, kPasswd, kGroup);
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
  EXPECT_EQ(Resolve("ghost", kPasswd, kGroup).error(),
            "user \"ghost\" is not in /etc/passwd");
  EXPECT_EQ(Resolve("app:ghosts", kPasswd, kGroup).error(),
            "group \"ghosts\" is not in /etc/group");
  EXPECT_EQ(Resolve("app", "", "").error(),
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
  Result<UserIds> ids = Resolve("app:staff", passwd, group);
  ASSERT_TRUE(ids.ok()) << ids.error();
  EXPECT_EQ(ids.value().uid, 1001u);
  EXPECT_EQ(ids.value().gid, 50u);
  EXPECT_EQ(ids.value().groups, (std::vector<std::uint32_t>{50, 60, 61}));
}

TEST(User, HomeAndNameComeFromThePasswdEntry) {
  UserIds app = Resolved("app");
  EXPECT_EQ(app.name, "app");
  EXPECT_EQ(app.home, "/home/app");
  UserIds unknown = Resolved("4242");
  EXPECT_EQ(unknown.name, std::nullopt);
  EXPECT_EQ(unknown.home, "/");
  Result<UserIds> empty_home = Resolve("x", "x:x:5:5:::/bin/sh\n", "");
  EXPECT_EQ(empty_home.value().home, "/");
}

TEST(User, CrlfFilesKeepTheirLastFieldWhole) {
  Result<UserIds> ids = Resolve("app", "app:x:1000:1000::/home/app:/bin/sh\r\n",
                                "video:x:44:other,app\r\naudio:x:29:app\r\n");
  ASSERT_TRUE(ids.ok()) << ids.error();
  EXPECT_EQ(ids.value().groups, (std::vector<std::uint32_t>{1000, 44, 29}));
}

TEST(User, AnEmptyNameMatchesNoEmptyMember) {
  // An entry with an empty name is no user: uid 0 resolves to the next entry, and the empty
  // member in "wheel:x:10:,root" grants nobody group 10.
  Result<UserIds> ids = Resolve("0", ":x:0:0::/:/bin/sh\nroot:x:0:0::/root:/bin/sh\n",
                                "wheel:x:10:,root\nstaff:x:50:,\n");
  ASSERT_TRUE(ids.ok()) << ids.error();
  EXPECT_EQ(ids.value().name, "root");
  EXPECT_EQ(ids.value().groups, (std::vector<std::uint32_t>{0, 10}));
  Result<UserIds> nameless = Resolve("7", ":x:7:7::/:/bin/sh\n", "wheel:x:10:,root\n");
  EXPECT_EQ(nameless.value().groups, (std::vector<std::uint32_t>{7}));
}

TEST(User, MoreGroupsThanLinuxAllowsIsAShortError) {
  std::string group;
  for (int gid = 1; gid <= 70000; ++gid) group += "g" + std::to_string(gid) + ":x:" +
                                                   std::to_string(gid) + ":app\n";
  Result<UserIds> ids = Resolve("app", "app:x:1000:100000::/home/app:/bin/sh\n", group);
  EXPECT_EQ(ids.error(),
            "user \"app\" is in 70001 groups (its own and those that list it in /etc/group); "
            "Linux allows at most 65536 (NGROUPS_MAX)");
  // Exactly the most Linux allows, repeats counted once.
  std::string at_limit;
  for (int gid = 1; gid <= 65535; ++gid) at_limit += "g:x:" + std::to_string(gid) + ":app\n";
  at_limit += "again:x:1:app\nown:x:100000:app\n";
  Result<UserIds> most = Resolve("app", "app:x:1000:100000::/home/app:/bin/sh\n", at_limit);
  ASSERT_TRUE(most.ok()) << most.error();
  EXPECT_EQ(most.value().groups.size(), 65536u);
  EXPECT_EQ(DescribeIds(most.value()),
            "1000:100000 (groups 100000,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15 and 65520 more)");
}

TEST(User, UnreadableAccountFilesAreNamedWhereTheyAreNeeded) {
  const UserSpec app = ParseUserSpec("app").value();
  EXPECT_EQ(ResolveUser(app, {"", "it is a directory"}, {"", ""}).error(),
            "cannot read /etc/passwd: it is a directory");
  EXPECT_EQ(ResolveUser(app, {"app:x:1:1::/:/bin/sh\n", ""}, {"", "larger than 4 MiB"}).error(),
            "cannot read /etc/group: larger than 4 MiB");
  // A numeric user and group with no passwd entry never look in /etc/group.
  EXPECT_TRUE(ResolveUser(ParseUserSpec("5:5").value(), {"", ""}, {"", "it is a directory"})
                  .ok());
}

TEST(User, SpecFormIsChecked) {
  EXPECT_EQ(ParseUserSpec("").error(), "the user is empty");
  EXPECT_EQ(ParseUserSpec("1000:").error(), "the group is empty");
  EXPECT_EQ(ParseUserSpec("4294967295").error(),
            "the user id 4294967295 is out of range (at most 4294967294)");
  EXPECT_EQ(ParseUserSpec("99999999999").error(),
            "the user id 99999999999 is out of range (at most 4294967294)");
  EXPECT_EQ(ParseUserSpec("010").error(),
            "the user id \"010\": leading zeros are not allowed (YAML 1.1 reads them as octal)");
  EXPECT_EQ(ParseUserSpec("0:00").error(),
            "the group id \"00\": leading zeros are not allowed (YAML 1.1 reads them as octal)");
  EXPECT_EQ(ParseUserSpec("0:0").value().group, "0");
  EXPECT_EQ(ParseUserSpec("-1").error(), "\"-1\" is not a valid user name or number");
  EXPECT_EQ(ParseUserSpec("app:9x y").error(), "\"9x y\" is not a valid group name or number");
  EXPECT_EQ(ParseUserSpec("a:b:c").error(), "\"b:c\" is not a valid group name or number");
  EXPECT_EQ(ParseUserSpec("www-data").value().user, "www-data");
}

}  // namespace
}  // namespace rlimit_init
