"""Table of perf/calibrate_planner.sh: per rank count, size and algorithm, the measured median time (collperf,
out of place) against the cost model's prediction, with the error of each and whether the planner's pick
(the cheapest prediction) was also the fastest measured."""
import glob
import json
import statistics
import sys

from summarize_compare import label


def main():
    out = sys.argv[1]
    algorithms = ["ring", "tree", "rd", "rhd", "mesh"]
    for nranks in (2, 4, 8):
        measured, predicted = {}, {}
        for algo in algorithms:
            runs = [json.load(open(p))["results"] for p in sorted(glob.glob(f"{out}/measured.{nranks}.{algo}.*.json"))]
            for row in runs[0]:
                times = [r["out_of_place"]["time_us"] for run in runs for r in run if r["size"] == row["size"]]
                measured[(row["size"], algo)] = statistics.median(times)
            for plan in json.load(open(f"{out}/predicted.{nranks}.{algo}.json"))["plans"]:
                predicted[(plan["bytes"], algo)] = plan["time_us"]
        sizes = sorted({size for size, _ in measured})
        print(f"\n{nranks} ranks: measured / predicted time in us (error = predicted / measured - 1)\n")
        print("| size | " + " | ".join(algorithms) + " | planner's pick | fastest measured |")
        print("|---|" + "---|" * (len(algorithms) + 2))
        errors = []
        for size in sizes:
            cells = []
            for algo in algorithms:
                m, p = measured[(size, algo)], predicted[(size, algo)]
                errors.append(abs(p / m - 1))
                cells.append(f"{m:.1f} / {p:.1f} ({p / m - 1:+.0%})")
            pick = min(algorithms, key=lambda a: predicted[(size, a)])
            best = min(algorithms, key=lambda a: measured[(size, a)])
            slower = measured[(size, pick)] / measured[(size, best)] - 1
            print(f"| {label(size)} | " + " | ".join(cells) + f" | {pick} | {best}" +
                  (f" (pick {slower:+.0%})" if pick != best else "") + " |")
        print(f"\nmedian absolute error: {statistics.median(errors):.0%}")


if __name__ == "__main__":
    main()
