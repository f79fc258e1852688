// One-sided communication (NCCL 2.29: ncclPutSignal, ncclSignal, ncclWaitSignal) into memory windows.
//
// The target of a put takes no part in it, so each rank keeps a one-sided mesh beside its channels: one TCP
// connection to every peer (made at the communicator's first window registration, which every rank makes
// together) and a service thread, NCCL's proxy in miniature, that writes arriving puts into this rank's windows
// and counts arriving signals per (peer, context). Between ranks of one host where cross-memory attach is on,
// the sender writes the data straight into the peer's window (process_vm_writev) and the connection carries
// only the signal. Either way a signal is counted only after its put's data is in place, and everything one rank
// sends another over a context arrives in program order: one connection per pair, one service thread per rank.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/socket.h"
#include "bootstrap/bootstrap.h"
#include "nccl.h"

namespace braid {

// Where a put lands: the window (as every rank numbers it) and the peer's buffer address in its own process.
struct PutTarget {
  uint64_t window = 0;
  uint64_t address = 0;
  uint64_t offset = 0;
};

class OneSidedMesh {
 public:
  struct Options {
    int contexts = 1;              // config numRmaCtx (at least 1)
    int trafficClass = -1;         // config trafficClass, for the connections
    bool crossMemory = false;      // every peer shares this host and may be written by cross-memory attach
    double timeoutSeconds = 1800;  // BRAID_TIMEOUT: a wait without its signals for this long fails; 0 never
    const std::atomic<bool>* stopping = nullptr;  // ncclCommAbort, ncclCommRevoke: waits give up
  };
  // Collective: every rank of `bootstrap` builds its mesh at the same point.
  OneSidedMesh(Bootstrap& bootstrap, const Options& options);
  ~OneSidedMesh();  // stops the service thread, closes the connections
  OneSidedMesh(const OneSidedMesh&) = delete;
  OneSidedMesh& operator=(const OneSidedMesh&) = delete;

  int contexts() const { return options_.contexts; }

  // Windows of this rank that puts may write, by the number every rank gives the window (they register them
  // together, in the same order).
  uint64_t addWindow(char* buffer, size_t size);
  void removeWindow(uint64_t window);
  // Collective: returns once every peer's puts and signals sent before its own fence have been applied here.
  void fence();

  // Sends `bytes` at `data` into the peer's window, then a signal on `context`. The data may be reused on return.
  void put(int peer, const PutTarget& target, const void* data, size_t bytes, int context);
  void signal(int peer, int context);
  // Waits until each descriptor's signals have arrived, then consumes them.
  void wait(const std::vector<ncclWaitSignalDesc_t>& descriptors);

 private:
  struct Message;
  struct Peer {
    Socket socket;
    std::mutex sending;  // one message at a time on the connection
    pid_t pid = 0;
  };
  void connectPeers(Bootstrap& bootstrap);
  void serve();
  void receiveFrom(int peer);
  void send(int peer, const Message& message, const void* payload, size_t bytes);
  void apply(int peer, const Message& message);  // a signal (or fence) from `peer`, under mutex_
  std::string problemWaiting(const std::vector<ncclWaitSignalDesc_t>& descriptors) const;  // under mutex_

  const int rank_, nranks_;
  const Options options_;
  std::vector<std::unique_ptr<Peer>> peers_;  // null for this rank
  int wakeFd_ = -1;                           // eventfd: the service thread stops
  std::thread service_;

  mutable std::mutex mutex_;
  std::condition_variable arrived_;
  std::map<uint64_t, std::pair<char*, size_t>> windows_;
  uint64_t nextWindow_ = 0;
  std::vector<uint64_t> received_, consumed_;  // signals by peer * contexts + context
  std::vector<uint64_t> fencesReceived_;       // by peer
  uint64_t fencesSent_ = 0;
  std::vector<std::string> gone_;  // by peer: why its connection ended or was dropped ("" while it serves)
};

}  // namespace braid
