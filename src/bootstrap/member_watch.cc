#include "bootstrap/member_watch.h"

#include <string>

#include "base/process_identity.h"

namespace braid {

MembersGone watchLocalMembers(const std::vector<PeerInfo>& peers, int self, const std::vector<int>& members,
                              const std::string& whose) {
  struct Watched {
    int rank;
    pid_t pid;
  };
  std::vector<Watched> local;
  for (int m : members)
    if (m != self && peers[m].hostHash == peers[self].hostHash && peers[m].pidNamespace == peers[self].pidNamespace)
      local.push_back({m, peers[m].pid});
  if (local.empty()) return nullptr;
  return [local, whose]() -> std::string {
    for (const Watched& w : local)
      if (processExited(w.pid))
        return "rank " + std::to_string(w.rank) + whose + " (pid " + std::to_string(w.pid) + ") has exited";
    return "";
  };
}

}  // namespace braid
