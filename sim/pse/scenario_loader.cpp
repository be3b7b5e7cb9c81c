#include "pse/scenario_loader.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string_view>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "pse/errors.h"

namespace pse {
namespace {

constexpr int kMaxExtendsDepth = 16;
constexpr std::size_t kMaxFileBytes = 16u << 20;  // scenario files are small; refuse huge ones
constexpr int kMaxKeySegments = 16;  // longest dotted key / table header (docs/BAD_INPUT.md)
constexpr std::size_t kMaxProblems = kMaxProblemsPerFile;

struct Where {
    std::string file;
    int line = 0;
    int column = 0;
};

Where where_of(const toml::node& n, const std::string& fallback) {
    Where w;
    const auto& src = n.source();
    w.file = src.path ? *src.path : fallback;
    w.line = static_cast<int>(src.begin.line);
    w.column = static_cast<int>(src.begin.column);
    return w;
}

/// Refuse a path that is not a regular file (after following symbolic links) before anything
/// opens it: opening a named pipe blocks until someone writes to it, for ever
/// (docs/BAD_INPUT.md); a device or a pipe from `<(...)` has no size and is not a scenario file.
void require_regular_file(const std::filesystem::path& file, const std::string& key) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const auto st = fs::status(file, ec);
    const char* kind = nullptr;
    switch (st.type()) {
        case fs::file_type::regular:
            return;
        case fs::file_type::not_found:
            throw InputError(InputProblem{file.string(), 0, 0, key, "file not found"});
        case fs::file_type::directory:
            kind = "a folder";
            break;
        case fs::file_type::fifo:
            kind = "a pipe (FIFO), e.g. from <(...)";
            break;
        case fs::file_type::character:
            kind = "a character device";
            break;
        case fs::file_type::block:
            kind = "a block device";
            break;
        case fs::file_type::socket:
            kind = "a socket";
            break;
        default:
            if (ec)
                throw InputError(
                    InputProblem{file.string(), 0, 0, key, "cannot read: " + ec.message()});
            kind = "not a regular file";
    }
    throw InputError(InputProblem{
        file.string(), 0, 0, key,
        fmt::format("is {}, not a regular file; give the path of a TOML file (copy the text "
                    "into a file first)",
                    kind)});
}

std::string read_text(const std::filesystem::path& file) {
    std::error_code ec;
    if (!std::filesystem::exists(file, ec))
        throw InputError(InputProblem{file.string(), 0, 0, "", "file not found"});
    if (std::filesystem::is_directory(file, ec))
        throw InputError(
            InputProblem{file.string(), 0, 0, "", "is a directory, expected a TOML file"});
    require_regular_file(file, "");
    const auto size = std::filesystem::file_size(file, ec);
    if (!ec && size > kMaxFileBytes)
        throw InputError(
            InputProblem{file.string(), 0, 0, "",
                         fmt::format("file is {} bytes; scenario files are limited to {} bytes",
                                     size, kMaxFileBytes)});
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw InputError(InputProblem{file.string(), 0, 0, "", "cannot open file for reading"});
    // Bounded read: file_size() is unknown for devices and pipes (/dev/zero would never end).
    std::string text;
    std::vector<char> buf(1u << 16);
    while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0) {
        text.append(buf.data(), static_cast<std::size_t>(in.gcount()));
        if (text.size() > kMaxFileBytes)
            throw InputError(InputProblem{
                file.string(), 0, 0, "",
                fmt::format("file is larger than the limit of {} bytes for scenario files",
                            kMaxFileBytes)});
    }
    if (in.bad()) throw InputError(InputProblem{file.string(), 0, 0, "", "read error"});
    return text;
}

bool is_bare_key_char(unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '-' || c == '+' || c == ':' || c >= 0x80;
}

