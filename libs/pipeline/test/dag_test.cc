#include "gofer/pipeline/dag.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "test_support.h"

namespace {

using gofer::pipeline::FindCycles;
using gofer::pipeline::TopologicalOrder;
using gofer::pipeline::testing::Parse;
using gofer::pipeline::testing::ReadFixture;
using Ids = std::vector<std::string>;

}  // namespace

TEST_CASE("TopologicalOrder puts parents first and breaks ties by id") {
  CHECK(TopologicalOrder(Parse(ReadFixture("dag.yaml"))) ==
        Ids{"build", "test", "notify-failure", "publish", "cleanup"});
  CHECK(TopologicalOrder(Parse("tasks:\n  - {id: zed}\n  - {id: bee, depends_on: {zed: any}}\n"
                               "  - {id: ant}\n")) == Ids{"ant", "zed", "bee"});
}

TEST_CASE("TopologicalOrder does not depend on the order of tasks") {
  auto config = Parse(ReadFixture("dag.yaml"));
  const Ids expected = TopologicalOrder(config);
  std::reverse(config.mutable_tasks()->begin(), config.mutable_tasks()->end());
  CHECK(TopologicalOrder(config) == expected);
}

TEST_CASE("TopologicalOrder leaves out tasks on or after a cycle and ignores unknown parents") {
  CHECK(TopologicalOrder(Parse("tasks:\n  - {id: a, depends_on: {b: any}}\n"
                               "  - {id: b, depends_on: {a: any}}\n"
                               "  - {id: c, depends_on: {a: any}}\n"
                               "  - {id: d, depends_on: {ghost: any}}\n"
                               "  - {id: e, depends_on: {e: any}}\n")) == Ids{"d"});
}

TEST_CASE("FindCycles reports the shortest cycle through the smallest id of each group") {
  CHECK(FindCycles(Parse(ReadFixture("dag.yaml"))).empty());
  const auto cycles =
      FindCycles(Parse("tasks:\n"
                       "  - {id: a, depends_on: {b: any}}\n"
                       "  - {id: b, depends_on: {c: any, d: any}}\n"
                       "  - {id: c, depends_on: {e: any}}\n"
                       "  - {id: d, depends_on: {a: any}}\n"
                       "  - {id: e, depends_on: {a: any}}\n"
                       "  - {id: x, depends_on: {y: any, x: any}}\n"
                       "  - {id: y, depends_on: {x: any}}\n"
                       "  - {id: z, depends_on: {z: any}}\n"));
  CHECK(cycles == std::vector<Ids>{{"a", "b", "d", "a"}, {"x", "y", "x"}});
}
