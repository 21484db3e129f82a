#include "plugin/missing_library_hint.h"

#include <gtest/gtest.h>

namespace strata {
namespace {

TEST(MissingLibraryHintTest, FindsTheMissingLibraryInDlerror) {
  EXPECT_EQ(MissingLibraryOf("/usr/lib/strata/plugins/libstrata-redis.so: libhiredis.so.0.14: "
                             "cannot open shared object file: No such file or directory"),
            "libhiredis.so.0.14");
  EXPECT_EQ(MissingLibraryOf("libpq.so.5: cannot open shared object file: No such file"),
            "libpq.so.5");
  EXPECT_EQ(MissingLibraryOf("/x/lib.so: invalid ELF header"), std::nullopt);
}

TEST(MissingLibraryHintTest, NamesTheDebianPackagesOfOurClientLibraries) {
  EXPECT_EQ(InstallHintFor("libhiredis.so.0.14"),
            "install the Debian package libhiredis0.14 (apt-get install libhiredis0.14)");
  EXPECT_NE(InstallHintFor("libpq.so.5").find("libpq5"), std::string::npos);
  EXPECT_NE(InstallHintFor("libmemcached.so.11").find("libmemcached11"), std::string::npos);
  EXPECT_NE(InstallHintFor("librocksdb.so.7.8").find("librocksdb7.8"), std::string::npos);
}

TEST(MissingLibraryHintTest, FallsBackToAGenericSentence) {
  EXPECT_EQ(InstallHintFor("libfoo.so.3")
                .rfind("install the Debian package that provides "
                       "libfoo.so.3",
                       0),
            0u);
}

}  // namespace
}  // namespace strata
