#!/usr/bin/env python3
"""Draws one collective from the Chrome-trace files of Braid's example profiler plugin as an SVG timeline.

usage: trace_picture.py TRACE_FOLDER OUT.svg [SEQ]
Takes the collective with sequence number SEQ (default: the last of the largest) on every rank, and draws, per
rank, its call (Coll, in its Group) and one lane per channel, peer and direction with the traffic (ProxyOp) and
its steps (ProxyStep): a step is pale while it waits (a send for its data and room at the peer, a receive for
bytes) and solid while it moves bytes. The files' clocks are one host's monotonic clock, so the ranks line up.
"""
import json
import sys
from pathlib import Path

COLOURS = {"Group": "#d9d9d9", "Coll": "#8fb3d9", "P2p": "#8fb3d9", "send": "#e6a15c", "recv": "#6fb07f"}
LANE_HEIGHT, LABEL_WIDTH, PLOT_WIDTH = 18, 150, 820


def load(folder):
    ranks = {}
    for path in sorted(Path(folder).glob("braid-trace-*-rank*.json")):
        events = [e for e in json.loads(path.read_text())["traceEvents"] if e["ph"] == "X"]
        ranks[events[0]["pid"]] = {e["args"]["id"]: e for e in events}
    return dict(sorted(ranks.items()))


def descendants(events, root_id):
    """The events below `root_id`, parents before children."""
    found, frontier = [], [root_id]
    while frontier:
        children = [e for e in events.values() if e["args"]["parent"] in frontier]
        found += children
        frontier = [e["args"]["id"] for e in children]
    return found


def pick(ranks, seq):
    """Per rank: the collective's Coll event, its Group (when traced) and its traffic and steps."""
    picked = {}
    for rank, events in ranks.items():
        colls = [e for e in events.values() if e["args"]["type"] == "Coll"]
        if seq is None:  # the last of the largest: collperf's own small checks come after the timed calls
            largest = max(e["args"]["count"] for e in colls)
            seq = max(e["args"]["seq"] for e in colls if e["args"]["count"] == largest)
        wanted = seq
        coll = next(e for e in colls if e["args"]["seq"] == wanted)
        groups = [e for e in events.values() if e["args"]["type"] == "Group" and
                  e["ts"] <= coll["ts"] and coll["ts"] + coll["dur"] <= e["ts"] + e["dur"]]
        picked[rank] = (groups[:1], coll, descendants(events, coll["args"]["id"]))
    return picked


def draw(picked, out):
    start = min(min([c["ts"]] + [g["ts"] for g in groups]) for groups, c, _ in picked.values())
    end = max(max([c["ts"] + c["dur"]] + [g["ts"] + g["dur"] for g in groups]) for groups, c, _ in picked.values())
    scale = PLOT_WIDTH / (end - start)

    def x(t):
        return LABEL_WIDTH + (t - start) * scale

    rows, boxes = [], []
    for rank, (groups, coll, below) in picked.items():
        rows.append((f"rank {rank}: call", True))
        y = len(rows) - 1
        for g in groups:
            boxes.append((g["ts"], g["dur"], y, 0.0, COLOURS["Group"], "Group"))
        args = coll["args"]
        boxes.append((coll["ts"], coll["dur"], y, 0.2, COLOURS["Coll"],
                      f"{coll['name']} {args['algo']}/{args['proto']} seq {args['seq']}"))
        lanes = {}
        for e in sorted(below, key=lambda e: (e["tid"], e["ts"])):
            if e["args"]["type"] == "ProxyOp":
                if e["tid"] not in lanes:
                    direction = "send to" if e["name"] == "send" else "recv from"
                    rows.append((f"  ch{e['args']['channel']} {direction} {e['args']['peer']}", False))
                    lanes[e["tid"]] = len(rows) - 1
                boxes.append((e["ts"], e["dur"], lanes[e["tid"]], 0.0, "#eeeeee", ""))
        for e in below:
            if e["args"]["type"] != "ProxyStep" or e["tid"] not in lanes:
                continue
            kind = "send" if "SendWait_us" in e["args"] else "recv"
            moving = e["args"]["SendWait_us" if kind == "send" else "RecvGPUWait_us"]  # the wait ends here
            lane = lanes[e["tid"]]
            boxes.append((e["ts"], moving, lane, 0.25, COLOURS[kind] + "66", ""))
            boxes.append((e["ts"] + moving, e["dur"] - moving, lane, 0.25, COLOURS[kind], ""))

    height = 40 + len(rows) * LANE_HEIGHT + 30
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{LABEL_WIDTH + PLOT_WIDTH + 20}" height="{height}" '
           'font-family="sans-serif" font-size="11">',
           '<rect width="100%" height="100%" fill="white"/>',
           f'<text x="10" y="18" font-size="13">{len(picked)} ranks, one collective as Braid\'s example profiler '
           f'traced it ({end - start:.0f} µs)</text>']
    for i, (label, call) in enumerate(rows):
        y = 30 + i * LANE_HEIGHT
        weight = ' font-weight="bold"' if call else ""
        svg.append(f'<text x="6" y="{y + 12}"{weight}>{label}</text>')
        svg.append(f'<line x1="{LABEL_WIDTH}" y1="{y + LANE_HEIGHT}" x2="{LABEL_WIDTH + PLOT_WIDTH}" '
                   f'y2="{y + LANE_HEIGHT}" stroke="#f0f0f0"/>')
    for ts, dur, row, inset, colour, text in boxes:
        y = 30 + row * LANE_HEIGHT + LANE_HEIGHT * inset / 2 + 1
        h = (LANE_HEIGHT - 2) * (1 - inset)
        svg.append(f'<rect x="{x(ts):.1f}" y="{y:.1f}" width="{max(dur * scale, 0.5):.1f}" height="{h:.1f}" '
                   f'fill="{colour}" stroke="#555" stroke-width="0.3"/>')
        if text:
            svg.append(f'<text x="{x(ts) + 3:.1f}" y="{y + h - 4:.1f}">{text}</text>')
    axis = 30 + len(rows) * LANE_HEIGHT + 14
    for i in range(6):
        t = (end - start) * i / 5
        svg.append(f'<text x="{LABEL_WIDTH + t * scale:.1f}" y="{axis}" text-anchor="middle">{t:.0f} µs</text>')
    legend = [("send step waiting / moving", COLOURS["send"]), ("recv step waiting / consuming", COLOURS["recv"])]
    for i, (text, colour) in enumerate(legend):
        lx = LABEL_WIDTH + 300 * i
        svg.append(f'<rect x="{lx}" y="{axis + 6}" width="10" height="9" fill="{colour}66"/>'
                   f'<rect x="{lx + 10}" y="{axis + 6}" width="10" height="9" fill="{colour}"/>'
                   f'<text x="{lx + 25}" y="{axis + 14}">{text}</text>')
    svg.append("</svg>")
    Path(out).write_text("\n".join(svg) + "\n")


def main():
    seq = int(sys.argv[3]) if len(sys.argv) > 3 else None
    draw(pick(load(sys.argv[1]), seq), sys.argv[2])


if __name__ == "__main__":
    main()
