#include "transports/ofi/ofi_endpoint.h"

#include <rdma/fi_cm.h>
#include <rdma/fi_endpoint.h>
#include <rdma/fi_errno.h>
#include <rdma/fi_tagged.h>

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include "base/error.h"
#include "base/log.h"
#include "base/params.h"
#include "base/socket.h"
#include "transports/ofi/libfabric_library.h"
#include "transports/ofi/reachable_entry.h"

namespace braid {
namespace {

constexpr uint32_t kApiVersion = FI_VERSION(1, 10);
constexpr int kSlots = 8;

const param::Bytes kOfiSlotBytes{"OFI_SLOT_BYTES",
                                 param::kBraidOnly,
                                 kDefaultMessageSlotBytes,
                                 64,
                                 kMaxMessageSlotBytes,
                                 64,
                                 "bytes per message slot over libfabric"};

// libfabric 1.17's shm provider names its region /dev/shm/<pid>:<n>:<m> and fails to open an endpoint while a
// region of that name exists, and a process that dies leaves its regions behind. Before this process opens its
// first endpoint no region can be its own: any with its pid belongs to a dead process that had the same pid.
void removeStaleShmRegions() {
  static std::once_flag once;
  std::call_once(once, [] {
    const std::string prefix = std::to_string(getpid()) + ":";
    DIR* dir = opendir("/dev/shm");
    if (!dir) return;
    while (dirent* entry = readdir(dir))
      if (std::strncmp(entry->d_name, prefix.c_str(), prefix.size()) == 0 &&
          unlinkat(dirfd(dir), entry->d_name, 0) == 0)
        BRAID_INFO("NET", "removed /dev/shm/%s, left by a dead process with this pid", entry->d_name);
    closedir(dir);
  });
}

// libfabric itself; the endpoint is only made when it could be loaded.
const LibFabric& fabricLibrary() {
  std::string why;
  const LibFabric* library = libfabric(&why);
  if (!library)
    fail(ncclSystemError, "libfabric is not available (" + why + "): install libfabric1, or use BRAID_NET=socket");
  return *library;
}

void check(int rc, const char* call) {
  if (rc != 0) fail(ncclSystemError, std::string("libfabric ") + call + ": " + fabricLibrary().strerror(-rc));
}

// RDM endpoints with tagged messages, from providers that may need contexts and locally registered buffers;
// `tclass`: libfabric's traffic class for their sends (FI_TC_UNSPEC: the provider's default).
fi_info* rdmHints(uint32_t tclass = FI_TC_UNSPEC) {
  fi_info* hints = fabricLibrary().dupinfo(nullptr);
  if (!hints) fail(ncclSystemError, "libfabric fi_allocinfo: out of memory");
  hints->ep_attr->type = FI_EP_RDM;
  hints->caps = FI_TAGGED;
  hints->mode = FI_CONTEXT | FI_CONTEXT2;
  hints->domain_attr->mr_mode = FI_MR_LOCAL | FI_MR_ALLOCATED | FI_MR_VIRT_ADDR | FI_MR_PROV_KEY;
  hints->domain_attr->threading = FI_THREAD_SAFE;
  hints->tx_attr->tclass = tclass;
  return hints;
}

// ncclConfig_t's trafficClass is the IP type-of-service byte (as NCCL's socket and IB transports use it); its
// upper six bits are the DSCP that libfabric's traffic classes carry.
uint32_t tclassOf(int trafficClass) {
  return trafficClass < 0 ? static_cast<uint32_t>(FI_TC_UNSPEC)
                          : fi_tc_dscp_set(static_cast<uint8_t>(trafficClass >> 2));
}

// The providers for `hints`, or null (`rc`: why).
fi_info* providersFor(fi_info* hints, int& rc) {
  const LibFabric& library = fabricLibrary();
  fi_info* list = nullptr;
  rc = library.getinfo(kApiVersion, nullptr, nullptr, 0, hints, &list);
  library.freeinfo(hints);
  return rc == 0 ? list : nullptr;
}

std::string providerOf(const fi_info* info) { return info->fabric_attr->prov_name; }

// (channel, sending rank, sequence number) in one 64-bit tag.
uint64_t tagOf(int channel, int sender, uint32_t sequence) {
  return static_cast<uint64_t>(channel) << 56 | static_cast<uint64_t>(sender & 0xffffff) << 32 | sequence;
}

class OfiPort : public MessagePort {
 public:
  OfiPort(std::shared_ptr<OfiEndpoint> endpoint, bool sending, int channel, int peer, int self,
          std::shared_ptr<const PeerWatch> watch)
      : endpoint_(std::move(endpoint)),
        sending_(sending),
        channel_(channel),
        peer_(peer),
        sender_(sending ? self : peer),
        watch_(std::move(watch)) {
    slotBytes_ = kOfiSlotBytes.get();
    for (int i = 0; i < kSlots; ++i) slots_.push_back(&endpoint_->newSlot(slotBytes_, sending));
  }
  int slotCount() const override { return kSlots; }
  size_t slotBytes() const override { return slotBytes_; }
  char* slot(int index) override { return slots_[index]->data.get(); }