/// Index just past the TOML string (basic or literal, one-line or multi-line) that starts at s[i]
/// (a quote), adding the newlines inside it to `line`. An unterminated one-line string stops at
/// its newline, which is left (uncounted) for the caller; an unterminated multi-line string runs
/// to the end of s (the result may then be s.size() + 1 after a final backslash).
std::size_t skip_string(std::string_view s, std::size_t i, int& line) {
    const char c = s[i];
    const std::size_t n = s.size();
    const std::string_view delim = c == '"' ? std::string_view("\"\"\"") : std::string_view("'''");
    const bool multi = s.substr(i, 3) == delim;
    i += multi ? 3 : 1;
    while (i < n) {
        if (c == '"' && s[i] == '\\') {
            if (i + 1 < n && s[i + 1] == '\n') ++line;
            i += 2;
            continue;
        }
        if (s[i] == '\n') {
            if (!multi) break;  // the caller counts this newline
            ++line;
        }
        if (multi ? s.substr(i, 3) == delim : s[i] == c) return i + (multi ? 3 : 1);
        ++i;
    }
    return i;
}

// Longest dotted key (number of segments) in TOML text and its line, found by a small lexer that
// skips strings and comments. toml++ limits nested inline tables and arrays (256 levels) but not
// dotted keys: a header [a.a.a...] of 50,000 segments overflows the stack inside toml::parse.
// Numbers and date-times count as at most two segments (one '.'), so any longer chain is a key.
std::pair<int, int> longest_dotted_key(std::string_view s) {
    int best = 0, best_line = 1, line = 1, chain = 0;
    bool dot = false, in_bare = false;
    auto segment = [&] {
        chain = dot ? chain + 1 : 1;
        dot = false;
        if (chain > best) {
            best = chain;
            best_line = line;
        }
    };
    const std::size_t n = s.size();
    std::size_t i = 0;
    while (i < n) {
        const char c = s[i];
        if (is_bare_key_char(static_cast<unsigned char>(c))) {
            if (!in_bare) segment();
            in_bare = true;
            ++i;
            continue;
        }
        in_bare = false;
        if (c == ' ' || c == '\t') {
            ++i;
            continue;
        }
        if (c == '.') {
            dot = true;
            ++i;
            continue;
        }
        if (c == '"' || c == '\'') {
            i = skip_string(s, i, line);
            segment();
            continue;
        }
        chain = 0;  // anything else ends a key
        dot = false;
        if (c == '#') {
            while (i < n && s[i] != '\n') ++i;
            continue;
        }
        if (c == '\n') ++line;
        ++i;
    }
    return {best, best_line};
}

void check_key_depth(std::string_view text, const std::string& name) {
    const auto [segments, line] = longest_dotted_key(text);
    if (segments > kMaxKeySegments)
        throw InputError(
            InputProblem{name, line, 0, "",
                         fmt::format("a dotted key or table header has {} parts; at most {} are "
                                     "allowed (scenario keys have at most 3)",
                                     segments, kMaxKeySegments)});
}

std::string one_line(std::string s) {
    std::replace(s.begin(), s.end(), '\n', ' ');
    std::replace(s.begin(), s.end(), '\r', ' ');
    return s;
}

toml::table parse_text(const std::string& text, const std::string& name) {
    if (text.find('\0') != std::string::npos)
        throw InputError(
            InputProblem{name, 0, 0, "", "file contains NUL bytes: not a TOML text file"});
    check_key_depth(text, name);
    try {
        return toml::parse(std::string_view(text), std::string_view(name));
    } catch (const toml::parse_error& e) {
        throw InputError(InputProblem{
            name, static_cast<int>(e.source().begin.line),
            static_cast<int>(e.source().begin.column), "",
            fmt::format("TOML syntax error: {}", one_line(std::string(e.description())))});
    }
}

/// Merge `child` into `base` (child wins; tables merge recursively). The child's nodes are moved,
/// not copied, so they keep their source positions (toml++ copies drop them) and problems in an
/// extending file are reported with its line numbers. `child` is left in a moved-from state.
void deep_merge(toml::table& base, toml::table& child) {
    for (auto&& [k, v] : child) {
        if (v.is_table()) {
            if (auto* bt = base.get_as<toml::table>(k.str())) {
                deep_merge(*bt, *v.as_table());
                continue;
            }
        }
        base.insert_or_assign(k, std::move(v));
    }
}

