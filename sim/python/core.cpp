// pse_sim._core: the pse library in-process for Python (pybind11). The public Python API is
// pse_sim/__init__.py (sim/python/pse_sim), which wraps these functions with pandas frames and
// documentation; see analysis/README.md "Python API".
//
// Errors: pse::InputError becomes pse_sim.InputError (a ValueError carrying .problems, a list of
// pse_sim.Problem with file, line, column, key, message), pse::IoError becomes pse_sim.IoError
// (an OSError). Runs release the GIL; the progress callback is called with the GIL held.
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>
#include <toml++/toml.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <limits>
#include <string>
#include <vector>

#include "pse/errors.h"
#include "pse/experiment.h"
#include "pse/keys.h"
#include "pse/metrics.h"
#include "pse/params.h"
#include "pse/report.h"
#include "pse/results.h"
#include "pse/runner.h"
#include "pse/scenario_loader.h"
#include "pse/sweep.h"
#include "pse/version.h"

namespace py = pybind11;

namespace {

/// A loaded, validated scenario (what `pse-sim run FILE --set ...` would run).
struct PyScenario {
    pse::LoadedScenario loaded;
    std::vector<std::string> overrides;
};

/// Everything N replications of one scenario produced, in run-id (= replication) order.
struct PyResults {
    pse::Experiment experiment;
    std::vector<pse::RunRecord> records;
    bool stopped = false;
    double wall_seconds = 0;
};

py::object to_py(const pse::FieldValue& v) {
    return std::visit([](const auto& x) -> py::object { return py::cast(x); }, v);
}

template <class T>
py::dict field_row(const pse::FieldSpec<T>& f, const std::string& key, const std::string& table,
                   const T& def) {
    py::dict d;
    d["key"] = key;
    d["table"] = table;
    d["type"] = pse::field_type_name(f.type);
    const bool numeric = f.type == pse::FieldType::kReal || f.type == pse::FieldType::kInteger;
    d["min"] = numeric ? py::cast(f.min) : py::none();
    d["max"] = numeric ? py::cast(f.max) : py::none();
    d["choices"] = f.choices;
    d["unit"] = f.unit;
    d["default"] = to_py(f.get(def));
    d["doc"] = f.doc;
    d["source"] = f.source;
    return d;
}

/// The field table: scenario fields, then NGO fields under their --set key "ngo[*].<key>".
py::list fields() {
    py::list out;
    const pse::Scenario def;
    for (const auto& f : pse::scenario_fields()) out.append(field_row(f, f.key, "scenario", def));
    for (const auto& f : pse::ngo_fields())
        out.append(field_row(f, pse::ngo_all_key(f.key), "ngo", def.ngo_defaults));
    return out;
}

py::list metric_rows(const auto& specs) {
    py::list out;
    for (const auto& s : specs) {
        py::dict d;
        d["name"] = std::string(s.name);
        d["unit"] = std::string(s.unit);
        d["kind"] = std::string(s.kind);
        d["description"] = std::string(s.description);
        out.append(d);
    }
    return out;
}

/// Value of one parameter of a scenario by --set key: "trust.gain_rate", "ngo_defaults.x",
/// "ngo[*].x" (the defaults), "ngo[i].x" (explicit entry i). Throws KeyError / IndexError.
py::object get_value(const PyScenario& s, const std::string& key) {
    const auto& sc = s.loaded.scenario;
    const auto k = pse::find_key(key);  // the grammar of pse/keys.h
    if (!k) throw py::key_error(key);
    if (k->target == pse::KeyTarget::kNgoEntry && k->index >= sc.ngos.size())
        throw py::index_error(key + ": the scenario has " + std::to_string(sc.ngos.size()) +
                              " [[ngo]] entries");
    return to_py(pse::get_parameter(sc, key));
}

/// Every field's value: scenario keys and "ngo[*].<key>" (from [ngo_defaults]).
py::dict all_values(const PyScenario& s) {
    py::dict d;
    const auto& sc = s.loaded.scenario;
    for (const auto& f : pse::scenario_fields()) d[py::str(f.key)] = to_py(f.get(sc));
    for (const auto& f : pse::ngo_fields())
        d[py::str(pse::ngo_all_key(f.key))] = to_py(f.get(sc.ngo_defaults));
    return d;
}

pse::LoadOptions load_options(const std::vector<std::string>& overrides, double memory_limit,
                              const std::filesystem::path& base_dir) {
    pse::LoadOptions lo;
    lo.overrides = overrides;
    if (memory_limit > 0) lo.memory_limit_bytes = memory_limit;
    lo.text_base_dir = base_dir;
    return lo;
}

PyScenario load(const std::filesystem::path& path, const std::vector<std::string>& overrides,
                double memory_limit) {
    // As `pse-sim run`: an experiment file is refused (it is run with `pse-sim sweep`).
    if (pse::load_merged_table(path, nullptr, nullptr).contains("experiment"))
        throw pse::InputError(pse::InputProblem{
            path.string(), 0, 0, "experiment",
            "this is an experiment file; run it with `pse-sim sweep " + path.string() + "`"});
    return PyScenario{pse::load_scenario(path, load_options(overrides, memory_limit, {})),
                      overrides};
}

PyScenario loads(const std::string& text, const std::string& name,
                 const std::vector<std::string>& overrides, const std::filesystem::path& base_dir,
                 double memory_limit) {
    return PyScenario{
        pse::load_scenario_text(text, name, load_options(overrides, memory_limit, base_dir)),
        overrides};
}

/// Run `replications` replications of a scenario on `threads` threads (0 = all cores), exactly as
/// `pse-sim run` does (same seeds: replication r uses derive_seed(seed, 0, r)). `seed` >= 0
/// replaces run.seed like --seed. `progress(done, failed, total)` is called after each run; if it
/// returns False (or raises) the remaining runs are not started and .stopped is set.
/// `time_limit` > 0 seconds does the same after that long.
PyResults run(const PyScenario& s, std::int64_t replications, int threads, std::int64_t seed,
              py::object progress, double time_limit) {
    if (replications < 1)
        throw pse::InputError(pse::InputProblem{"replications", 0, 0, "", "must be at least 1"});
    if (threads < 0)
        throw pse::InputError(
            pse::InputProblem{"threads", 0, 0, "", "must be 0 (all cores) or more"});
    pse::LoadedScenario loaded = s.loaded;
    if (seed >= 0) loaded.scenario.seed = static_cast<std::uint64_t>(seed);
    PyResults res;
    res.experiment = pse::single_experiment(loaded, replications);
    const auto n = res.experiment.n_runs();
    std::vector<std::int64_t> ids(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) ids[static_cast<std::size_t>(i)] = i;
    res.records.resize(static_cast<std::size_t>(n));
    std::atomic<bool> stop{false};
    std::exception_ptr callback_error;
    const auto t0 = std::chrono::steady_clock::now();
    pse::RunnerOptions ro;
    ro.threads = threads;
    ro.stop = &stop;
    ro.on_progress = [&](std::int64_t done, std::int64_t failed, std::int64_t total) {
        if (time_limit > 0 &&
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() >
                time_limit)
            stop = true;
        if (progress.is_none() || callback_error) return;
        py::gil_scoped_acquire gil;
        try {
            py::object r = progress(done, failed, total);
            if (!r.is_none() && !r.cast<bool>()) stop = true;
        } catch (...) {
            callback_error = std::current_exception();
            stop = true;
        }
    };
    pse::RunTally tally;
    {
        py::gil_scoped_release nogil;
        tally = pse::execute(res.experiment, ids, ro, [&](pse::RunRecord&& rec) {
            res.records[static_cast<std::size_t>(rec.run_id)] = std::move(rec);
        });
    }
    if (callback_error) std::rethrow_exception(callback_error);
    res.stopped = tally.stopped;
    res.wall_seconds = tally.wall_seconds;
    return res;
}

py::array_t<double> summary_array(const PyResults& r) {
    const auto n = static_cast<py::ssize_t>(r.records.size());
    py::array_t<double> a({n, static_cast<py::ssize_t>(pse::kSummaryCount)});
    auto m = a.mutable_unchecked<2>();
    for (py::ssize_t i = 0; i < n; ++i) {
        const auto& s = r.records[static_cast<std::size_t>(i)].output.summary;
        for (py::ssize_t k = 0; k < pse::kSummaryCount; ++k)
            m(i, k) = static_cast<std::size_t>(k) < s.size()
                          ? s[static_cast<std::size_t>(k)]
                          : std::numeric_limits<double>::quiet_NaN();
    }
    return a;
}

/// [run, week, series] (NaN rows for runs that failed or did not run).
py::array_t<double> series_array(const PyResults& r) {
    const auto n = static_cast<py::ssize_t>(r.records.size());
    const auto W = static_cast<py::ssize_t>(r.experiment.base.weeks);
    py::array_t<double> a({n, W, static_cast<py::ssize_t>(pse::kSeriesCount)});
    auto m = a.mutable_unchecked<3>();
    for (py::ssize_t i = 0; i < n; ++i) {
        const auto& s = r.records[static_cast<std::size_t>(i)].output.series;
        const bool ok = static_cast<py::ssize_t>(s.size()) == W * pse::kSeriesCount;
        for (py::ssize_t w = 0; w < W; ++w)
            for (py::ssize_t k = 0; k < pse::kSeriesCount; ++k)
                m(i, w, k) = ok ? s[static_cast<std::size_t>(w * pse::kSeriesCount + k)]
                                : std::numeric_limits<double>::quiet_NaN();
    }
    return a;
}

/// [run, week, stage] engagements per stage (NaN for runs without output).
py::array_t<double> pipeline_array(const PyResults& r) {
    const auto n = static_cast<py::ssize_t>(r.records.size());
    const auto W = static_cast<py::ssize_t>(r.experiment.base.weeks);
    py::array_t<double> a({n, W, static_cast<py::ssize_t>(pse::kStageCount)});
    auto m = a.mutable_unchecked<3>();
    for (py::ssize_t i = 0; i < n; ++i) {
        const auto& s = r.records[static_cast<std::size_t>(i)].output.pipeline;
        const bool ok = static_cast<py::ssize_t>(s.size()) == W * pse::kStageCount;
        for (py::ssize_t w = 0; w < W; ++w)
            for (py::ssize_t k = 0; k < pse::kStageCount; ++k)
                m(i, w, k) = ok ? s[static_cast<std::size_t>(w * pse::kStageCount + k)]
                                : std::numeric_limits<double>::quiet_NaN();
    }
    return a;
}

/// Events as a dict of equal-length arrays (run, week, ngo, org, type, stage_from, stage_to).
py::dict events(const PyResults& r) {
    std::vector<std::int64_t> run, org;
    std::vector<std::int32_t> week, ngo;
    std::vector<std::uint8_t> type, from, to;
    for (const auto& rec : r.records)
        for (const auto& e : rec.output.events) {
            run.push_back(rec.run_id);
            week.push_back(e.week);
            ngo.push_back(e.ngo);
            org.push_back(e.org);
            type.push_back(static_cast<std::uint8_t>(e.type));
            from.push_back(static_cast<std::uint8_t>(e.from));
            to.push_back(static_cast<std::uint8_t>(e.to));
        }
    py::dict d;
    d["run"] = py::array_t<std::int64_t>(static_cast<py::ssize_t>(run.size()), run.data());
    d["week"] = py::array_t<std::int32_t>(static_cast<py::ssize_t>(week.size()), week.data());
    d["ngo"] = py::array_t<std::int32_t>(static_cast<py::ssize_t>(ngo.size()), ngo.data());
    d["org"] = py::array_t<std::int64_t>(static_cast<py::ssize_t>(org.size()), org.data());
    d["type"] = py::array_t<std::uint8_t>(static_cast<py::ssize_t>(type.size()), type.data());
    d["stage_from"] = py::array_t<std::uint8_t>(static_cast<py::ssize_t>(from.size()), from.data());
    d["stage_to"] = py::array_t<std::uint8_t>(static_cast<py::ssize_t>(to.size()), to.data());
    return d;
}

/// Write the results file `pse-sim run` would write for the same scenario and seed (same
/// datasets and values; the command line attribute is `command_line`). Throws IoError.
void save(const PyResults& r, const std::filesystem::path& path, bool overwrite,
          const std::string& command_line) {
    if (r.stopped)
        throw pse::IoError("these results are incomplete (the run was stopped); not writing " +
                           path.string());
    pse::check_output_path(path, overwrite);
    py::gil_scoped_release nogil;
    pse::ResultsWriter writer(path, pse::make_meta(r.experiment, command_line), overwrite);
    for (const auto& rec : r.records) writer.write_run(rec);
    writer.finalize();
}

py::object problems_to_py(const pse::InputError& e) {
    py::list l;
    for (const auto& p : e.problems())
        l.append(py::make_tuple(p.file, p.line, p.column, p.key, p.message, p.format()));
    return l;
}

}  // namespace

