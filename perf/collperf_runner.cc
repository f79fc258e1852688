#include "collperf_runner.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <vector>

#include "braid/braid.h"
#include "collperf_buffers.h"
#include "collperf_collectives.h"
#include "collperf_facts.h"
#include "device/datatype.h"

namespace braid::collperf {
namespace {

struct Measurement {
  double timeUs = 0, algbw = 0, busbw = 0;
  long long wrong = -1;  // -1: not checked
};

class Sweep {
 public:
  Sweep(const Options& o, ncclComm_t comm, int rank, int nranks)
      : o_(o),
        comm_(comm),
        rank_(rank),
        nranks_(nranks),
        collective_(parseCollective(o.collective)),
        buffers_(o.host, o.hostStream, o.localRegister ? comm : nullptr) {}

  int run();

 private:
  std::vector<size_t> sizes() const;
  void allocate();
  Measurement measure(CallContext& call);
  void synchronize() const { buffers_.synchronize(); }
  double combineTime(double seconds);
  long long sumOverRanks(long long value);
  void printHeader() const;

  const Options& o_;
  ncclComm_t comm_;
  int rank_, nranks_;
  Collective collective_;
  Buffers buffers_;
  nlohmann::json rows_ = nlohmann::json::array();
};

std::vector<size_t> Sweep::sizes() const {
  std::vector<size_t> result;
  for (size_t s = o_.minBytes; s <= o_.maxBytes;) {
    result.push_back(s);
    size_t next = o_.stepFactor > 1 ? static_cast<size_t>(static_cast<double>(s) * o_.stepFactor) : s + o_.stepBytes;
    if (next <= s) break;
    s = next;
  }
  return result;
}

void Sweep::allocate() {
  // Sized once for the largest row, in bytes (element size 1), as nccl-tests does.
  RowShape shape = rowShape(collective_, o_.maxBytes, 1, nranks_);
  buffers_.allocate(std::max({shape.sendElems, shape.recvElems, static_cast<size_t>(64)}) + 64);
}

double Sweep::combineTime(double seconds) {
  // -a: which rank's time the table shows. Reduced over the communicator under test, outside the timed region.
  double value = seconds;
  ncclRedOp_t op = o_.average == 2 ? ncclMin : o_.average == 3 ? ncclMax : ncclSum;
  if (o_.average == 0) {
    check(ncclBroadcast(&value, &value, 1, ncclFloat64, 0, comm_, nullptr), "ncclBroadcast");
    return value;
  }
  check(ncclAllReduce(&value, &value, 1, ncclFloat64, op, comm_, nullptr), "ncclAllReduce");
  return o_.average == 1 ? value / nranks_ : value;
}

long long Sweep::sumOverRanks(long long value) {
  check(ncclAllReduce(&value, &value, 1, ncclInt64, ncclSum, comm_, nullptr), "ncclAllReduce");
  return value;
}

Measurement Sweep::measure(CallContext& call) {
  Measurement m;
  auto once = [&] {
    if (o_.aggIters > 1) check(ncclGroupStart(), "ncclGroupStart");
    for (int a = 0; a < o_.aggIters; ++a) check(launch(call), o_.collective.c_str());
    if (o_.aggIters > 1) check(ncclGroupEnd(), "ncclGroupEnd");
    if (o_.blocking) synchronize();
  };
  for (int i = 0; i < o_.warmupIters; ++i) once();
  synchronize();
  double token = 0;  // a one-element AllReduce lines the ranks up before the clock starts
  check(ncclAllReduce(&token, &token, 1, ncclFloat64, ncclSum, comm_, nullptr), "barrier");
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < o_.iters; ++i) once();
  synchronize();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  seconds = combineTime(seconds / std::max(1, o_.iters * o_.aggIters));
  const double bytes = static_cast<double>(call.shape.rowElems * dataTypeSize(call.type));
  m.timeUs = seconds * 1e6;
  m.algbw = seconds > 0 ? bytes / seconds / 1e9 : 0;
  m.busbw = m.algbw * busBandwidthFactor(collective_, nranks_);
  if (o_.check) {
    // Filled and checked in host memory; `call` holds the buffers the collectives run on.
    CallContext inHost = call;
    inHost.send = buffers_.hostSend();
    inHost.recv = buffers_.hostRecv();
    fillInputs(inHost);
    buffers_.copyToDevice();
    check(launch(call), o_.collective.c_str());
    synchronize();
    buffers_.copyToHost();
    m.wrong = sumOverRanks(static_cast<long long>(countWrong(inHost)));
  }
  return m;
}

void Sweep::printHeader() const {
  std::printf("# Collective test starting: collperf %s\n", o_.collective.c_str());
  std::printf(
      "# nThread 1 nGpus 1 minBytes %zu maxBytes %zu step: %g(%s) warmup iters: %d iters: %d agg iters: %d "
      "validation: %d graph: 0\n#\n# Using devices\n",
      o_.minBytes, o_.maxBytes, o_.stepFactor > 1 ? o_.stepFactor : static_cast<double>(o_.stepBytes),
      o_.stepFactor > 1 ? "factor" : "bytes", o_.warmupIters, o_.iters, o_.aggIters, o_.check);
}

int Sweep::run() {
  struct Identity {
    int32_t pid;
    char host[60];
  } me{static_cast<int32_t>(getpid()), {}};
  gethostname(me.host, sizeof me.host - 1);
  std::vector<Identity> all(nranks_);
  check(ncclAllGather(&me, all.data(), sizeof me, ncclUint8, comm_, nullptr), "ncclAllGather");
  if (rank_ == 0) {
    printHeader();
    for (int r = 0; r < nranks_; ++r)
      std::printf("#  Rank %2d Group  0 Pid %6d on %10s device  0 %s\n", r, all[r].pid, all[r].host,
                  buffers_.label().c_str());
    std::printf("#\n#%75s%36s\n", "out-of-place", "in-place");
    std::printf("#%11s  %12s  %8s  %6s  %6s  %7s  %6s  %6s  %6s  %7s  %6s  %6s  %6s\n", "size", "count", "type",
                "redop", "root", "time", "algbw", "busbw", "#wrong", "time", "algbw", "busbw", "#wrong");
    std::printf("#%11s  %12s  %8s  %6s  %6s  %7s  %6s  %6s  %6s  %7s  %6s  %6s  %6s\n", "(B)", "(elements)", "", "", "",
                "(us)", "(GB/s)", "(GB/s)", "", "(us)", "(GB/s)", "(GB/s)", "");
  }
  allocate();
  long long wrongTotal = 0;
  double busbwSum = 0;
  int busbwCount = 0;
  const bool reducing = reduces(collective_);
  std::vector<reference::TestOp> ops = reducing ? o_.ops : std::vector<reference::TestOp>{reference::TestOp::Sum};
  for (ncclDataType_t type : o_.types) {
    for (reference::TestOp op : ops) {
      ncclRedOp_t ncclOp = static_cast<ncclRedOp_t>(static_cast<int>(op));
      if (op == reference::TestOp::PreMulSum) {
        alignas(8) unsigned char scalar[8];
        reference::storeValue(type, scalar, 0, reference::kPreMulScalar);
        check(ncclRedOpCreatePreMulSum(&ncclOp, scalar, type, ncclScalarHostImmediate, comm_), "PreMulSum");
      }
      for (size_t bytes : sizes()) {
        CallContext call{collective_,
                         comm_,
                         rank_,
                         nranks_,
                         rooted(collective_) ? o_.root : -1,
                         type,
                         op,
                         ncclOp,
                         rowShape(collective_, bytes, dataTypeSize(type), nranks_),
                         buffers_.send(),
                         buffers_.recv(),
                         false,
                         buffers_.stream()};
        Measurement outOfPlace = measure(call);
        Measurement inPlace;
        if (hasInPlace(collective_)) {
          call.inPlace = true;
          inPlace = measure(call);
        }
        if (rank_ != 0) continue;
        const size_t rowBytes = call.shape.rowElems * dataTypeSize(type);
        std::printf("%12zu  %12zu  %8s  %6s  %6d", rowBytes, call.shape.rowElems, dataTypeName(type),
                    reducing ? reference::testOpName(op) : "none", call.root);
        nlohmann::json row = {{"size", rowBytes},
                              {"count", call.shape.rowElems},
                              {"type", dataTypeName(type)},
                              {"redop", reducing ? reference::testOpName(op) : "none"},
                              {"root", call.root}};
        for (int placement = 0; placement < 2; ++placement) {
          const Measurement& m = placement == 0 ? outOfPlace : inPlace;
          const bool present = placement == 0 || hasInPlace(collective_);
          if (!present) {
            std::printf("  %7s  %6s  %6s  %6s", "N/A", "N/A", "N/A", "N/A");
            continue;
          }
          char wrong[32];
          std::snprintf(wrong, sizeof wrong, m.wrong < 0 ? "N/A" : "%lld", m.wrong);
          std::printf(m.timeUs < 1e4 ? "  %7.2f  %6.2f  %6.2f  %6s" : "  %7.0f  %6.2f  %6.2f  %6s", m.timeUs, m.algbw,
                      m.busbw, wrong);
          wrongTotal += std::max(0LL, m.wrong);
          busbwSum += m.busbw;
          ++busbwCount;
          row[placement == 0 ? "out_of_place" : "in_place"] = {
              {"time_us", m.timeUs}, {"algbw_GBps", m.algbw}, {"busbw_GBps", m.busbw}, {"wrong", m.wrong}};
        }
        std::printf("\n");
        std::fflush(stdout);
        rows_.push_back(row);
      }
      if (op == reference::TestOp::PreMulSum) check(ncclRedOpDestroy(ncclOp, comm_), "ncclRedOpDestroy");
    }
  }
  // Every rank learns the verdict so that every rank's exit code reflects it.
  wrongTotal = sumOverRanks(rank_ == 0 ? wrongTotal : 0);
  const nlohmann::json facts = o_.probe ? gatherFacts(comm_, rank_, nranks_, true) : nlohmann::json();
  if (rank_ == 0) {
    const double avgBusbw = busbwCount ? busbwSum / busbwCount : 0;
    std::printf("# Out of bounds values : %lld %s\n", wrongTotal, wrongTotal == 0 ? "OK" : "FAILED");
    std::printf("# Avg bus bandwidth    : %g \n#\n", avgBusbw);
    if (!o_.jsonFile.empty()) {
      nlohmann::json doc = {{"collective", o_.collective},   {"nranks", nranks_},          {"results", rows_},
                            {"out_of_bounds", wrongTotal},   {"avg_busbw_GBps", avgBusbw}, {"iters", o_.iters},
                            {"warmup_iters", o_.warmupIters}};
      if (!facts.is_null()) doc.update(facts);
      std::ofstream(o_.jsonFile) << doc.dump(2) << "\n";
    }
  }
  return wrongTotal == 0 ? 0 : 1;
}

}  // namespace

int runRank(const Options& options, const ncclUniqueId& id, int rank, int nranks) {
  ncclComm_t comm = nullptr;
  try {
    check(ncclCommInitRank(&comm, nranks, id, rank), "ncclCommInitRank");
    int rc;
    {
      Sweep sweep(options, comm, rank, nranks);
      rc = sweep.run();
    }
    check(ncclCommDestroy(comm), "ncclCommDestroy");
    return rc;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "collperf rank %d: %s\n", rank, e.what());
    if (comm) ncclCommAbort(comm);
    return 2;
  }
}

}  // namespace braid::collperf
