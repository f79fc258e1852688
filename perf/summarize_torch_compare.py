"""Medians over the runs of perf/compare.sh: all_reduce through torch with backend "braid" against "gloo",
busbw (GB/s) above 4 KiB and time (us) up to 4 KiB, with the ratios the PyTorch issue targets."""
import sys

from summarize_compare import label, load_text, median


def main():
    out, nranks = sys.argv[1], sys.argv[2]
    braid, gloo = load_text(f"{out}/torch_braid.*.txt"), load_text(f"{out}/gloo.*.txt")
    print(f"torch.distributed all_reduce float32 sum, {nranks} ranks, medians of {len(braid)} runs "
          "(time in us up to 4 KiB, busbw in GB/s above; ratio: how many times better braid is)\n")
    print("| size | braid | gloo | braid vs gloo |")
    print("|---|---|---|---|")
    bandwidth_ratios = {}
    for size in sorted(braid[0]):
        if size > 4096:
            b, g = median(braid, size, 1), median(gloo, size, 1)
            bandwidth_ratios[size] = b / g
            print(f"| {label(size)} | {b:.2f} | {g:.3f} | {b / g:.1f}x |")
        else:
            b, g = median(braid, size, 0), median(gloo, size, 0)
            print(f"| {label(size)} | {b:.1f} us | {g:.1f} us | {g / b:.1f}x |")
    large = [r for size, r in bandwidth_ratios.items() if size >= 65536]
    print(f"\nsmallest bandwidth ratio at >= 64 KiB: {min(large):.1f}x (target 3x); "
          f"8 B latency ratio: {median(gloo, 8, 0) / median(braid, 8, 0):.1f}x (target 10x)")


if __name__ == "__main__":
    main()
