"""Medians over the runs of perf/compare.sh: busbw (GB/s) of Braid, OpenMPI and Gloo per size, with ratios.
Small sizes are compared by time (us), where bandwidth says nothing."""
import glob
import json
import statistics
import sys


def load_text(pattern):
    runs = []
    for path in sorted(glob.glob(pattern)):
        rows = {}
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 4 and parts[0].isdigit():
                    rows[int(parts[0])] = (float(parts[1]), float(parts[3]))  # time_us, busbw
        runs.append(rows)
    return runs


def load_braid(pattern):
    runs = []
    for path in sorted(glob.glob(pattern)):
        with open(path) as f:
            doc = json.load(f)
        runs.append({r["size"]: (r["out_of_place"]["time_us"], r["out_of_place"]["busbw_GBps"]) for r in doc["results"]})
    return runs


def median(runs, size, index):
    values = [run[size][index] for run in runs if size in run]
    return statistics.median(values) if values else float("nan")


def label(size):
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            return f"{size // scale} {unit}"
    return f"{size} B"


def main():
    out, nranks = sys.argv[1], sys.argv[2]
    braid, mpi, gloo = load_braid(f"{out}/braid.*.json"), load_text(f"{out}/mpi.*.txt"), load_text(f"{out}/gloo.*.txt")
    print(f"AllReduce float sum, {nranks} ranks, medians of {len(braid)} runs "
          "(time in us up to 4 KiB, busbw in GB/s above; ratio = Braid / other, higher is better for Braid)\n")
    print("| size | Braid | OpenMPI | Gloo | Braid/OpenMPI | Braid/Gloo |")
    print("|---|---|---|---|---|---|")
    for size in sorted(braid[0]):
        if size > 4096:
            b, m, g = (median(x, size, 1) for x in (braid, mpi, gloo))
            print(f"| {label(size)} | {b:.2f} | {m:.2f} | {g:.3f} | {b / m:.2f}x | {b / g:.1f}x |")
        else:
            b, m, g = (median(x, size, 0) for x in (braid, mpi, gloo))
            print(f"| {label(size)} | {b:.2f} us | {m:.2f} us | {g:.1f} us | {m / b:.2f}x | {g / b:.1f}x |")


if __name__ == "__main__":
    main()