PYBIND11_MODULE(_core, m) {
    m.doc() = "pse-sim engine in-process (use the pse_sim package, not this module directly)";
    m.attr("version") = std::string(pse::kVersion);
    m.attr("git_commit") = std::string(pse::kGitCommit);

    static py::exception<pse::IoError> io_error(m, "IoError", PyExc_OSError);
    // InputError: raised as pse_sim._errors.InputError(message, problems) (a ValueError).
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const pse::InputError& e) {
            py::gil_scoped_acquire gil;
            py::object cls = py::module_::import("pse_sim._errors").attr("InputError");
            py::object exc = cls(py::str(e.what()), problems_to_py(e));
            PyErr_SetObject(cls.ptr(), exc.ptr());
        } catch (const pse::IoError& e) {
            io_error(e.what());
        }
    });

    py::class_<PyScenario>(m, "Scenario")
        .def_property_readonly("name", [](const PyScenario& s) { return s.loaded.scenario.name; })
        .def_property_readonly("description",
                               [](const PyScenario& s) { return s.loaded.scenario.description; })
        .def_property_readonly("weeks", [](const PyScenario& s) { return s.loaded.scenario.weeks; })
        .def_property_readonly("seed", [](const PyScenario& s) { return s.loaded.scenario.seed; })
        .def_property_readonly("path", [](const PyScenario& s) { return s.loaded.path; })
        .def_property_readonly("files", [](const PyScenario& s) { return s.loaded.files; })
        .def_property_readonly("texts", [](const PyScenario& s) { return s.loaded.texts; })
        .def_property_readonly("overrides", [](const PyScenario& s) { return s.overrides; })
        .def_property_readonly(
            "n_ngos",
            [](const PyScenario& s) {
                return s.loaded.scenario.ngos.size() +
                       static_cast<std::size_t>(s.loaded.scenario.ngo_population.count) +
                       (s.loaded.scenario.ngos.empty() &&
                                s.loaded.scenario.ngo_population.count == 0
                            ? 1
                            : 0);
            })
        .def_property_readonly(
            "organisations",
            [](const PyScenario& s) {
                const auto& sc = s.loaded.scenario;
                const auto& e = sc.ecosystem;
                const std::size_t ngos =
                    sc.ngos.size() + static_cast<std::size_t>(sc.ngo_population.count);
                return static_cast<std::int64_t>(e.mnc_count) + e.supplier_count +
                       e.government_count + e.association_count +
                       static_cast<std::int64_t>(std::max<std::size_t>(ngos, 1));
            })
        .def_property_readonly(
            "memory_bytes",
            [](const PyScenario& s) { return pse::estimate_memory_bytes(s.loaded.scenario); })
        .def("toml", [](const PyScenario& s) { return pse::dump_scenario(s.loaded.scenario); })
        .def("get", &get_value, py::arg("key"))
        .def("values", &all_values);

    py::class_<PyResults>(m, "Results")
        .def_property_readonly("replications",
                               [](const PyResults& r) { return r.experiment.replications; })
        .def_property_readonly("weeks", [](const PyResults& r) { return r.experiment.base.weeks; })
        .def_property_readonly("master_seed",
                               [](const PyResults& r) { return r.experiment.master_seed; })
        .def_property_readonly("scenario_name",
                               [](const PyResults& r) { return r.experiment.name; })
        .def_property_readonly("stopped", [](const PyResults& r) { return r.stopped; })
        .def_property_readonly("wall_seconds", [](const PyResults& r) { return r.wall_seconds; })
        .def_property_readonly("seeds",
                               [](const PyResults& r) {
                                   std::vector<std::uint64_t> v;
                                   for (const auto& rec : r.records) v.push_back(rec.seed);
                                   return py::array_t<std::uint64_t>(
                                       static_cast<py::ssize_t>(v.size()), v.data());
                               })
        .def_property_readonly("status",
                               [](const PyResults& r) {
                                   std::vector<std::int8_t> v;
                                   for (const auto& rec : r.records)
                                       v.push_back(static_cast<std::int8_t>(rec.status));
                                   return py::array_t<std::int8_t>(
                                       static_cast<py::ssize_t>(v.size()), v.data());
                               })
        .def_property_readonly("errors",
                               [](const PyResults& r) {
                                   std::vector<std::string> v;
                                   for (const auto& rec : r.records) v.push_back(rec.error);
                                   return v;
                               })
        .def("summary_array", &summary_array)
        .def("series_array", &series_array)
        .def("pipeline_array", &pipeline_array)
        .def("events", &events)
        .def("resolved_toml",
             [](const PyResults& r) { return pse::dump_scenario(r.experiment.base); })
        .def("save", &save, py::arg("path"), py::arg("overwrite") = false,
             py::arg("command_line") = "pse_sim (Python)");

    m.def("fields", &fields, "The parameter field table: one dict per field");
    m.def("summary_specs", [] { return metric_rows(pse::kSummarySpecs); });
    m.def("series_specs", [] { return metric_rows(pse::kSeriesSpecs); });
    m.def("stage_names", [] {
        std::vector<std::string> v;
        for (int i = 0; i < pse::kStageCount; ++i)
            v.emplace_back(pse::stage_name(static_cast<pse::Stage>(i)));
        return v;
    });
    m.def("load", &load, py::arg("path"), py::arg("overrides"), py::arg("memory_limit") = 0.0);
    m.def("loads", &loads, py::arg("text"), py::arg("name"), py::arg("overrides"),
          py::arg("base_dir"), py::arg("memory_limit") = 0.0);
    m.def("run", &run, py::arg("scenario"), py::arg("replications"), py::arg("threads"),
          py::arg("seed"), py::arg("progress"), py::arg("time_limit"));
    // The top-level `extends` value of TOML text, parsed by the loader's parser (toml++), without
    // reading any file: None if there is none or the text does not parse (the loader then reports
    // the syntax error), the string, or False if `extends` is not a string.
    m.def("extends_of", [](const std::string& text) -> py::object {
        try {
            const toml::table t = toml::parse(text);
            const auto* ext = t.get("extends");
            if (!ext) return py::none();
            if (auto v = ext->value<std::string>()) return py::str(*v);
            return py::bool_(false);
        } catch (const toml::parse_error&) {
            return py::none();
        }
    });
    m.def("export_csv", [](const std::filesystem::path& file, const std::filesystem::path& dir) {
        py::gil_scoped_release nogil;
        return pse::export_csv(file, dir);
    });
}
