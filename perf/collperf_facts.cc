#include "collperf_facts.h"

#include <sched.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "braid/braid.h"
#include "collperf_buffers.h"

namespace braid::collperf {
namespace {

using Clock = std::chrono::steady_clock;

// Each rank's facts travel as JSON text in a block of this many bytes.
constexpr size_t kFactsBlock = 32768;
// The link probe: this much data from one host's lowest rank to the next host's, best of a few tries.
constexpr size_t kLinkProbeBytes = 4 << 20;
constexpr int kProbeTries = 3;

void barrier(ncclComm_t comm) {
  int token = 0;
  check(ncclAllReduce(&token, &token, 1, ncclInt32, ncclSum, comm, nullptr), "ncclAllReduce (barrier)");
}

std::string firstWord(const std::string& path) {
  std::string word;
  std::ifstream(path) >> word;
  return word;
}

std::string envOr(const char* name, const char* alias) {
  if (const char* v = std::getenv(name)) return v;
  if (const char* v = std::getenv(alias)) return v;
  return "";
}

// "0-3,8" -> {0, 1, 2, 3, 8}
std::vector<int> cpuList(const std::string& text) {
  std::vector<int> cpus;
  size_t at = 0;
  while (at < text.size()) {
    const size_t comma = text.find(',', at);
    const std::string part = text.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    const size_t dash = part.find('-');
    const int lo = std::atoi(part.c_str()), hi = dash == std::string::npos ? lo : std::atoi(part.c_str() + dash + 1);
    for (int c = lo; c <= hi && !part.empty(); ++c) cpus.push_back(c);
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  return cpus;
}

nlohmann::json placementFacts() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof set, &set) == 0)
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &set)) cpus.push_back(c);
  // The NUMA nodes whose CPUs this rank may run on.
  std::vector<int> numa;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/sys/devices/system/node", ec)) {
    const std::string name = entry.path().filename();
    if (name.rfind("node", 0) != 0 || name.size() <= 4) continue;
    for (int c : cpuList(firstWord(entry.path() / "cpulist")))
      if (std::find(cpus.begin(), cpus.end(), c) != cpus.end()) {
        numa.push_back(std::atoi(name.c_str() + 4));
        break;
      }
  }
  std::sort(numa.begin(), numa.end());
  return {{"cpus", cpus}, {"online_cpus", sysconf(_SC_NPROCESSORS_ONLN)}, {"numa_nodes", numa}};
}

nlohmann::json networkFacts() {
  nlohmann::json interfaces = nlohmann::json::array();
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/sys/class/net", ec)) {
    const std::string name = entry.path().filename();
    if (name == "lo") continue;
    const std::string speed = firstWord(entry.path() / "speed");
    interfaces.push_back({{"name", name},
                          {"up", firstWord(entry.path() / "operstate") == "up"},
                          {"speed_mbps", speed.empty() ? -1 : std::atol(speed.c_str())}});
  }
  return {{"interfaces", interfaces}, {"socket_ifname", envOr("BRAID_SOCKET_IFNAME", "NCCL_SOCKET_IFNAME")}};
}

// GB/s of float additions over a working set that stays in the cache: what this rank's core gives it. Best of
// a few bursts long enough for the scheduler to share the core with whatever else is pinned there.
double computeSpeed() {
  std::vector<float> a(1 << 16, 1.0f), b(1 << 16, 0.5f);
  double best = 0;
  for (int t = 0; t < kProbeTries; ++t) {
    const Clock::time_point start = Clock::now();
    double bytes = 0, seconds = 0;
    while (seconds < 0.05) {
      for (size_t i = 0; i < a.size(); ++i) a[i] = a[i] * 0.5f + b[i];
      bytes += 2.0 * sizeof(float) * static_cast<double>(a.size());
      seconds = std::chrono::duration<double>(Clock::now() - start).count();
    }
    best = std::max(best, bytes / seconds / 1e9);
  }
  volatile float sink = a[0];  // keeps the loop
  (void)sink;
  return best;
}

// Every rank's value, on every rank.
std::vector<double> everyRanks(ncclComm_t comm, int rank, int nranks, double mine) {
  std::vector<double> all(nranks, 0);
  all[rank] = mine;
  check(ncclAllGather(&all[rank], all.data(), 1, ncclFloat64, comm, nullptr), "ncclAllGather (probe)");
  return all;
}

// The ranks of one machine (boot id) measure their compute speed one at a time, while the others wait; the
// machines' ranks go in parallel (round k: the k-th rank of every machine).
double probeCompute(ncclComm_t comm, int rank, const nlohmann::json& facts) {
  std::vector<int> turn(facts.size());
  std::map<std::string, int> ranksSoFar;
  int rounds = 0;
  for (size_t r = 0; r < facts.size(); ++r) {
    turn[r] = ranksSoFar[facts[r].at("boot_id").get<std::string>()]++;
    rounds = std::max(rounds, turn[r] + 1);
  }
  double mine = 0;
  for (int k = 0; k < rounds; ++k) {
    barrier(comm);
    if (turn[rank] == k) mine = computeSpeed();
  }
  barrier(comm);
  return mine;
}