toml::table load_merged_impl(const std::filesystem::path& file, int depth,
                             std::vector<std::string>* files, std::vector<std::string>* texts,
                             std::vector<std::string>& chain) {
    const std::string name = file.string();
    if (depth > kMaxExtendsDepth)
        throw InputError(InputProblem{name, 0, 0, "extends", "extends chain deeper than 16 files"});
    if (depth > 0) {  // a base file must be a plain file (not /dev/zero, a pipe or a terminal)
        std::error_code ec;
        if (std::filesystem::exists(file, ec) && !std::filesystem::is_regular_file(file, ec) &&
            !std::filesystem::is_directory(file, ec))
            throw InputError(
                InputProblem{name, 0, 0, "extends", "extends must name a regular file"});
    }
    std::error_code dir_ec;
    if (!std::filesystem::is_directory(file, dir_ec))
        require_regular_file(file, "");  // before anything opens it
    std::error_code canon_ec;
    auto canon = std::filesystem::weakly_canonical(file, canon_ec).string();
    if (canon_ec) canon = std::filesystem::absolute(file, canon_ec).lexically_normal().string();
    if (std::find(chain.begin(), chain.end(), canon) != chain.end())
        throw InputError(InputProblem{name, 0, 0, "extends", "extends forms a cycle"});
    chain.push_back(canon);
    if (depth > 0) {  // a base file must be a plain file (not /dev/zero, a pipe or a terminal)
        std::error_code ec;
        if (std::filesystem::exists(file, ec) && !std::filesystem::is_regular_file(file, ec) &&
            !std::filesystem::is_directory(file, ec))
            throw InputError(
                InputProblem{name, 0, 0, "extends", "extends must name a regular file"});
    }
    const std::string text = read_text(file);
    if (files) files->push_back(name);
    if (texts) texts->push_back(text);
    toml::table t = parse_text(text, name);
    if (t.empty())
        throw InputError(InputProblem{
            name, 0, 0, "",
            "file is empty (no settings); refusing to run every default silently: set at "
            "least one key, e.g. [run] name = \"...\""});
    if (auto* ext = t.get("extends")) {
        if (!ext->is_string()) {
            const auto w = where_of(*ext, name);
            throw InputError(
                InputProblem{w.file, w.line, w.column, "extends", "expected a file name (string)"});
        }
        auto base_path = file.parent_path() / std::filesystem::path(*ext->value<std::string>());
        std::error_code ec;
        if (!std::filesystem::exists(base_path, ec)) {  // say which file asked for it, and where
            const auto w = where_of(*ext, name);
            throw InputError(InputProblem{w.file, w.line, w.column, "extends",
                                          "base file '" + base_path.string() + "' not found"});
        }
        toml::table base = load_merged_impl(base_path, depth + 1, files, texts, chain);
        t.erase("extends");
        deep_merge(base, t);
        chain.pop_back();
        return base;
    }
    chain.pop_back();
    return t;
}

const char* type_name(const toml::node& n) {
    switch (n.type()) {
        case toml::node_type::table:
            return "a table";
        case toml::node_type::array:
            return "an array";
        case toml::node_type::string:
            return "a string";
        case toml::node_type::integer:
            return "an integer";
        case toml::node_type::floating_point:
            return "a number";
        case toml::node_type::boolean:
            return "a boolean";
        case toml::node_type::date:
            return "a date";
        case toml::node_type::time:
            return "a time";
        case toml::node_type::date_time:
            return "a date-time";
        default:
            return "nothing";
    }
}

/// The value of a TOML node, if it is one a field can hold (boolean, integer, real, string).
std::optional<FieldValue> scalar_of(const toml::node& n) {
    if (n.is_boolean()) return FieldValue{*n.value<bool>()};
    if (n.is_integer()) return FieldValue{*n.value<std::int64_t>()};
    if (n.is_floating_point()) return FieldValue{*n.value<double>()};
    if (n.is_string()) return FieldValue{*n.value<std::string>()};
    return std::nullopt;
}

