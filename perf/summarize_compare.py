"""Medians over the runs of perf/compare.sh: busbw (GB/s) of Braid (heap buffers, and buffers from ncclMemAlloc
that peers use in place), OpenMPI and Gloo per size, with ratios. Small sizes are compared by time (us), where
bandwidth says nothing. Also draws busbw against size (OUT/compare.svg, log-log)."""
import glob
import json
import math
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


def load_braid(out, prefix):
    """collperf's JSON, one file per run and size band (PREFIX.RUN.FIRSTSIZE.json), merged per run."""
    runs = {}
    for path in sorted(glob.glob(f"{out}/{prefix}.*.json")):
        run = path.rsplit("/", 1)[-1].split(".")[1]
        with open(path) as f:
            doc = json.load(f)
        rows = runs.setdefault(run, {})
        rows.update({r["size"]: (r["out_of_place"]["time_us"], r["out_of_place"]["busbw_GBps"]) for r in doc["results"]})
    return list(runs.values())


def median(runs, size, index):
    values = [run[size][index] for run in runs if size in run]
    return statistics.median(values) if values else float("nan")


def label(size):
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            return f"{size // scale} {unit}"
    return f"{size} B"


def write_svg(path, title, sizes, series):
    """series: [(name, colour, [busbw per size])]; log-log axes, sizes on x."""
    width, height, left, right, top, bottom = 760, 420, 70, 150, 40, 50
    values = [v for _, _, ys in series for v in ys if v > 0 and math.isfinite(v)]
    lo, hi = math.floor(math.log10(min(values))), math.ceil(math.log10(max(values)))
    x0, x1 = math.log2(sizes[0]), math.log2(sizes[-1])

    def px(size):
        return left + (math.log2(size) - x0) / (x1 - x0) * (width - left - right)

    def py(value):
        return top + (hi - math.log10(value)) / (hi - lo) * (height - top - bottom)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
           f'font-size="12">', f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="14">{title}</text>']
    for e in range(lo, hi + 1):
        y = py(10 ** e)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{10 ** e:g}</text>')
    for size in sizes[::2]:
        x = px(size)
        out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{height - bottom}" stroke="#eee"/>')
        out.append(f'<text x="{x:.1f}" y="{height - bottom + 16}" text-anchor="middle">{label(size)}</text>')
    out.append(f'<text x="{(left + width - right) / 2}" y="{height - 12}" text-anchor="middle">message size</text>')
    out.append(f'<text x="16" y="{(top + height - bottom) / 2}" transform="rotate(-90 16 {(top + height - bottom) / 2})" '
               'text-anchor="middle">busbw (GB/s)</text>')
    for i, (name, colour, ys) in enumerate(series):
        points = " ".join(f"{px(s):.1f},{py(v):.1f}" for s, v in zip(sizes, ys) if v > 0 and math.isfinite(v))
        out.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        y = top + 20 * i + 10
        out.append(f'<line x1="{width - right + 12}" y1="{y}" x2="{width - right + 36}" y2="{y}" stroke="{colour}" '
                   'stroke-width="2"/>')
        out.append(f'<text x="{width - right + 42}" y="{y + 4}">{name}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    out, nranks = sys.argv[1], sys.argv[2]
    braid, shared = load_braid(out, "braid"), load_braid(out, "braid_shared")
    mpi, gloo = load_text(f"{out}/mpi.*.txt"), load_text(f"{out}/gloo.*.txt")
    print(f"AllReduce float sum, {nranks} ranks, medians of {len(braid)} runs "
          "(time in us up to 4 KiB, busbw in GB/s above; ratio = Braid / other, higher is better for Braid). "
          "Braid: heap buffers (as OpenMPI's and Gloo's); Braid shm: buffers from ncclMemAlloc (collperf -R 1), "
          "which peers read and write in place from 16 KiB\n")
    print("| size | Braid | Braid shm | OpenMPI | Gloo | Braid/OpenMPI | Braid shm/OpenMPI | Braid/Gloo |")
    print("|---|---|---|---|---|---|---|---|")
    for size in sorted(braid[0]):
        if size > 4096:
            b, z, m, g = (median(x, size, 1) for x in (braid, shared, mpi, gloo))
            print(f"| {label(size)} | {b:.2f} | {z:.2f} | {m:.2f} | {g:.3f} | {b / m:.2f}x | {z / m:.2f}x | {b / g:.1f}x |")
        else:
            b, z, m, g = (median(x, size, 0) for x in (braid, shared, mpi, gloo))
            print(f"| {label(size)} | {b:.2f} us | {z:.2f} us | {m:.2f} us | {g:.1f} us | {m / b:.2f}x | {m / z:.2f}x "
                  f"| {g / b:.1f}x |")
    sizes = sorted(braid[0])
    write_svg(f"{out}/compare.svg", f"AllReduce float sum, {nranks} ranks: busbw, medians of {len(braid)} runs", sizes,
              # busbw from the median time: the tools print small busbw rounded to zero
              [(name, colour, [s / (median(runs, s, 0) * 1e3) * 2 * (int(nranks) - 1) / int(nranks) for s in sizes])
               for name, colour, runs in (("Braid", "#d62728", braid), ("Braid shm", "#ff7f0e", shared),
                                          ("OpenMPI", "#1f77b4", mpi), ("Gloo", "#2ca02c", gloo))])


if __name__ == "__main__":
    main()
