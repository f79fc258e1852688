#include "transports/shm/shm_wiring.h"

#include <string>

#include "base/error.h"
#include "transports/shm/segment_names.h"
#include "transports/shm/shm_fifo.h"

namespace braid {
namespace {

// The FIFO from `from` to `to` on `channel`; its receiver creates it.
std::string fifoName(const Bootstrap& b, int channel, int from, int to) {
  return segmentName(b.peers()[to], b.nonce(),
                     "c" + std::to_string(channel) + "-" + std::to_string(from) + "-" + std::to_string(to));
}

}  // namespace

std::unique_ptr<LlMailbox> connectSharedMemory(Bootstrap& b, const std::vector<int>& localPeers,
                                               const std::vector<ChannelConnections*>& channels, bool mailboxes) {
  const ShmFifoGeometry geometry = ShmFifoGeometry::fromEnv();
  reclaimSegmentsOfDeadProcesses();
  std::vector<std::string> created;
  struct Unlinker {
    std::vector<std::string>& names;
    ~Unlinker() {
      for (const std::string& n : names) ShmFifo::unlink(n);
    }
  } unlinker{created};
  for (size_t c = 0; c < channels.size(); ++c)
    for (int peer : localPeers) {
      created.push_back(fifoName(b, static_cast<int>(c), peer, b.rank()));
      channels[c]->recv[peer] = std::make_shared<ShmRecvConnection>(ShmFifo::create(created.back(), geometry));
    }
  std::unique_ptr<LlMailbox> mailbox;
  std::vector<std::string> boxNames;
  if (mailboxes) {
    for (int r = 0; r < b.nranks(); ++r)
      boxNames.push_back(segmentName(b.peers()[r], b.nonce(), "ll-" + std::to_string(r)));
    created.push_back(boxNames[b.rank()]);
    mailbox = std::make_unique<LlMailbox>(boxNames, b.rank());
  }
  b.barrier();
  try {
    for (size_t c = 0; c < channels.size(); ++c)
      for (int peer : localPeers)
        channels[c]->send[peer] =
            std::make_shared<ShmSendConnection>(ShmFifo::open(fifoName(b, static_cast<int>(c), b.rank(), peer)));
    if (mailbox) mailbox->openPeers(boxNames);
  } catch (const Error& e) {
    // All were created before the barrier, so one missing now was removed by a peer that left init.
    fail(e.code(), std::string(e.what()) + " (a peer on this host left init: it failed or exited)");
  }
  b.barrier();
  return mailbox;
}

}  // namespace braid
