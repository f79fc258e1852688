/* OpenMPI baseline for perf/compare.sh: MPI_Allreduce (float, sum) on the same sizes as collperf, reported with
 * nccl-tests' busbw so the numbers line up: "bytes time_us algbw busbw" per line, times from rank 0. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  int rank, nranks;
  size_t minBytes = argc > 1 ? strtoull(argv[1], NULL, 10) : 8,
         maxBytes = argc > 2 ? strtoull(argv[2], NULL, 10) : 1 << 26;
  int iters = argc > 3 ? atoi(argv[3]) : 20, warmup = 5;
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &nranks);
  float* send = malloc(maxBytes > 4 ? maxBytes : 4);
  float* recv = malloc(maxBytes > 4 ? maxBytes : 4);
  for (size_t i = 0; i < maxBytes / 4; ++i) send[i] = (float)(rank + i % 7);
  for (size_t bytes = minBytes; bytes <= maxBytes; bytes *= 2) {
    int count = (int)(bytes / 4 ? bytes / 4 : 1);
    for (int i = 0; i < warmup; ++i) MPI_Allreduce(send, recv, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    MPI_Barrier(MPI_COMM_WORLD);
    double start = MPI_Wtime();
    for (int i = 0; i < iters; ++i) MPI_Allreduce(send, recv, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    double seconds = (MPI_Wtime() - start) / iters, mean = 0;
    MPI_Allreduce(&seconds, &mean, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    mean /= nranks;
    double algbw = (double)count * 4 / mean / 1e9;
    if (rank == 0)
      printf("%zu %.3f %.3f %.3f\n", (size_t)count * 4, mean * 1e6, algbw, algbw * 2.0 * (nranks - 1) / nranks);
  }
  free(send);
  free(recv);
  MPI_Finalize();
  return 0;
}