/// Convert a TOML node to a valid value of field `spec` (check_value, pse/keys.h), or record
/// the problem at the node's file, line and column.
std::optional<FieldValue> convert(const toml::node& n, const FieldInfo& spec,
                                  const std::string& key, const std::string& file,
                                  std::vector<InputProblem>& problems) {
    const auto w = where_of(n, file);
    auto v = scalar_of(n);
    std::string why = v ? check_value(spec, key, *v)
                        : "expected " + expected_text(spec) + ", got " + type_name(n);
    if (why.empty()) return v;
    problems.push_back(InputProblem{w.file, w.line, w.column, key, std::move(why)});
    return std::nullopt;
}

template <class T>
std::vector<std::string> keys_of(const std::vector<FieldSpec<T>>& fields,
                                 const std::string& prefix) {
    std::vector<std::string> out;
    out.reserve(fields.size());
    for (const auto& f : fields) out.push_back(prefix + f.key);
    return out;
}

// Apply a flat table of NGO fields onto `target`.
void apply_ngo_table(const toml::table& t, NgoParams& target, const std::string& prefix,
                     const std::string& file, std::vector<InputProblem>& problems,
                     std::map<std::string, Where>& where) {
    const auto& fields = ngo_fields();
    for (auto&& [k, v] : t) {
        const std::string key = std::string(k.str());
        const std::string full = prefix + key;
        auto it =
            std::find_if(fields.begin(), fields.end(), [&](const auto& f) { return f.key == key; });
        const auto w = where_of(v, file);
        if (it == fields.end()) {
            if (problems.size() >= kMaxProblems) break;
            auto s = suggest_key(key, keys_of(fields, ""));
            problems.push_back(InputProblem{
                w.file, w.line, w.column, shown_key(full),
                "unknown key" +
                    (s.empty() ? std::string() : "; did you mean '" + prefix + s + "'?")});
            continue;
        }
        where[full] = w;
        if (auto val = convert(v, *it, full, file, problems)) it->set(target, *val);
    }
}

void flatten(const toml::table& t, const std::string& prefix,
             std::vector<std::pair<std::string, const toml::node*>>& out) {
    for (auto&& [k, v] : t) {
        const std::string key = prefix + std::string(k.str());
        if (v.is_table())
            flatten(*v.as_table(), key + ".", out);
        else
            out.emplace_back(key, &v);
    }
}

void check_consistency(const Scenario& s, const std::string& file,
                       const std::map<std::string, Where>& where,
                       std::vector<InputProblem>& problems, const LoadOptions& opts) {
    auto at = [&](const std::string& key, std::string msg) {
        auto it = where.find(key);
        Where w = it != where.end() ? it->second : Where{file, 0, 0};
        problems.push_back(InputProblem{w.file, w.line, w.column, key, std::move(msg)});
    };
    auto check_ngo = [&](const NgoParams& n, const std::string& p) {
        if (n.end_week <= n.start_week)
            at(where.count(p + "start_week") && !where.count(p + "end_week") ? p + "start_week"
                                                                             : p + "end_week",
               fmt::format("project end (week {}) must be after its start (week {})", n.end_week,
                           n.start_week));
        if (n.start_week >= s.weeks)
            at(p + "start_week",
               fmt::format("project starts at week {}, after the simulated horizon of {} weeks",
                           n.start_week, s.weeks));
        if (n.skill_trained < n.skill_untrained)
            at(p + "skill_trained", "skill_trained must be at least skill_untrained");
    };
    check_ngo(s.ngo_defaults, "ngo_defaults.");
    for (std::size_t i = 0; i < s.ngos.size(); ++i)
        check_ngo(s.ngos[i], fmt::format("ngo[{}].", i));
    if (s.ngos.size() + static_cast<std::size_t>(s.ngo_population.count) > 60000)
        at("ngo_population.count", "at most 60000 NGOs in one scenario (RNG stream layout)");
    if (s.shocks.ws2_stall_weeks > 0 && s.shocks.ws2_stall_start_week < 0)
        at("shocks.ws2_stall_weeks",
           "a stall length is given but shocks.ws2_stall_start_week is -1 (no stall)");
    const double mem = estimate_memory_bytes(s);
    if (mem > opts.memory_limit_bytes)
        at("ecosystem.supplier_count",
           fmt::format(
               "this ecosystem needs an estimated {:.1f} GiB, above the limit of {:.1f} GiB; "
               "reduce organisation counts or suppliers per MNC",
               mem / (1 << 30), opts.memory_limit_bytes / (1 << 30)));
}

}  // namespace

