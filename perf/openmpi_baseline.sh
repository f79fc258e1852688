# Sourced, with $nranks set, by the scripts that run Braid beside OpenMPI (compare.sh, small_latency.sh): builds
# the MPI_Allreduce benchmark, lets mpirun run as root (CI containers), and sets $oversubscribe for mpirun.
mpicc -O2 perf/mpi_allreduce_bench.c -o build/perf/mpi_allreduce_bench
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Only say so when ranks outnumber cores: the flag also changes how OpenMPI waits.
oversubscribe=""
if [ "$nranks" -gt "$(nproc)" ]; then oversubscribe="--oversubscribe"; fi
