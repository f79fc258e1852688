#!/usr/bin/env python3
"""Checks the Chrome-trace files Braid's example profiler plugin wrote for one run of collperf.

usage: check_trace.py FOLDER NRANKS VERSION KIND SIZES [--calls-only]
  KIND: allreduce (collectives) or sendrecv (point-to-point calls); SIZES: collperf's sizes in bytes, "64,8192"
  --calls-only: the plugin activated groups and calls alone (mask 0x7): no traffic, no KernelLaunch
Every rank's file must be valid JSON with finished events only, each child inside its parent in time, and:
  - the same number of collectives on every rank, sequence numbers rising by one, AllReduce among them;
  - point-to-point calls naming a peer other than the rank itself;
  - each AllReduce's type and count one of the run's, and a ring's steps moving 2 (n - 1) / n of its bytes;
  - traffic (ProxyOp) under calls, steps (ProxyStep) under traffic, with the step states in NCCL's order;
  - the API events (GroupApi, CollApi, P2pApi, KernelLaunch) from version 5 on, none before; a call's parent
    is its API event from version 5 on, its group before.
"""
import json
import sys
from collections import Counter
from pathlib import Path

API_TYPES = {"GroupApi", "CollApi", "P2pApi", "KernelLaunch"}
# The order of a step's states (NCCL's): sends wait for the GPU then the peer; receives for data then the GPU.
STEP_STATES = {"send": ["SendGPUWait_us", "SendWait_us"], "recv": ["RecvWait_us", "RecvGPUWait_us"]}


def fail(message):
    print("check_trace: " + message)
    sys.exit(1)


def check_data(where, events, version, kind, nranks, sizes, traffic):
    """What the descriptors said about the data: types, counts, and the bytes a ring's steps moved."""
    float32 = 7 if version == 1 else "ncclFloat32"  # v1 carries ncclDataType_t numbers
    seen = set()
    for e in events:
        args = e["args"]
        # collperf's own checks add AllReduces of other types and counts
        if args["type"] == "Coll" and args["func"] in (4, "AllReduce") and args["datatype"] == float32:
            seen.add(args["count"] * 4)
            if args["channels"] < 1:
                fail(f"{where}: AllReduce {args['id']} on {args['channels']} channels")
            # A ring moves 2 (n - 1) / n of the buffer through each peer and direction, over all channels.
            if traffic and args["algo"] in ("Ring", 1) and args["proto"] in ("Simple", 2):
                ops = [o for o in events if o["args"]["type"] == "ProxyOp" and o["args"]["parent"] == args["id"]]
                for send in (True, False):
                    moved = sum(step["args"].get("bytes", 0) for o in ops if (o["name"] == "send") == send
                                for step in events if step["args"]["parent"] == o["args"]["id"])
                    if moved != 2 * (nranks - 1) * args["count"] * 4 // nranks:
                        fail(f"{where}: ring AllReduce {args['id']} {'sent' if send else 'received'} {moved} bytes")
        if args["type"] == "P2p" and kind == "sendrecv":
            seen.add(args["count"])
        if args["type"] == "ProxyOp" and (args["steps"] < 1 or args["chunkSize"] < 1):
            fail(f"{where}: traffic {args['id']} of {args['steps']} steps of {args['chunkSize']} bytes")
    if seen != sizes:
        fail(f"{where}: the calls' sizes {sorted(seen)} are not the run's {sorted(sizes)}")


