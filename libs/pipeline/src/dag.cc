#include "gofer/pipeline/dag.h"

#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <queue>
#include <utility>

namespace gofer::pipeline {
namespace {

// The tasks as nodes numbered in id order, with edges from each task to its parents.
struct Graph {
  std::vector<std::string> ids;
  std::vector<std::vector<int>> parents;
};

Graph BuildGraph(const gofer::v1::PipelineConfig& config) {
  std::map<std::string, int> index;
  for (const gofer::v1::Task& task : config.tasks()) {
    index.emplace(task.id(), 0);
  }
  Graph g;
  for (auto& [id, i] : index) {
    i = static_cast<int>(g.ids.size());
    g.ids.push_back(id);
  }
  g.parents.resize(g.ids.size());
  std::vector<bool> seen(g.ids.size());
  for (const gofer::v1::Task& task : config.tasks()) {
    const int i = index.at(task.id());
    if (seen[i]) {
      continue;  // A duplicate id: its first task counts.
    }
    seen[i] = true;
    for (const auto& [parent, condition] : task.depends_on()) {
      if (auto it = index.find(parent); it != index.end()) {
        g.parents[i].push_back(it->second);
      }
    }
    std::sort(g.parents[i].begin(), g.parents[i].end());
  }
  return g;
}

// Tarjan's strongly connected components, iteratively (a deep graph must not exhaust the stack).
class Tarjan {
 public:
  explicit Tarjan(const Graph& g)
      : g_(g), order_(g.ids.size(), -1), low_(g.ids.size(), 0), on_stack_(g.ids.size(), false) {}

  std::vector<std::vector<int>> Run() {
    for (int root = 0; root < static_cast<int>(g_.ids.size()); ++root) {
      if (order_[root] != -1) {
        continue;
      }
      Visit(root);
      while (!work_.empty()) {
        const int u = work_.back().first;
        if (const size_t e = work_.back().second++; e < g_.parents[u].size()) {
          const int w = g_.parents[u][e];
          if (order_[w] == -1) {
            Visit(w);
          } else if (on_stack_[w]) {
            low_[u] = std::min(low_[u], order_[w]);
          }
        } else {
          Finish(u);
        }
      }
    }
    return std::move(components_);
  }

 private:
  void Visit(int v) {
    order_[v] = low_[v] = counter_++;
    stack_.push_back(v);
    on_stack_[v] = true;
    work_.emplace_back(v, 0);
  }

  // All edges of `u` are explored: close its component if it is the root of one.
  void Finish(int u) {
    if (low_[u] == order_[u]) {
      std::vector<int> component;
      int w;
      do {
        w = stack_.back();
        stack_.pop_back();
        on_stack_[w] = false;
        component.push_back(w);
      } while (w != u);
      components_.push_back(std::move(component));
    }
    work_.pop_back();
    if (!work_.empty()) {
      low_[work_.back().first] = std::min(low_[work_.back().first], low_[u]);
    }
  }

  const Graph& g_;
  std::vector<int> order_, low_;
  std::vector<bool> on_stack_;
  std::vector<int> stack_;
  std::vector<std::pair<int, size_t>> work_;  // (node, next edge to explore)
  std::vector<std::vector<int>> components_;
  int counter_ = 0;
};

// The shortest cycle from `start` back to itself inside `component` (breadth-first, parents in
// id order, so the result is deterministic).
std::vector<std::string> ShortestCycle(const Graph& g, const std::vector<int>& component,
                                       int start) {
  std::vector<bool> inside(g.ids.size(), false);
  for (int v : component) {
    inside[v] = true;
  }
  std::vector<int> previous(g.ids.size(), -1);
  std::deque<int> queue = {start};
  while (!queue.empty()) {
    const int u = queue.front();
    queue.pop_front();
    for (int w : g.parents[u]) {
      if (w == u) {
        continue;  // A self-dependency is reported on its own.
      }
      if (w == start) {
        std::vector<std::string> cycle = {g.ids[start]};
        for (int v = u; v != start; v = previous[v]) {
          cycle.insert(cycle.begin() + 1, g.ids[v]);
        }
        cycle.push_back(g.ids[start]);
        return cycle;
      }
      if (inside[w] && previous[w] == -1 && w != start) {
        previous[w] = u;
        queue.push_back(w);
      }
    }
  }
  return {};  // Unreachable for a component of two or more nodes.
}

}  // namespace

std::vector<std::string> TopologicalOrder(const gofer::v1::PipelineConfig& config) {
  const Graph g = BuildGraph(config);
  const size_t n = g.ids.size();
  std::vector<std::vector<int>> children(n);
  std::vector<size_t> waiting(n);
  for (size_t i = 0; i < n; ++i) {
    waiting[i] = g.parents[i].size();
    for (int p : g.parents[i]) {
      children[p].push_back(static_cast<int>(i));
    }
  }
  // Node numbers follow id order, so the smallest ready number is the smallest ready id.
  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
  for (size_t i = 0; i < n; ++i) {
    if (waiting[i] == 0) {
      ready.push(static_cast<int>(i));
    }
  }
  std::vector<std::string> order;
  while (!ready.empty()) {
    const int i = ready.top();
    ready.pop();
    order.push_back(g.ids[i]);
    for (int c : children[i]) {
      if (--waiting[c] == 0) {
        ready.push(c);
      }
    }
  }
  return order;
}

std::vector<std::vector<std::string>> FindCycles(const gofer::v1::PipelineConfig& config) {
  const Graph g = BuildGraph(config);
  std::vector<std::vector<int>> components = Tarjan(g).Run();
  std::vector<std::pair<int, const std::vector<int>*>> groups;
  for (const std::vector<int>& c : components) {
    if (c.size() >= 2) {
      groups.emplace_back(*std::min_element(c.begin(), c.end()), &c);
    }
  }
  std::sort(groups.begin(), groups.end());
  std::vector<std::vector<std::string>> cycles;
  for (const auto& [smallest, component] : groups) {
    cycles.push_back(ShortestCycle(g, *component, smallest));
  }
  return cycles;
}

}  // namespace gofer::pipeline
