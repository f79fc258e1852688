"""Medians of perf/ab_builds.sh's alternating runs of two builds: time (us) up to 4 KiB, busbw (GB/s) above, and
new/old as a speed ratio (above 1: the new build is faster)."""
import statistics
import sys

from summarize_compare import label, load_braid, median


def main(out, collective, nranks):
    old, new = load_braid(out, "old"), load_braid(out, "new")
    sizes = sorted(set().union(*[set(r) for r in old + new]))
    print(f"{collective}, {nranks} ranks, medians of {len(old)} alternating runs per build")
    print("| size | old | new | new/old speed |\n|---|---|---|---|")
    ratios = []
    for size in sizes:
        by_time = size <= 4096
        index = 0 if by_time else 1
        o, n = median(old, size, index), median(new, size, index)
        ratio = o / n if by_time else n / o
        ratios.append(ratio)
        unit = "us" if by_time else "GB/s"
        print(f"| {label(size)} | {o:.3f} {unit} | {n:.3f} {unit} | {ratio:.2f} |")
    print(f"median ratio {statistics.median(ratios):.2f}, range {min(ratios):.2f}-{max(ratios):.2f}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
