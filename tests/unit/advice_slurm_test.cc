// SPDX-License-Identifier: Apache-2.0
// The Slurm advice's exact wording and values; tests/integration/test_slurm.py follows it on a
// real slurmd.
#include <gtest/gtest.h>

#include <cstdint>

#include "advice/advice_slurm.h"

namespace rlimit_init {
namespace {

constexpr std::uint64_t kGiB = std::uint64_t{1} << 30;

AdviceInput Slurm() { return {DetectedLayer{Layer::kSlurm, LayerEvidence::kSlurmEnv}}; }

TEST(AdviceSlurm, HardLimitIsSlurmdsAndVSizeFactorIsTheAlternative) {
  EXPECT_EQ(SlurmHardLimit(kAddressSpaceNames, Slurm(), 3 * kGiB),
            (Advice{"the job's hard RLIMIT_AS is slurmd's own, not the submit shell's "
                    "(PropagateResourceLimits passes on only the soft limit, lowered to that "
                    "hard limit): give slurmd a hard limit of at least 3 GiB and restart it: "
                    "LimitAS=3221225472 in a drop-in for slurmd.service (systemctl edit slurmd), "
                    "or ulimit -v 3145728 in the shell that starts slurmd",
                    "if slurm.conf sets VSizeFactor (scontrol show config shows it), Slurm sets "
                    "the hard limit to --mem times VSizeFactor/100 instead: submit with --mem of "
                    "at least 3072M * 100 / VSizeFactor"}));
}

TEST(AdviceSlurm, ValuesThatAreNotWholeUnitsAreRoundedUp) {
  // "At least" one byte over 1 GiB is 1048577 KiB for ulimit and 1025 MiB for --mem.
  Advice advice = SlurmHardLimit(kAddressSpaceNames, Slurm(), kGiB + 1);
  ASSERT_EQ(advice.size(), 2u);
  EXPECT_NE(advice[0].find("LimitAS=1073741825 in a drop-in"), std::string::npos) << advice[0];
  EXPECT_NE(advice[0].find("or ulimit -v 1048577 in the shell"), std::string::npos) << advice[0];
  EXPECT_NE(advice[1].find("at least 1025M * 100 / VSizeFactor"), std::string::npos) << advice[1];
}

TEST(AdviceSlurm, UnlimitedHardLimit) {
  EXPECT_EQ(SlurmHardLimit(kAddressSpaceNames, Slurm(), kUnlimited),
            (Advice{"the job's hard RLIMIT_AS is slurmd's own, not the submit shell's "
                    "(PropagateResourceLimits passes on only the soft limit, lowered to that "
                    "hard limit): give slurmd an unlimited hard limit and restart it: "
                    "LimitAS=infinity in a drop-in for slurmd.service (systemctl edit slurmd), or "
                    "ulimit -v unlimited in the shell that starts slurmd",
                    "if slurm.conf sets VSizeFactor (scontrol show config shows it), Slurm caps "
                    "every job at --mem times VSizeFactor/100: only removing VSizeFactor lifts "
                    "that"}));
}

TEST(AdviceSlurm, MemIsWholeMiBRoundedUpWithoutWrappingNear2To64) {
  struct Row {
    std::uint64_t needed;
    const char* mem;
  };
  const Row rows[] = {
      {1, "--mem=1M"},
      {std::uint64_t{1} << 20, "--mem=1M"},
      {(std::uint64_t{1} << 20) + 1, "--mem=2M"},
      {4 * kGiB, "--mem=4096M"},
      // 8 EiB - 1, the largest quantity a policy can write.
      {(std::uint64_t{1} << 63) - 1, "--mem=8796093022208M"},
      // A grant of the hard limit set with prlimit: once "--mem=0M", Slurm's "all the memory".
      {~std::uint64_t{0} - 1, "--mem=17592186044416M"},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(SlurmMemoryLimit(Slurm(), row.needed, CgroupMemory{}),
              (Advice{std::string("submit with ") + row.mem +
                      " or more: with ConstrainRAMSpace=yes in cgroup.conf, Slurm makes --mem "
                      "the job's cgroup memory limit (times AllowedRAMSpace/100)"}))
        << row.needed;
  }
}

}  // namespace
}  // namespace rlimit_init
