#include "pse/errors.h"

namespace pse {
namespace {
std::string join_problems(const std::vector<InputProblem>& ps) {
    std::string out;
    for (const auto& p : ps) {
        if (!out.empty()) out += '\n';
        out += p.format();
    }
    return out;
}
}  // namespace

std::string InputProblem::format() const {
    std::string out;
    if (!file.empty()) {
        out += file;
        if (line > 0) {
            out += ':' + std::to_string(line);
            if (column > 0) out += ':' + std::to_string(column);
        }
        out += ": ";
    }
    if (!key.empty()) out += "key '" + key + "': ";
    out += message;
    return out;
}

InputError::InputError(std::vector<InputProblem> problems)
    : std::runtime_error(join_problems(problems)), problems_(std::move(problems)) {}

InputError::InputError(InputProblem problem)
    : InputError(std::vector<InputProblem>{std::move(problem)}) {}

}  // namespace pse
