// The task graph of a config: execution order and cycles.
#pragma once

#include <string>
#include <vector>

#include "gofer/v1/pipelines.pb.h"

namespace gofer::pipeline {

// The task ids of `config` in an order where every task comes after all of its parents; among
// tasks whose parents are all placed, the smallest id comes first, so the order is a pure
// function of the config (not of the order of tasks or map entries).
//
// Meant for validated configs. On any other config it still returns: parents that are not
// tasks are ignored, a duplicate id counts once (its first task), and tasks on a cycle (a task
// depending on itself included) or downstream of one are left out — so the result is shorter
// than the number of distinct ids exactly when the graph has a cycle. Thread-safe.
std::vector<std::string> TopologicalOrder(const gofer::v1::PipelineConfig& config);

// The dependency cycles of `config`: one per strongly connected group of two or more tasks,
// ordered by their smallest id. Each cycle is the shortest one through the group's smallest
// id, starting and ending with it, following depends_on edges ({"a", "b", "c", "a"}: a depends
// on b, b on c, c on a). A task depending on itself is not reported here (ValidateConfig
// reports it on its own). Parents that are not tasks are ignored; a duplicate id counts once.
// Thread-safe.
std::vector<std::vector<std::string>> FindCycles(const gofer::v1::PipelineConfig& config);

}  // namespace gofer::pipeline
