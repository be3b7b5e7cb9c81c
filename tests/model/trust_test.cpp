#include <gtest/gtest.h>

#include "support/fixtures.h"