  // Posts go out in stream order, so a running count is the sequence number.
  bool post(int index, size_t bytes) override {
    OfiEndpoint::Slot& s = *slots_[index];
    s.op = OfiEndpoint::Operation{};
    const uint64_t tag = tagOf(channel_, sender_, static_cast<uint32_t>(posted_));
    bool posted = sending_ ? endpoint_->postSend(s.op, s.data.get(), bytes, s.desc, peer_, tag)
                           : endpoint_->postRecv(s.op, s.data.get(), bytes, s.desc, tag);
    if (posted) ++posted_;
    return posted;
  }

  bool test(int index, size_t& bytes) override {
    OfiEndpoint::Operation& op = slots_[index]->op;
    if (!op.done) endpoint_->progress();
    if (!op.done) return false;
    if (op.error[0])
      fail(ncclRemoteError, std::string(sending_ ? "sending to" : "receiving from") + " rank " + std::to_string(peer_) +
                                " over libfabric failed: " + op.error);
    bytes = op.bytes;
    return true;
  }

  void checkPeer() override { watch_->check(); }

 private:
  std::shared_ptr<OfiEndpoint> endpoint_;
  bool sending_;
  int channel_, peer_, sender_;
  std::shared_ptr<const PeerWatch> watch_;
  std::vector<OfiEndpoint::Slot*> slots_;
  size_t slotBytes_ = 0;
  uint64_t posted_ = 0;
};

}  // namespace

std::vector<std::string> ofiProviders() {
  std::vector<std::string> names;
  const LibFabric* library = libfabric();
  if (!library) return names;
  int rc = 0;
  fi_info* list = providersFor(rdmHints(), rc);
  for (fi_info* i = list; i; i = i->next) names.push_back(providerOf(i));
  library->freeinfo(list);
  return names;
}

bool ofiProviderIsFast(const std::string& name) {
  for (const char* slow : {"tcp", "udp", "sockets", "shm", "net"})
    if (name == slow || name.rfind(std::string(slow) + ";", 0) == 0) return false;
  return true;
}

OfiEndpoint::OfiEndpoint(int rank, int nranks, const SocketAddress& bootstrapAddress, int trafficClass)
    : rank_(rank), nranks_(nranks), addresses_(nranks, FI_ADDR_NOTAVAIL) {
  removeStaleShmRegions();
  const LibFabric& library = fabricLibrary();
  const uint32_t tclass = tclassOf(trafficClass);
  int rc = 0;
  fi_info* list = providersFor(rdmHints(tclass), rc);
  if (!list && tclass != FI_TC_UNSPEC) list = providersFor(rdmHints(), rc);  // none offers the class
  if (!list) {
    const char* wanted = std::getenv("FI_PROVIDER");
    fail(ncclSystemError, std::string("libfabric has no provider for tagged RDM endpoints") +
                              (wanted ? std::string(" matching FI_PROVIDER=") + wanted : "") + ": " +
                              library.strerror(-rc));
  }
  std::string unreachable;
  const fi_info* chosen = reachableEntry(list, bootstrapAddress, &unreachable);
  info_ = chosen ? library.dupinfo(chosen) : nullptr;
  library.freeinfo(list);
  if (!chosen) fail(ncclSystemError, unreachable);
  if (!info_) fail(ncclSystemError, "libfabric fi_dupinfo: out of memory");
  provider_ = providerOf(info_);
  try {
    check(library.fabric(info_->fabric_attr, &fabric_, nullptr), "fi_fabric");
    check(fi_domain(fabric_, info_, &domain_, nullptr), "fi_domain");
    fi_cq_attr cqAttr{};
    cqAttr.format = FI_CQ_FORMAT_TAGGED;
    check(fi_cq_open(domain_, &cqAttr, &cq_, nullptr), "fi_cq_open");
    fi_av_attr avAttr{};
    avAttr.type = FI_AV_TABLE;
    check(fi_av_open(domain_, &avAttr, &av_, nullptr), "fi_av_open");
    check(fi_endpoint(domain_, info_, &ep_, nullptr), "fi_endpoint");
    check(fi_ep_bind(ep_, &av_->fid, 0), "fi_ep_bind(av)");
    check(fi_ep_bind(ep_, &cq_->fid, FI_TRANSMIT | FI_RECV), "fi_ep_bind(cq)");
    check(fi_enable(ep_), "fi_enable");
  } catch (...) {
    close();
    throw;
  }
  BRAID_INFO("NET", "libfabric endpoint on provider %s (fabric %s, domain %s)", provider_.c_str(),
             info_->fabric_attr->name, info_->domain_attr->name);
  // A provider that takes the class says so in what fi_getinfo returns; others give back FI_TC_UNSPEC.
  if (tclass == FI_TC_UNSPEC) return;
  if (info_->tx_attr->tclass == tclass)
    BRAID_INFO("NET", "libfabric sends carry traffic class %d (DSCP %d, config trafficClass)", trafficClass,
               trafficClass >> 2);
  else
    BRAID_INFO("NET", "libfabric provider %s takes no traffic class: config trafficClass %d is not applied to it",
               provider_.c_str(), trafficClass);
}

OfiEndpoint::~OfiEndpoint() { close(); }

void OfiEndpoint::close() {
  // libfabric 1.17's rxm crashes closing an endpoint whose sends are stuck behind a dead link (seen in
  // tests/multinode/network_faults.sh). Such an endpoint, after a failure only, is left open and its slots kept:
  // a bounded leak instead of a crash. (shm closes cleanly, and must: it would leave its /dev/shm region.)
  const bool stuck = provider_.find("ofi_rxm") != std::string::npos &&
                     std::any_of(slots_.begin(), slots_.end(), [](const Slot& s) { return s.sending && !s.op.done; });
  if (ep_ && stuck) {
    BRAID_INFO("NET", "libfabric endpoint left open: sends to an unreachable peer are still posted");
    new std::deque<Slot>(std::move(slots_));  // deliberately never freed: the provider may still write into them
    return;
  }
  // The endpoint goes first, so no posted receive can land in a slot after it is freed.
  if (ep_) fi_close(&ep_->fid);
  for (Slot& s : slots_)
    if (s.mr) fi_close(&s.mr->fid);
  if (av_) fi_close(&av_->fid);
  if (cq_) fi_close(&cq_->fid);
  if (domain_) fi_close(&domain_->fid);
  if (fabric_) fi_close(&fabric_->fid);
  if (info_) fabricLibrary().freeinfo(info_);
  ep_ = nullptr, av_ = nullptr, cq_ = nullptr, domain_ = nullptr, fabric_ = nullptr, info_ = nullptr;
  slots_.clear();
}

std::vector<char> OfiEndpoint::address() const {
  std::vector<char> name(256);
  size_t length = name.size();
  check(fi_getname(&ep_->fid, name.data(), &length), "fi_getname");
  name.resize(length);
  return name;
}

void OfiEndpoint::addPeers(const std::vector<std::vector<char>>& names) {
  for (int r = 0; r < nranks_; ++r) {
    if (names[r].empty()) continue;
    if (fi_av_insert(av_, names[r].data(), 1, &addresses_[r], 0, nullptr) != 1)
      fail(ncclSystemError, "libfabric fi_av_insert: cannot add the address of rank " + std::to_string(r));
  }
}

OfiEndpoint::Slot& OfiEndpoint::newSlot(size_t bytes, bool sending) {
  Slot& s = slots_.emplace_back();
  s.sending = sending;
  s.data.reset(new char[bytes]);
  // Providers that do not choose keys themselves (no FI_MR_PROV_KEY) want a distinct one per region.
  const uint64_t key = slots_.size();
  check(fi_mr_reg(domain_, s.data.get(), bytes, FI_SEND | FI_RECV, 0, key, 0, &s.mr, nullptr), "fi_mr_reg");
  s.desc = fi_mr_desc(s.mr);
  s.op.done = true;  // nothing posted yet
  return s;
}

std::unique_ptr<MessagePort> OfiEndpoint::sendPort(int channel, int peer, std::shared_ptr<const PeerWatch> watch) {
  return std::make_unique<OfiPort>(shared_from_this(), true, channel, peer, rank_, std::move(watch));
}

std::unique_ptr<MessagePort> OfiEndpoint::recvPort(int channel, int peer, std::shared_ptr<const PeerWatch> watch) {
  return std::make_unique<OfiPort>(shared_from_this(), false, channel, peer, rank_, std::move(watch));
}

bool OfiEndpoint::postSend(Operation& op, const void* data, size_t bytes, void* desc, int peer, uint64_t tag) {
  ssize_t rc = fi_tsend(ep_, data, bytes, desc, addresses_[peer], tag, &op.context);
  if (rc == -FI_EAGAIN) {
    progress();
    return false;
  }
  check(static_cast<int>(rc), "fi_tsend");
  return true;
}

bool OfiEndpoint::postRecv(Operation& op, void* data, size_t bytes, void* desc, uint64_t tag) {
  ssize_t rc = fi_trecv(ep_, data, bytes, desc, FI_ADDR_UNSPEC, tag, 0, &op.context);
  if (rc == -FI_EAGAIN) {
    progress();
    return false;
  }
  check(static_cast<int>(rc), "fi_trecv");
  return true;
}

void OfiEndpoint::progress() {
  fi_cq_tagged_entry entries[16];
  for (;;) {
    ssize_t n = fi_cq_read(cq_, entries, 16);
    if (n == -FI_EAGAIN) return;
    if (n == -FI_EAVAIL) {
      fi_cq_err_entry err{};
      if (fi_cq_readerr(cq_, &err, 0) != 1) return;
      auto* op = reinterpret_cast<Operation*>(err.op_context);
      if (!op) continue;
      const char* why = fi_cq_strerror(cq_, err.prov_errno, err.err_data, nullptr, 0);
      std::snprintf(op->error, sizeof op->error, "%s", why && *why ? why : fabricLibrary().strerror(err.err));
      op->done = true;
      continue;
    }
    if (n < 0) check(static_cast<int>(n), "fi_cq_read");
    for (ssize_t i = 0; i < n; ++i) {
      auto* op = reinterpret_cast<Operation*>(entries[i].op_context);
      op->bytes = entries[i].len;
      op->done = true;
    }
    if (n < 16) return;
  }
}

}  // namespace braid
