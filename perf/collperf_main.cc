// collperf: how ranks are launched. With -np N it forks N local ranks; under mpirun it takes ranks from MPI
// (sharing the unique id with MPI_Bcast when built with MPI); with BRAID_RANK/BRAID_NRANKS/BRAID_COMM_ID, or
// Slurm's SLURM_PROCID/SLURM_NTASKS and BRAID_COMM_ID, it is one rank of a job launched by hand or by srun.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "collperf_options.h"
#include "collperf_runner.h"
#include "nccl.h"
#ifdef BRAID_WITH_MPI
#include <mpi.h>
#endif

namespace {

using braid::collperf::Options;

// A Braid parameter's value, checked by the library ("" when unset); a malformed one ends the run.
std::string braidSetting(const char* name) {
  const char* value = nullptr;
  int length = 0;
  if (ncclParamGetParameter(name, &value, &length) != ncclSuccess) {
    std::fprintf(stderr, "collperf: %s\n", ncclGetLastError(nullptr));
    std::exit(2);
  }
  return std::string(value, static_cast<size_t>(length));
}

// A launcher's variable (MPI, Slurm): the first that is set.
const char* firstEnv(std::initializer_list<const char*> names) {
  for (const char* n : names)
    if (const char* v = std::getenv(n); v && *v) return v;
  return nullptr;
}

int forkLocalRanks(const Options& o) {
  ncclUniqueId id;
  if (ncclGetUniqueId(&id) != ncclSuccess) {
    std::fprintf(stderr, "collperf: ncclGetUniqueId failed: %s\n", ncclGetLastError(nullptr));
    return 2;
  }
  // Like mpirun, bind each forked rank to a core of its own unless told otherwise (the library leaves threads
  // alone by default). Launchers (mpirun, srun) do their own binding.
  setenv("BRAID_CPU_AFFINITY", "core", 0);
  for (int r = 0; r < o.localRanks; ++r) {
    pid_t pid = fork();
    if (pid < 0) {
      std::perror("fork");
      return 2;
    }
    if (pid == 0) {
      int code = braid::collperf::runRank(o, id, r, o.localRanks);
      std::fflush(stdout);  // _exit skips stdio's flush
      _exit(code);
    }
  }
  int worst = 0;
  for (int r = 0; r < o.localRanks; ++r) {
    int status = 0;
    wait(&status);
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 2;
    worst = code > worst ? code : worst;
  }
  return worst;
}

// Ranks given by a launcher's environment; the unique id comes from BRAID_COMM_ID or from MPI.
int runLaunchedRank(const Options& o, int rank, int nranks, bool useMpi) {
  ncclUniqueId id{};
#ifdef BRAID_WITH_MPI
  if (useMpi) {
    MPI_Init(nullptr, nullptr);
    if (rank == 0 && ncclGetUniqueId(&id) != ncclSuccess) MPI_Abort(MPI_COMM_WORLD, 2);
    MPI_Bcast(&id, sizeof id, MPI_BYTE, 0, MPI_COMM_WORLD);
    int rc = braid::collperf::runRank(o, id, rank, nranks), worst = rc;
    MPI_Allreduce(&rc, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    MPI_Finalize();
    return worst;
  }
#endif
  (void)useMpi;
  if (braidSetting("BRAID_COMM_ID").empty()) {
    std::fprintf(stderr, "collperf: rank %d of %d was launched without MPI support; set BRAID_COMM_ID=host:port\n",
                 rank, nranks);
    return 2;
  }
  ncclGetUniqueId(&id);  // encodes BRAID_COMM_ID: every rank computes the same id
  return braid::collperf::runRank(o, id, rank, nranks);
}

}  // namespace

int main(int argc, char** argv) {
  Options o = braid::collperf::parseOptions(argc, argv);
  if (o.timeoutSeconds > 0) setenv("BRAID_TIMEOUT", std::to_string(o.timeoutSeconds).c_str(), 1);
  if (const std::string rank = braidSetting("BRAID_RANK"); !rank.empty()) {
    const std::string size = braidSetting("BRAID_NRANKS");
    if (size.empty() || std::stoi(rank) >= std::stoi(size)) {
      std::fprintf(stderr, "collperf: BRAID_RANK=%s needs BRAID_NRANKS, larger than the rank\n", rank.c_str());
      return 2;
    }
    return runLaunchedRank(o, std::stoi(rank), std::stoi(size), false);
  }
  const char* mpiRank = firstEnv({"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"});
  const char* mpiSize = firstEnv({"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"});
  if (mpiRank && mpiSize) return runLaunchedRank(o, std::atoi(mpiRank), std::atoi(mpiSize), true);
  // srun without an MPI plugin: Slurm's own variables, and BRAID_COMM_ID for the rendezvous.
  const char* slurmRank = firstEnv({"SLURM_PROCID"});
  const char* slurmSize = firstEnv({"SLURM_NTASKS"});
  if (slurmRank && slurmSize) return runLaunchedRank(o, std::atoi(slurmRank), std::atoi(slurmSize), false);
  return forkLocalRanks(o);
}
