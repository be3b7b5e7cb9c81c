#pragma once
/// Typed exceptions thrown by the pse library.
/// Library code never exits; the CLI maps InputError to exit code 2 and everything else to 1.
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace pse {

/// At most this many problems are reported per input file (then "too many problems"): a file
/// of a million bad lines must not print a million messages (docs/BAD_INPUT.md).
inline constexpr std::size_t kMaxProblemsPerFile = 100;

/// One problem found in an input file: where (file, 1-based line and column; 0 when unknown),
/// which key (dotted path such as "ngo[0].dedicated_fte"; empty for syntax errors) and what.
struct InputProblem {
    std::string file;
    int line = 0;
    int column = 0;
    std::string key;
    std::string message;
    /// "file:line:column: key: message" (parts that are unknown are left out).
    [[nodiscard]] std::string format() const;
};

/// Bad user input (scenario/experiment file, command-line value). Holds every problem found,
/// so a user sees all of them at once. Maps to exit code 2.
class InputError : public std::runtime_error {
  public:
    explicit InputError(std::vector<InputProblem> problems);
    explicit InputError(InputProblem problem);
    [[nodiscard]] const std::vector<InputProblem>& problems() const { return problems_; }

  private:
    std::vector<InputProblem> problems_;
};

/// File-system or HDF5 failure (unwritable folder, full disk, not a results file). Exit code 1.
class IoError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

/// Internal inconsistency in the model (a bug, or a state the scenario validation missed).
class ModelError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

}  // namespace pse
