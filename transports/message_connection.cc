#include "transports/message_connection.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "base/error.h"

namespace braid {

bool MessageSendConnection::flush() {
  size_t bytes;
  while (inFlight_ > 0 && port_->test(oldest_, bytes)) {
    oldest_ = (oldest_ + 1) % port_->slotCount();
    --inFlight_;
  }
  return inFlight_ == 0;
}

size_t MessageSendConnection::trySend(const void* data, size_t bytes) {
  flush();
  if (inFlight_ == port_->slotCount()) return 0;
  const int slot = (oldest_ + inFlight_) % port_->slotCount();
  const size_t n = std::min(bytes, port_->slotBytes());
  std::memcpy(port_->slot(slot), data, n);
  if (!port_->post(slot, n)) return 0;
  ++inFlight_;
  return n;
}

MessageRecvConnection::MessageRecvConnection(std::unique_ptr<MessagePort> port) : port_(std::move(port)) {
  // Every slot starts released: post them all, in stream order from slot 0.
  unposted_ = port_->slotCount();
  repostPending(unposted_);
}

bool MessageRecvConnection::repostPending(int most) {
  const int slots = port_->slotCount();
  for (; unposted_ > 0 && most > 0; --most) {
    const int slot = ((next_ - unposted_) % slots + slots) % slots;
    if (!port_->post(slot, port_->slotBytes())) return false;
    --unposted_;
  }
  return true;
}

Chunk MessageRecvConnection::peek() {
  // Slots are posted again only while data is awaited: a peer that has sent its last message may have left,
  // and posting to a closed connection fails although everything wanted has arrived.
  // When every slot is released, the next message needs its slot: post that one alone, since the message may be
  // the peer's last and a read-ahead into further slots may meet its closed connection.
  if (unposted_ == port_->slotCount() && !repostPending(1)) return {};
  if (!arrived_) arrived_ = port_->test(next_, received_);
  if (!arrived_) {
    // Keep the other slots posted while waiting. Posting can make the network read ahead: the awaited message may
    // complete and the peer's closed connection fail the next post. Only a message still missing is an error.
    try {
      repostPending(port_->slotCount());
    } catch (const Error&) {
      if (!port_->test(next_, received_)) throw;
      arrived_ = true;
    }
    if (!arrived_) return {};
  }
  return {port_->slot(next_) + consumed_, received_ - consumed_};
}

void MessageRecvConnection::release(size_t bytes) {
  consumed_ += bytes;
  if (consumed_ < received_) return;
  consumed_ = 0;
  arrived_ = false;
  next_ = (next_ + 1) % port_->slotCount();
  ++unposted_;  // posted again by the next peek: a peer that has sent its last message may be gone by now
}

void installMessagePorts(ChannelConnections& channel, int peer, std::unique_ptr<MessagePort> send,
                         std::unique_ptr<MessagePort> recv) {
  channel.send[peer] = std::make_shared<MessageSendConnection>(std::move(send));
  channel.recv[peer] = std::make_shared<MessageRecvConnection>(std::move(recv));
}

}  // namespace braid
