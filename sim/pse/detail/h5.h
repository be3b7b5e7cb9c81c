#pragma once
// Internal RAII handles and small helpers over the HDF5 C API (pse::detail; not public API).
// Errors become pse::IoError. Used by results.cpp and sweep.cpp.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <hdf5.h>

#include "pse/errors.h"

namespace pse::detail {

/// Owning HDF5 handle with the right close function.
class H {
  public:
    H() = default;
    H(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
    H(H&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = -1; }
    H& operator=(H&& o) noexcept {
        reset();
        id_ = o.id_;
        close_ = o.close_;
        o.id_ = -1;
        return *this;
    }
    ~H() { reset(); }
    void reset() {
        if (id_ >= 0 && close_) close_(id_);
        id_ = -1;
    }
    [[nodiscard]] hid_t get() const { return id_; }
    [[nodiscard]] bool ok() const { return id_ >= 0; }

  private:
    hid_t id_ = -1;
    herr_t (*close_)(hid_t) = nullptr;
};

inline void check(herr_t rc, const std::string& what) {
    if (rc < 0)
        throw IoError("HDF5 error while " + what + " (is the disk full or the file unwritable?)");
}
inline H checked(hid_t id, herr_t (*close)(hid_t), const std::string& what) {
    if (id < 0)
        throw IoError("HDF5 error while " + what + " (is the disk full or the file unwritable?)");
    return H(id, close);
}

inline void quiet_hdf5() {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

inline H string_type() {
    H t(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(t.get(), H5T_VARIABLE);
    H5Tset_cset(t.get(), H5T_CSET_UTF8);
    return t;
}

inline void attr_string(hid_t loc, const char* name, const std::string& value) {
    H type = string_type();
    H space(H5Screate(H5S_SCALAR), H5Sclose);
    if (H5Aexists(loc, name) > 0) H5Adelete(loc, name);
    H a = checked(H5Acreate2(loc, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
                  H5Aclose, "creating attribute");
    const char* p = value.c_str();
    check(H5Awrite(a.get(), type.get(), &p), std::string("writing attribute ") + name);
}

inline void attr_int(hid_t loc, const char* name, std::int64_t value) {
    H space(H5Screate(H5S_SCALAR), H5Sclose);
    if (H5Aexists(loc, name) > 0) H5Adelete(loc, name);
    H a = checked(H5Acreate2(loc, name, H5T_NATIVE_INT64, space.get(), H5P_DEFAULT, H5P_DEFAULT),
                  H5Aclose, "creating attribute");
    check(H5Awrite(a.get(), H5T_NATIVE_INT64, &value), std::string("writing attribute ") + name);
}

inline void attr_strings(hid_t loc, const char* name, const std::vector<std::string_view>& values) {
    H type = string_type();
    const hsize_t n = values.size();
    H space(H5Screate_simple(1, &n, nullptr), H5Sclose);
    H a = checked(H5Acreate2(loc, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
                  H5Aclose, "creating attribute");
    std::vector<std::string> owned(values.begin(), values.end());
    std::vector<const char*> ptrs;
    ptrs.reserve(owned.size());
    for (const auto& s : owned) ptrs.push_back(s.c_str());
    check(H5Awrite(a.get(), type.get(), ptrs.data()), std::string("writing attribute ") + name);
}

inline H make_group(hid_t loc, const char* name) {
    return checked(H5Gcreate2(loc, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
                   std::string("creating group ") + name);
}

template <class T>
void write_1d(hid_t loc, const std::string& name, hid_t type, const std::vector<T>& v) {
    const hsize_t n = v.size();
    H space(H5Screate_simple(1, &n, nullptr), H5Sclose);
    H plist(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
    if (n > 0) {
        const hsize_t chunk = std::min<hsize_t>(n, 65536);
        H5Pset_chunk(plist.get(), 1, &chunk);
        H5Pset_shuffle(plist.get());
        H5Pset_deflate(plist.get(), 4);
    }
    H d = checked(
        H5Dcreate2(loc, name.c_str(), type, space.get(), H5P_DEFAULT, plist.get(), H5P_DEFAULT),
        H5Dclose, "creating dataset " + name);
    if (n > 0)
        check(H5Dwrite(d.get(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()),
              "writing dataset " + name);
}

/// Like write_1d, but stored contiguously without filters (data that is already compressed).
template <class T>
void write_1d_plain(hid_t loc, const std::string& name, hid_t type, const std::vector<T>& v) {
    const hsize_t n = v.size();
    H space(H5Screate_simple(1, &n, nullptr), H5Sclose);
    H d = checked(
        H5Dcreate2(loc, name.c_str(), type, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
        H5Dclose, "creating dataset " + name);
    if (n > 0)
        check(H5Dwrite(d.get(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()),
              "writing dataset " + name);
}

inline void write_strings(hid_t loc, const std::string& name, const std::vector<std::string>& v) {
    H type = string_type();
    const hsize_t n = v.size();
    H space(H5Screate_simple(1, &n, nullptr), H5Sclose);
    H d = checked(H5Dcreate2(loc, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT,
                             H5P_DEFAULT),
                  H5Dclose, "creating dataset " + name);
    std::vector<const char*> ptrs;
    ptrs.reserve(v.size());
    for (const auto& s : v) ptrs.push_back(s.c_str());
    if (n > 0)
        check(H5Dwrite(d.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()),
              "writing dataset " + name);
}

inline std::string read_attr_string(hid_t loc, const char* name) {
    H a(H5Aopen(loc, name, H5P_DEFAULT), H5Aclose);
    if (!a.ok()) return {};
    H type(H5Aget_type(a.get()), H5Tclose);
    if (H5Tget_class(type.get()) == H5T_INTEGER) {
        std::int64_t v = 0;
        H5Aread(a.get(), H5T_NATIVE_INT64, &v);
        return std::to_string(v);
    }
    if (H5Tget_class(type.get()) != H5T_STRING) return {};
    H mem = string_type();
    char* p = nullptr;
    if (H5Aread(a.get(), mem.get(), &p) < 0 || !p) return {};
    std::string s(p);
    H5free_memory(p);
    return s;
}

/// A 1-D string-array attribute of an object (e.g. /design/<key> "labels"); {} if absent.
inline std::vector<std::string> read_attr_strings(hid_t loc, const std::string& object,
                                                  const char* name) {
    if (H5Aexists_by_name(loc, object.c_str(), name, H5P_DEFAULT) <= 0) return {};
    H a(H5Aopen_by_name(loc, object.c_str(), name, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
    if (!a.ok()) return {};
    H space(H5Aget_space(a.get()), H5Sclose);
    const hssize_t n = H5Sget_simple_extent_npoints(space.get());
    std::vector<char*> ptrs(static_cast<std::size_t>(std::max<hssize_t>(0, n)), nullptr);
    H mem = string_type();
    if (n <= 0 || H5Aread(a.get(), mem.get(), ptrs.data()) < 0) return {};
    std::vector<std::string> out;
    for (auto* p : ptrs) {
        out.emplace_back(p ? p : "");
        if (p) H5free_memory(p);
    }
    return out;
}

template <class T>
std::vector<T> read_1d(hid_t loc, const std::string& name, hid_t type) {
    H d(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), H5Dclose);
    if (!d.ok()) throw IoError("results file lacks dataset " + name);
    H space(H5Dget_space(d.get()), H5Sclose);
    const hssize_t n = H5Sget_simple_extent_npoints(space.get());
    std::vector<T> v(static_cast<std::size_t>(std::max<hssize_t>(0, n)));
    if (n > 0)
        check(H5Dread(d.get(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), "reading " + name);
    return v;
}

inline std::vector<std::string> read_strings(hid_t loc, const std::string& name) {
    H d(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), H5Dclose);
    if (!d.ok()) throw IoError("results file lacks dataset " + name);
    H space(H5Dget_space(d.get()), H5Sclose);
    const hssize_t n = H5Sget_simple_extent_npoints(space.get());
    std::vector<char*> ptrs(static_cast<std::size_t>(std::max<hssize_t>(0, n)), nullptr);
    H mem = string_type();
    if (n > 0)
        check(H5Dread(d.get(), mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()),
              "reading " + name);
    std::vector<std::string> out;
    for (auto* p : ptrs) {
        out.emplace_back(p ? p : "");
        if (p) H5free_memory(p);
    }
    return out;
}

}  // namespace pse::detail
