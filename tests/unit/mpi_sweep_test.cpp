// sim/pse/mpi_sweep.cpp (built only with PSE_WITH_MPI, into pse_mpi_tests): what can be checked
// without starting MPI. The protocol itself needs several ranks and is tested end to end through
// mpirun in tests/integration/mpi_sweep_test.cpp.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "pse/mpi_sweep.h"

namespace pse {
namespace {

TEST(MpiSweepUnit, PeerErrorCarriesTheJobsExitCodeAndTheMessage) {
    // A rank that did not see the failure itself ends quietly with the code the failing rank
    // reported (the CLI prints nothing more for it: the failing rank already did).
    const MpiPeerError e(1, "rank 1 could not write the parts folder");
    EXPECT_EQ(e.exit_code(), 1);
    EXPECT_STREQ(e.what(), "rank 1 could not write the parts folder");
    const std::runtime_error& base = e;
    EXPECT_STREQ(base.what(), "rank 1 could not write the parts folder");
    EXPECT_EQ(MpiPeerError(2, "bad input").exit_code(), 2);
}

}  // namespace
}  // namespace pse
