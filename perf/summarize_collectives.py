"""Medians over the runs of perf/collectives.sh: busbw (GB/s) per collective and size, heap buffers and
ncclMemAlloc buffers, out of place / in place, and the best of them as a fraction of one process's memcpy."""
import glob
import json
import re
import statistics
import sys

from summarize_compare import label

COLLECTIVES = ["allreduce", "allgather", "reducescatter", "broadcast", "reduce", "alltoall"]


def medians(out, collective, register):
    """{size: (out-of-place busbw, in-place busbw)}, medians over runs."""
    per_size = {}
    for path in glob.glob(f"{out}/{collective}.R{register}.*.json"):
        with open(path) as f:
            for row in json.load(f)["results"]:
                # AlltoAll has no in-place form
                in_place = row["in_place"]["busbw_GBps"] if "in_place" in row else float("nan")
                per_size.setdefault(row["size"], []).append((row["out_of_place"]["busbw_GBps"], in_place))
    return {size: tuple(statistics.median(v[i] for v in values) for i in range(2))
            for size, values in per_size.items()}


def main():
    out = sys.argv[1]
    with open(f"{out}/roofline.txt") as f:
        roofline = float(re.search(r"one process ([\d.]+) GB/s", f.read()).group(1))
    runs = len(glob.glob(f"{out}/allreduce.R0.*.json"))
    print(f"busbw in GB/s, medians of {runs} runs, out of place / in place; heap: buffers from the heap (staged "
          f"through the FIFOs), shm: buffers from ncclMemAlloc (used in place); roofline: memcpy of one process, "
          f"{roofline:.1f} GB/s\n")
    print("| collective | size | heap | shm | best / roofline |")
    print("|---|---|---|---|---|")
    for collective in COLLECTIVES:
        heap, shm = medians(out, collective, 0), medians(out, collective, 1)
        for size in sorted(heap):
            h, s = heap[size], shm.get(size, (float("nan"),) * 2)
            best = max(v for v in (*h, *s) if v == v)  # NaN != NaN
            print(f"| {collective} | {label(size)} | {h[0]:.1f} / {h[1]:.1f} | {s[0]:.1f} / {s[1]:.1f} "
                  f"| {best / roofline:.2f} |")


if __name__ == "__main__":
    main()