toml::table load_merged_table(const std::filesystem::path& file, std::vector<std::string>* files,
                              std::vector<std::string>* texts) {
    std::vector<std::string> chain;
    return load_merged_impl(file, 0, files, texts, chain);
}

namespace {
/// Split "key=value" at the first '=' and trim blanks around both; nullopt without a key.
std::optional<std::pair<std::string, std::string>> split_assignment(const std::string& assignment) {
    const auto eq = assignment.find('=');
    if (eq == std::string::npos || eq == 0) return std::nullopt;
    auto trim = [](std::string s) {
        s.erase(0, s.find_first_not_of(" \t"));
        s.erase(s.find_last_not_of(" \t") + 1);
        return s;
    };
    return std::pair{trim(assignment.substr(0, eq)), trim(assignment.substr(eq + 1))};
}
}  // namespace

void apply_override(toml::table& t, const std::string& assignment) {
    const auto kv = split_assignment(assignment);
    if (!kv) throw InputError(InputProblem{"--set", 0, 0, assignment, "expected key=value"});
    const std::string key = kv->first;
    const std::string value = kv->second;
    toml::table holder;
    check_key_depth(value, "--set");
    try {
        holder = toml::parse(std::string_view("v = " + value), std::string_view("--set"));
    } catch (const toml::parse_error&) {
        holder = toml::table{};
        holder.insert_or_assign("v",
                                value);  // bare word: treat as a string (e.g. approach=scrutiny)
    }
    const toml::node& node = *holder.get("v");
    // The grammar (pse/keys.h) says which table(s) the key addresses; the field's own dotted
    // path is then placed in each. An unknown field is placed too: scenario_from_table reports
    // it with a suggestion, like every other problem.
    const ParamKey k = split_key(key, "--set");
    std::vector<std::string> segs;
    std::stringstream ss(k.field);
    for (std::string seg; std::getline(ss, seg, '.');) segs.push_back(seg);
    if (segs.empty() || std::any_of(segs.begin(), segs.end(), [](auto& s) { return s.empty(); }) ||
        k.field.back() == '.')
        throw InputError(InputProblem{"--set", 0, 0, key, "malformed key"});
    auto put = [&](toml::table& root) {
        toml::table* tbl = &root;
        for (std::size_t i = 0; i + 1 < segs.size(); ++i) {
            auto* sub = tbl->get_as<toml::table>(segs[i]);
            if (!sub) {
                if (tbl->contains(segs[i]))
                    throw InputError(
                        InputProblem{"--set", 0, 0, key, "'" + segs[i] + "' is not a table"});
                tbl->insert_or_assign(segs[i], toml::table{});
                sub = tbl->get_as<toml::table>(segs[i]);
            }
            tbl = sub;
        }
        tbl->insert_or_assign(segs.back(), node);
    };
    auto table_named = [&](const char* name) -> toml::table& {
        if (!t.get_as<toml::table>(name)) {
            if (t.contains(name))
                throw InputError(
                    InputProblem{"--set", 0, 0, key, std::string("'") + name + "' is not a table"});
            t.insert_or_assign(name, toml::table{});
        }
        return *t.get_as<toml::table>(name);
    };
    auto* entries = t.get_as<toml::array>("ngo");
    switch (k.target) {
        case KeyTarget::kScenario:
            put(t);
            return;
        case KeyTarget::kNgoDefaults:
            put(table_named("ngo_defaults"));
            return;
        case KeyTarget::kNgoAll:  // the defaults and every explicit entry
            put(table_named("ngo_defaults"));
            if (entries)
                for (auto& e : *entries)
                    if (auto* et = e.as_table()) put(*et);
            return;
        case KeyTarget::kNgoEntry:
            if (!entries || k.index >= entries->size() || !(*entries)[k.index].is_table())
                throw InputError(
                    InputProblem{"--set", 0, 0, key,
                                 fmt::format("there is no ngo[{}] in the scenario", k.index)});
            put(*(*entries)[k.index].as_table());
            return;
    }
}

