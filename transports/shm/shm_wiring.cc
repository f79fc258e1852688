#include "transports/shm/shm_wiring.h"

#include <cstdio>
#include <string>

#include "transports/shm/shm_fifo.h"

namespace braid {
namespace {

std::string fifoName(uint64_t nonce, int channel, int from, int to) {
  char name[96];
  std::snprintf(name, sizeof name, "/braid-%016llx-c%d-%d-%d", static_cast<unsigned long long>(nonce), channel, from,
                to);
  return name;
}

}  // namespace

std::unique_ptr<LlMailbox> connectSharedMemory(Bootstrap& b, const std::vector<int>& localPeers,
                                               const std::vector<ChannelConnections*>& channels, bool mailboxes) {
  const ShmFifoGeometry geometry = ShmFifoGeometry::fromEnv();
  std::vector<std::string> created;
  struct Unlinker {
    std::vector<std::string>& names;
    ~Unlinker() {
      for (const std::string& n : names) ShmFifo::unlink(n);
    }
  } unlinker{created};
  for (size_t c = 0; c < channels.size(); ++c)
    for (int peer : localPeers) {
      created.push_back(fifoName(b.nonce(), static_cast<int>(c), peer, b.rank()));
      channels[c]->recv[peer] = std::make_shared<ShmRecvConnection>(ShmFifo::create(created.back(), geometry));
    }
  std::unique_ptr<LlMailbox> mailbox;
  if (mailboxes) {
    created.push_back(LlMailbox::segmentName(b.nonce(), b.rank()));
    mailbox = std::make_unique<LlMailbox>(b.nonce(), b.rank(), b.nranks());
  }
  b.barrier();
  for (size_t c = 0; c < channels.size(); ++c)
    for (int peer : localPeers)
      channels[c]->send[peer] =
          std::make_shared<ShmSendConnection>(ShmFifo::open(fifoName(b.nonce(), static_cast<int>(c), b.rank(), peer)));
  if (mailbox) mailbox->openPeers(b.nonce());
  b.barrier();
  return mailbox;
}

}  // namespace braid
