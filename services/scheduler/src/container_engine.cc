#include "container_engine.h"

namespace gofer::scheduler {

std::string_view ContainerStateName(ContainerState state) {
  switch (state) {
    case ContainerState::kCreated:
      return "created";
    case ContainerState::kRunning:
      return "running";
    case ContainerState::kPaused:
      return "paused";
    case ContainerState::kRestarting:
      return "restarting";
    case ContainerState::kExited:
      return "exited";
    case ContainerState::kDead:
      return "dead";
    case ContainerState::kUnknown:
      break;
  }
  return "unknown";
}

bool IsTerminal(ContainerState state) {
  return state == ContainerState::kExited || state == ContainerState::kDead;
}

bool MatchesLabels(const Labels& labels, const Labels& filter) {
  for (const auto& [key, value] : filter) {
    auto it = labels.find(key);
    if (it == labels.end() || it->second != value) {
      return false;
    }
  }
  return true;
}

}  // namespace gofer::scheduler