// Each host's lowest rank sends to the next host's, one link at a time; the receiver times it. Returns what
// this rank measured as a receiver (0 when none): every host's lowest rank receives exactly one link.
double probeLink(ncclComm_t comm, int rank, const std::vector<int>& leaders) {
  const int hosts = static_cast<int>(leaders.size());
  double best = 0;
  if (hosts < 2) return best;
  std::vector<char> buffer(kLinkProbeBytes, 1);
  for (int h = 0; h < hosts; ++h) {
    const int from = leaders[h], to = leaders[(h + 1) % hosts];
    for (int t = 0; t < kProbeTries; ++t) {
      barrier(comm);
      const Clock::time_point start = Clock::now();
      if (rank == from) check(ncclSend(buffer.data(), buffer.size(), ncclInt8, to, comm, nullptr), "ncclSend");
      if (rank == to) {
        check(ncclRecv(buffer.data(), buffer.size(), ncclInt8, from, comm, nullptr), "ncclRecv");
        const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
        best = std::max(best, static_cast<double>(buffer.size()) / seconds / 1e9);
      }
    }
  }
  barrier(comm);
  return best;
}

// Every rank's facts, on every rank: JSON text in blocks of kFactsBlock bytes.
nlohmann::json gatherJson(ncclComm_t comm, int rank, int nranks, const nlohmann::json& mine) {
  const std::string text = mine.dump();
  if (text.size() >= kFactsBlock)
    throw std::runtime_error("rank facts exceed " + std::to_string(kFactsBlock) + " bytes");
  std::vector<char> all(kFactsBlock * nranks, 0);
  std::copy(text.begin(), text.end(), all.begin() + static_cast<long>(kFactsBlock * rank));
  check(ncclAllGather(all.data() + kFactsBlock * rank, all.data(), kFactsBlock, ncclInt8, comm, nullptr),
        "ncclAllGather (facts)");
  nlohmann::json out = nlohmann::json::array();
  for (int r = 0; r < nranks; ++r) out.push_back(nlohmann::json::parse(std::string(all.data() + kFactsBlock * r)));
  return out;
}

}  // namespace

nlohmann::json gatherFacts(ncclComm_t comm, int rank, int nranks, bool probe) {
  std::vector<int> hostOf(nranks), leaders;  // leaders: each host's lowest rank, by host index
  for (int r = 0; r < nranks; ++r) {
    check(braidCommHostOf(comm, r, &hostOf[r]), "braidCommHostOf");
    if (hostOf[r] == static_cast<int>(leaders.size())) leaders.push_back(r);
  }
  char hostname[256] = {};
  gethostname(hostname, sizeof hostname - 1);
  struct statvfs shm {};
  const bool shmKnown = statvfs("/dev/shm", &shm) == 0;
  std::error_code ec;
  nlohmann::json ranks =
      gatherJson(comm, rank, nranks,
                 {{"rank", rank},
                  {"host", hostOf[rank]},
                  {"hostname", hostname},
                  {"boot_id", firstWord("/proc/sys/kernel/random/boot_id")},
                  {"net_namespace", std::filesystem::read_symlink("/proc/self/ns/net", ec).string()},
                  {"host_id", envOr("BRAID_HOSTID", "NCCL_HOSTID")},
                  {"pid", static_cast<long>(getpid())},
                  {"shm_free_bytes", shmKnown ? static_cast<double>(shm.f_bavail) * shm.f_frsize : -1.0},
                  {"placement", placementFacts()},
                  {"network", networkFacts()}});
  nlohmann::json links = nlohmann::json::array();
  if (probe) {
    const std::vector<double> compute = everyRanks(comm, rank, nranks, probeCompute(comm, rank, ranks));
    const std::vector<double> received = everyRanks(comm, rank, nranks, probeLink(comm, rank, leaders));
    for (int r = 0; r < nranks; ++r) ranks[r]["compute_GBps"] = compute[r];
    const int hosts = static_cast<int>(leaders.size());
    for (int h = 0; hosts > 1 && h < hosts; ++h) {
      const int from = leaders[h], to = leaders[(h + 1) % hosts];
      links.push_back(
          {{"from_host", h}, {"to_host", hostOf[to]}, {"from_rank", from}, {"to_rank", to}, {"GBps", received[to]}});
    }
  }
  if (rank != 0) return nullptr;
  return {{"ranks", ranks}, {"links", links}};
}

}  // namespace braid::collperf
