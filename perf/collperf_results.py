"""Reading collperf --json files: the median out-of-place time per size over the files a glob matches."""
import glob
import json
import statistics


def median_times(pattern):
    times = {}
    for path in glob.glob(pattern):
        for row in json.load(open(path))["results"]:
            times.setdefault(row["size"], []).append(row["out_of_place"]["time_us"])
    return {size: statistics.median(t) for size, t in times.items()}
