// Connections over message networks (libfabric, NCCL net plugins): each direction of a (channel, peer) stream is
// a ring of registered slots. A send copies up to one slot and posts it; receives are posted on every slot, one
// per expected message in stream order, and a finished one is read in place, so reductions use the network's
// buffer directly. Released slots are posted again when more data is wanted, never after the last message (the
// peer may be gone by then). The network behind a ring is a MessagePort.
#pragma once

#include <cstddef>
#include <memory>

#include "transports/transport.h"

namespace braid {

// What a message network's slot size may be (its parameter says, default 256 KiB): a multiple of 64 bytes, so that
// no message ends inside an element (a reduction could never complete it), and at most 1 GiB (plugins take int
// sizes).
constexpr size_t kDefaultMessageSlotBytes = 256 * 1024;
constexpr size_t kMaxMessageSlotBytes = size_t{1} << 30;

class MessagePort;

// Installs a peer's ports as its send and receive connections on `channel`.
void installMessagePorts(ChannelConnections& channel, int peer, std::unique_ptr<MessagePort> send,
                         std::unique_ptr<MessagePort> recv);

// One direction of one stream over a message network, with its slots.
class MessagePort {
 public:
  virtual ~MessagePort() = default;
  virtual int slotCount() const = 0;
  virtual size_t slotBytes() const = 0;
  virtual char* slot(int index) = 0;
  // Posts the slot: a send of `bytes`, or a receive of up to slotBytes(). False: the network is busy, try later.
  virtual bool post(int index, size_t bytes) = 0;
  // True once the operation posted on the slot has finished; `bytes` is then what was sent or received.
  virtual bool test(int index, size_t& bytes) = 0;
  virtual void checkPeer() = 0;
};

class MessageSendConnection : public SendConnection {
 public:
  explicit MessageSendConnection(std::unique_ptr<MessagePort> port) : port_(std::move(port)) {}
  size_t trySend(const void* data, size_t bytes) override;
  void checkPeer() override { port_->checkPeer(); }
  bool flush() override;
  size_t heldBytes() const override { return port_->slotCount() * port_->slotBytes(); }

 private:
  std::unique_ptr<MessagePort> port_;
  int oldest_ = 0;    // the slot of the oldest send in flight
  int inFlight_ = 0;  // sends posted and not yet finished, in slot order from oldest_
};

class MessageRecvConnection : public RecvConnection {
 public:
  explicit MessageRecvConnection(std::unique_ptr<MessagePort> port);
  Chunk peek() override;
  void release(size_t bytes) override;
  void checkPeer() override { port_->checkPeer(); }
  size_t heldBytes() const override { return port_->slotCount() * port_->slotBytes(); }

 private:
  // Posts up to `most` released slots again, oldest first; false when the network was busy before all were.
  bool repostPending(int most);
  std::unique_ptr<MessagePort> port_;
  int next_ = 0;         // the slot holding the next message of the stream
  size_t received_ = 0;  // bytes in slot next_, once its receive finished
  bool arrived_ = false;
  size_t consumed_ = 0;  // bytes of slot next_ already released
  int unposted_ = 0;     // released slots, from next_ - unposted_ on, not yet posted again
};

}  // namespace braid
