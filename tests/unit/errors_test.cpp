// sim/pse/errors.cpp: how an input problem is written (file:line:column: key 'k': message) and
// how InputError joins several problems into its what().
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "pse/errors.h"

namespace pse {
namespace {

InputProblem problem(std::string file, int line, int column, std::string key, std::string message) {
    InputProblem p;
    p.file = std::move(file);
    p.line = line;
    p.column = column;
    p.key = std::move(key);
    p.message = std::move(message);
    return p;
}

TEST(Errors, ProblemFormatHasEveryKnownPartInOrder) {
    EXPECT_EQ(problem("a.toml", 3, 7, "trust.gain_rate", "value 7 is out of range [0, 1]").format(),
              "a.toml:3:7: key 'trust.gain_rate': value 7 is out of range [0, 1]");
    EXPECT_EQ(problem("a.toml", 3, 0, "run.weeks", "expected an integer").format(),
              "a.toml:3: key 'run.weeks': expected an integer");
    EXPECT_EQ(problem("a.toml", 0, 0, "", "cannot open").format(), "a.toml: cannot open");
    EXPECT_EQ(problem("--set", 0, 0, "x", "unknown key").format(), "--set: key 'x': unknown key");
    EXPECT_EQ(problem("", 0, 0, "ngo[1].trained", "expected a boolean").format(),
              "key 'ngo[1].trained': expected a boolean");
    EXPECT_EQ(problem("", 0, 0, "", "no NGO").format(), "no NGO");
}

TEST(Errors, ProblemFormatLeavesOutALineOrColumnWithoutItsFile) {
    // A column without a line, or a line without a file, would point nowhere: left out.
    EXPECT_EQ(problem("a.toml", 0, 5, "", "m").format(), "a.toml: m");
    EXPECT_EQ(problem("", 4, 2, "k", "m").format(), "key 'k': m");
}

TEST(Errors, InputErrorJoinsItsProblemsOnePerLine) {
    const InputError e({problem("a.toml", 1, 1, "run.wekes", "unknown key"),
                        problem("a.toml", 2, 9, "run.seed", "expected an integer"),
                        problem("", 0, 0, "", "2 problems found")});
    EXPECT_STREQ(e.what(),
                 "a.toml:1:1: key 'run.wekes': unknown key\na.toml:2:9: key 'run.seed': expected "
                 "an integer\n2 problems found");
    ASSERT_EQ(e.problems().size(), 3u);
    EXPECT_EQ(e.problems()[1].key, "run.seed");
    EXPECT_EQ(e.problems()[1].line, 2);
    EXPECT_EQ(e.problems()[1].column, 9);
}

TEST(Errors, InputErrorOfOneProblemIsThatProblem) {
    const InputError e(problem("b.toml", 5, 0, "", "duplicate key"));
    EXPECT_STREQ(e.what(), "b.toml:5: duplicate key");
    ASSERT_EQ(e.problems().size(), 1u);
    EXPECT_EQ(e.problems()[0].message, "duplicate key");
}

TEST(Errors, EachErrorClassKeepsItsMessageAndIsARuntimeError) {
    // The CLI maps the classes to exit codes (InputError 2, IoError and ModelError 1): they must
    // stay distinct types, all catchable as std::runtime_error.
    auto kind = [](const std::exception_ptr& p) -> std::string {
        try {
            std::rethrow_exception(p);
        } catch (const InputError&) {
            return "input";
        } catch (const IoError&) {
            return "io";
        } catch (const ModelError&) {
            return "model";
        } catch (const std::runtime_error&) {
            return "runtime";
        }
    };
    EXPECT_EQ(kind(std::make_exception_ptr(InputError(problem("", 0, 0, "", "x")))), "input");
    EXPECT_EQ(kind(std::make_exception_ptr(IoError("disk full"))), "io");
    EXPECT_EQ(kind(std::make_exception_ptr(ModelError("no NGO"))), "model");
    EXPECT_STREQ(IoError("cannot write 'x.h5'").what(), "cannot write 'x.h5'");
    const std::runtime_error& base = ModelError("bad state");
    EXPECT_STREQ(base.what(), "bad state");
}

}  // namespace
}  // namespace pse
