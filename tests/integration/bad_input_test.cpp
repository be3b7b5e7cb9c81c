// Bad-input table (docs/BAD_INPUT.md): one test per row. Owned by the hardening work (issue 10).
#include <gtest/gtest.h>

#include "support/fixtures.h"