namespace {
/// The [[ngo]] entries `v` of a scenario file into s.ngos, each starting from s.ngo_defaults
/// (keys ngo[i].KEY). Problems (not an array of tables, bad keys or values) go to `problems`.
void apply_ngo_entries(const toml::node& v, Scenario& s, const std::string& file,
                       std::vector<InputProblem>& problems, std::map<std::string, Where>& where) {
    if (!v.is_array_of_tables()) {
        const auto w = where_of(v, file);
        problems.push_back(InputProblem{w.file, w.line, w.column, "ngo",
                                        "expected [[ngo]] tables (an array of tables)"});
        return;
    }
    std::size_t i = 0;
    for (const auto& e : *v.as_array()) {
        NgoParams n = s.ngo_defaults;
        apply_ngo_table(*e.as_table(), n, fmt::format("ngo[{}].", i), file, problems, where);
        s.ngos.push_back(std::move(n));
        ++i;
    }
}
}  // namespace

Scenario scenario_from_table(const toml::table& t, const std::string& file,
                             const LoadOptions& opts) {
    Scenario s;
    std::vector<InputProblem> problems;
    std::map<std::string, Where> where;
    const auto& fields = scenario_fields();
    std::vector<std::string> all_keys = keys_of(fields, "");
    for (const auto& k : keys_of(ngo_fields(), "ngo_defaults.")) all_keys.push_back(k);

    // NGO defaults first: [[ngo]] entries start from them.
    if (auto* d = t.get("ngo_defaults")) {
        if (!d->is_table()) {
            const auto w = where_of(*d, file);
            problems.push_back(
                InputProblem{w.file, w.line, w.column, "ngo_defaults", "expected a table"});
        } else {
            apply_ngo_table(*d->as_table(), s.ngo_defaults, "ngo_defaults.", file, problems, where);
        }
    }
    for (auto&& [k, v] : t) {
        if (problems.size() >= kMaxProblems) break;
        const std::string top = std::string(k.str());
        if (top == "ngo_defaults" || opts.extra_tables.count(top)) continue;
        if (top == "ngo") {
            apply_ngo_entries(v, s, file, problems, where);
            continue;
        }
        std::vector<std::pair<std::string, const toml::node*>> flat;
        if (v.is_table())
            flatten(*v.as_table(), top + ".", flat);
        else
            flat.emplace_back(top, &v);
        for (const auto& entry : flat) {
            // Not a structured binding: clang 14 cannot capture those.
            const std::string& key = entry.first;
            const toml::node* node = entry.second;
            auto it = std::find_if(fields.begin(), fields.end(),
                                   [&](const auto& f) { return f.key == key; });
            const auto w = where_of(*node, file);
            if (it == fields.end()) {
                if (problems.size() >= kMaxProblems) break;
                auto sug = suggest_key(key, all_keys);
                problems.push_back(InputProblem{
                    w.file, w.line, w.column, shown_key(key),
                    "unknown key" +
                        (sug.empty() ? std::string() : "; did you mean '" + sug + "'?")});
                continue;
            }
            where[key] = w;
            if (auto val = convert(*node, *it, key, file, problems)) it->set(s, *val);
        }
    }
    if (problems.empty()) check_consistency(s, file, where, problems, opts);
    if (problems.size() >= kMaxProblems)
        problems.push_back(InputProblem{
            file, 0, 0, "", fmt::format("too many problems; stopped after {}", problems.size())});
    if (!problems.empty()) throw InputError(std::move(problems));
    return s;
}

void check_scenario(const Scenario& s, const std::string& file, const LoadOptions& opts) {
    std::vector<InputProblem> problems;
    check_consistency(s, file, {}, problems, opts);
    if (!problems.empty()) throw InputError(std::move(problems));
}

InputError attribute_overrides(const InputError& e, const std::vector<std::string>& overrides) {
    std::vector<InputProblem> problems = e.problems();
    for (auto& p : problems) {
        for (const auto& o : overrides) {
            const auto kv = split_assignment(o);
            if (!kv) continue;
            const std::string& key = kv->first;
            if (p.key == key ||
                p.key == defaults_key(key)) {  // ngo[*].x is stored as ngo_defaults.x
                p.file = "--set " + o;
                p.line = p.column = 0;
            }
        }
    }
    return InputError(std::move(problems));
}