def check_rank(path, rank, nranks, version, kind, sizes, calls_only):
    try:
        trace = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        fail(f"{path}: not a readable JSON trace ({error})")
    events = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    if not events:
        fail(f"{path}: no events")
    if trace["otherData"]["dropped"]:
        fail(f"{path}: events dropped")
    by_id = {e["args"]["id"]: e for e in events}
    types = Counter(e["args"]["type"] for e in events)
    where = f"{path.name} (v{version})"

    for e in events:
        args = e["args"]
        if e["pid"] != rank:
            fail(f"{where}: event {args['id']} on rank {e['pid']}")
        if args.get("unfinished"):
            fail(f"{where}: {e['name']} (id {args['id']}) never stopped")
        parent = by_id.get(args["parent"])
        if parent is None:
            if args["type"] not in ("Group", "GroupApi"):
                fail(f"{where}: {args['type']} (id {args['id']}) has no parent")
            continue
        # An API call's event ends when the call is queued (as NCCL's); the call's event runs on after it.
        ends_inside = parent["args"]["type"] not in ("CollApi", "P2pApi")
        if parent["ts"] > e["ts"] + 0.001 or (ends_inside and e["ts"] + e["dur"] > parent["ts"] + parent["dur"] + 0.001):
            fail(f"{where}: {args['type']} {args['id']} is not inside its parent {parent['args']['type']} in time")
        expected_parents = {
            "Coll": {"CollApi"} if version >= 5 else {"Group"},
            "P2p": {"P2pApi"} if version >= 5 else {"Group"},
            "ProxyOp": {"Coll", "P2p"},
            "ProxyStep": {"ProxyOp"},
            "CollApi": {"GroupApi"},
            "P2pApi": {"GroupApi"},
            "KernelLaunch": {"GroupApi"},
            "Group": {"GroupApi"},
        }.get(args["type"])
        if expected_parents and parent["args"]["type"] not in expected_parents:
            fail(f"{where}: {args['type']}'s parent is a {parent['args']['type']}, expected {expected_parents}")
        if args["type"] == "ProxyStep":
            states = [s for s in STEP_STATES[parent["name"]] if s in args]
            if states != STEP_STATES[parent["name"]]:
                fail(f"{where}: {parent['name']} step {args['id']} has states {sorted(args)}")
            if [args[s] for s in states] != sorted(args[s] for s in states):
                fail(f"{where}: step {args['id']}'s states are out of order")
            if args.get("bytes", 0) <= 0:
                fail(f"{where}: step {args['id']} moved no bytes")

    check_data(where, events, version, kind, nranks, sizes, not calls_only)
    api = sum(types[t] for t in API_TYPES)
    # GroupApi parents the calls' events, so it comes even when only they are activated (as NCCL's).
    expected_api = ("GroupApi",) if calls_only else ("GroupApi", "KernelLaunch")
    if version >= 5 and not all(types[t] for t in expected_api):
        fail(f"{where}: no {' or '.join(expected_api)} events: {dict(types)}")
    if calls_only and types["KernelLaunch"]:
        fail(f"{where}: KernelLaunch events that the mask did not activate")
    if version < 5 and api:
        fail(f"{where}: API events reached a version {version} plugin")
    if not calls_only and not (types["ProxyOp"] and types["ProxyStep"]):
        fail(f"{where}: no traffic events: {dict(types)}")
    if calls_only and (types["ProxyOp"] or types["ProxyStep"]):
        fail(f"{where}: traffic events that the mask did not activate")

    if kind == "allreduce":
        colls = sorted((e for e in events if e["args"]["type"] == "Coll"), key=lambda e: e["args"]["seq"])
        if not colls:
            fail(f"{where}: no collectives")
        seqs = [e["args"]["seq"] for e in colls]
        if seqs != list(range(seqs[0], seqs[0] + len(seqs))):
            fail(f"{where}: sequence numbers {seqs[:10]}... do not rise by one")
        func = 4 if version == 1 else "AllReduce"  # v1 carries ncclFuncAllReduce as a number
        if sum(e["args"]["func"] == func for e in colls) < 2:  # collperf's own checks add other collectives
            fail(f"{where}: AllReduce missing from {Counter(e['args']['func'] for e in colls)}")
        if version >= 5 and types["CollApi"] != len(colls):
            fail(f"{where}: {types['CollApi']} CollApi events for {len(colls)} collectives")
        return len(colls)
    calls = [e for e in events if e["args"]["type"] == "P2p"]
    if not calls or {e["name"] for e in calls} != {"Send", "Recv"}:
        fail(f"{where}: point-to-point calls {Counter(e['name'] for e in calls)}")
    if any(e["args"]["peer"] == rank for e in calls):
        fail(f"{where}: a point-to-point call to the rank itself")
    if version >= 5 and types["P2pApi"] != len(calls):
        fail(f"{where}: {types['P2pApi']} P2pApi events for {len(calls)} calls")
    return len(calls)


def main():
    folder, nranks, version, kind = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    sizes = {int(size) for size in sys.argv[5].split(",")}
    calls_only = "--calls-only" in sys.argv[6:]
    files = sorted(folder.glob("braid-trace-*-rank*.json"))
    if len(files) != nranks:
        fail(f"{folder}: {len(files)} trace files for {nranks} ranks")
    counts = [check_rank(folder / f"{files[0].name.rsplit('-rank', 1)[0]}-rank{r}.json", r, nranks, version, kind, sizes, calls_only)
              for r in range(nranks)]
    if len(set(counts)) != 1:
        fail(f"{folder}: the ranks saw different numbers of calls: {counts}")
    print(f"v{version} {kind}: {nranks} traces, {counts[0]} calls per rank")


if __name__ == "__main__":
    main()
