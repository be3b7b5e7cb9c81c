#pragma once
// Comparing two results files dataset by dataset (GoogleTest assertions): what must not depend on
// thread count, interruptions and resumes, or the number of MPI ranks.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <hdf5.h>

#include "pse/detail/h5.h"
#include "pse/results.h"

namespace pse::test {

/// Every dataset that must not depend on threads or interruptions (wall times excluded).
inline void expect_same_results(const std::filesystem::path& a, const std::filesystem::path& b) {
    const auto ra = pse::read_results(a), rb = pse::read_results(b);
    ASSERT_EQ(ra.n_runs, rb.n_runs);
    EXPECT_EQ(ra.seed, rb.seed);
    EXPECT_EQ(ra.status, rb.status);
    EXPECT_EQ(ra.design_point, rb.design_point);
    EXPECT_EQ(ra.replication, rb.replication);
    EXPECT_EQ(ra.design, rb.design);
    for (const auto& [k, v] : ra.summary) {
        const auto& w = rb.summary.at(k);
        ASSERT_EQ(v.size(), w.size());
        for (std::size_t i = 0; i < v.size(); ++i)
            if (!(std::isnan(v[i]) && std::isnan(w[i]))) {
                EXPECT_EQ(v[i], w[i]) << k << " run " << i;
            }
    }
    for (const auto& [k, v] : ra.series) {
        const auto& w = rb.series.at(k);
        ASSERT_EQ(v.size(), w.size());
        for (std::size_t i = 0; i < v.size(); ++i)
            if (!(std::isnan(v[i]) && std::isnan(w[i]))) {
                ASSERT_EQ(v[i], w[i]) << k << " index " << i;
            }
    }
    const auto ea = pse::read_events(a), eb = pse::read_events(b);
    ASSERT_EQ(ea.size(), eb.size());
    for (std::size_t i = 0; i < ea.size(); ++i) {
        ASSERT_EQ(ea[i].run, eb[i].run);
        ASSERT_EQ(ea[i].event.week, eb[i].event.week);
        ASSERT_EQ(ea[i].event.org, eb[i].event.org);
        ASSERT_EQ(ea[i].event.type, eb[i].event.type);
    }
}

/// Stricter than expect_same_results(): every dataset of the two files (found by walking both
/// files) has the same type, shape and bytes, except /runs/wall_seconds; root attributes are
/// equal except created_utc, command_line and host (which differ between any two invocations).
inline void expect_same_datasets(const std::filesystem::path& a, const std::filesystem::path& b) {
    using pse::detail::H;
    auto datasets = [](hid_t f) {
        std::set<std::string> names;
        H5Ovisit(
            f, H5_INDEX_NAME, H5_ITER_INC,
            [](hid_t, const char* name, const H5O_info_t* info, void* op) -> herr_t {
                if (info->type == H5O_TYPE_DATASET)
                    static_cast<std::set<std::string>*>(op)->insert(name);
                return 0;
            },
            &names);
        return names;
    };
    H fa(H5Fopen(a.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose),
        fb(H5Fopen(b.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    ASSERT_TRUE(fa.ok() && fb.ok());
    const auto na = datasets(fa.get()), nb = datasets(fb.get());
    ASSERT_EQ(na, nb);
    ASSERT_FALSE(na.empty());
    for (const auto& name : na) {
        if (name == "runs/wall_seconds") continue;
        H da(H5Dopen2(fa.get(), name.c_str(), H5P_DEFAULT), H5Dclose),
            db(H5Dopen2(fb.get(), name.c_str(), H5P_DEFAULT), H5Dclose);
        H ta(H5Dget_type(da.get()), H5Tclose), tb(H5Dget_type(db.get()), H5Tclose);
        ASSERT_GT(H5Tequal(ta.get(), tb.get()), 0) << name;
        H sa(H5Dget_space(da.get()), H5Sclose), sb(H5Dget_space(db.get()), H5Sclose);
        const int rank = H5Sget_simple_extent_ndims(sa.get());
        ASSERT_EQ(rank, H5Sget_simple_extent_ndims(sb.get())) << name;
        std::vector<hsize_t> ea(static_cast<std::size_t>(rank)), eb(static_cast<std::size_t>(rank));
        H5Sget_simple_extent_dims(sa.get(), ea.data(), nullptr);
        H5Sget_simple_extent_dims(sb.get(), eb.data(), nullptr);
        ASSERT_EQ(ea, eb) << name;
        if (H5Tis_variable_str(ta.get()) > 0) {
            EXPECT_EQ(pse::detail::read_strings(fa.get(), name),
                      pse::detail::read_strings(fb.get(), name))
                << name;
            continue;
        }
        H mem(H5Tget_native_type(ta.get(), H5T_DIR_ASCEND), H5Tclose);
        const auto bytes = static_cast<std::size_t>(H5Sget_simple_extent_npoints(sa.get())) *
                           H5Tget_size(mem.get());
        std::vector<unsigned char> va(bytes), vb(bytes);
        if (bytes > 0) {
            ASSERT_GE(H5Dread(da.get(), mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, va.data()), 0)
                << name;
            ASSERT_GE(H5Dread(db.get(), mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, vb.data()), 0)
                << name;
        }
        EXPECT_TRUE(va == vb) << "dataset " << name << " differs";
    }
    auto ra = pse::read_results(a, false).attrs, rb = pse::read_results(b, false).attrs;
    for (const char* k : {"created_utc", "command_line", "host"}) ra.erase(k), rb.erase(k);
    EXPECT_EQ(ra, rb);
}

}  // namespace pse::test