namespace {
Scenario scenario_with_overrides(const toml::table& t, const std::string& file,
                                 const LoadOptions& opts) {
    try {
        return scenario_from_table(t, file, opts);
    } catch (const InputError& e) {
        throw attribute_overrides(e, opts.overrides);
    }
}
}  // namespace

LoadedScenario load_scenario(const std::filesystem::path& file, const LoadOptions& opts) {
    LoadedScenario out;
    out.path = file.string();
    toml::table t = load_merged_table(file, &out.files, &out.texts);
    for (const auto& o : opts.overrides) apply_override(t, o);
    out.scenario = scenario_with_overrides(t, file.string(), opts);
    return out;
}

LoadedScenario load_scenario_text(const std::string& text, const std::string& name,
                                  const LoadOptions& opts) {
    LoadedScenario out;
    out.path = name;
    out.files.push_back(name);
    out.texts.push_back(text);
    toml::table t = parse_text(text, name);
    if (auto* ext = t.get("extends"); ext && ext->is_string()) {
        std::vector<std::string> chain;
        const std::filesystem::path base_file = *ext->value<std::string>();
        const auto base_path =
            opts.text_base_dir.empty() ? base_file : opts.text_base_dir / base_file;
        std::error_code ec;
        if (!std::filesystem::exists(base_path, ec)) {  // say where the text asked for it
            const auto w = where_of(*ext, name);
            throw InputError(InputProblem{w.file, w.line, w.column, "extends",
                                          "base file '" + base_file.string() + "' not found"});
        }
        toml::table base = load_merged_impl(base_path, 1, &out.files, &out.texts, chain);
        t.erase("extends");
        deep_merge(base, t);
        t = std::move(base);
    }
    for (const auto& o : opts.overrides) apply_override(t, o);
    out.scenario = scenario_with_overrides(t, name, opts);
    return out;
}

std::string dump_scenario(const Scenario& s) {
    std::string out =
        "# Fully resolved scenario (pse-sim show): every parameter, defaults included.\n";
    std::string current = "\x01";
    for (const auto& f : scenario_fields()) {
        const auto dot = f.key.rfind('.');
        const std::string table = f.key.substr(0, dot);
        if (table != current) {
            out += "\n[" + table + "]\n";
            current = table;
        }
        out += f.key.substr(dot + 1) + " = " + to_toml(f.get(s)) + "\n";
    }
    out += "\n[ngo_defaults]\n";
    for (const auto& f : ngo_fields()) out += f.key + " = " + to_toml(f.get(s.ngo_defaults)) + "\n";
    for (const auto& n : s.ngos) {
        out += "\n[[ngo]]\n";
        for (const auto& f : ngo_fields()) out += f.key + " = " + to_toml(f.get(n)) + "\n";
    }
    return out;
}

double estimate_memory_bytes(const Scenario& s) {
    const auto& e = s.ecosystem;
    const double ngos = static_cast<double>(s.ngos.size() + s.ngo_population.count + 1);
    const double orgs = e.mnc_count + static_cast<double>(e.supplier_count) + e.government_count +
                        e.association_count + ngos;
    const double alpha = e.suppliers_per_mnc_alpha;
    const double mean_sup =
        std::min<double>(e.supplier_count, e.suppliers_per_mnc_min * alpha / (alpha - 1.0));
    const double edges = e.mnc_count * mean_sup +
                         orgs * (e.association_membership_prob + e.government_tie_prob) +
                         ngos * ngos * e.ngo_tie_prob;
    // Boost adjacency_list (undirected, vecS): ~64 bytes per edge; ~160 bytes of agent state per
    // organisation; relationships grow with contact: bounded by NGOs x companies x 64 bytes.
    const double rels =
        std::min(ngos * (e.mnc_count + static_cast<double>(e.supplier_count)), 4.0 * orgs + edges);
    return 64.0 * edges + 160.0 * orgs + 64.0 * rels + 8.0 * 64 * s.weeks;
}

}  // namespace pse
