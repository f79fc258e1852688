#!/usr/bin/env python3
"""Fails when an include crosses the layers upward (docs/architecture.md draws them).

Each folder of Braid's sources is one layer and may include only the layers below it that the table names,
itself, and the public headers (include/: nccl.h, braid/*.h). Inside transports/ and src/device/, a network or
a device adaptor (shm/, socket/, ofi/, plugin/; host/, cuda/) may use its own folder and the shared headers one
level up, never a sibling: adding one never reaches into another.

usage: check_layers.py [ROOT]   (prints every offending include and exits 1; exits 0 when the tree is clean)
"""
import pathlib
import re
import sys

# Bottom to top. A layer may include the layers listed for it (and itself).
LAYERS = {
    "base":       [],
    "device":     ["base"],
    "topology":   ["base"],
    "bootstrap":  ["base"],
    "algorithms": ["base"],
    "planner":    ["base", "algorithms", "topology"],
    "transports": ["base", "bootstrap", "topology"],
    "exec":       ["base", "device", "algorithms", "transports"],
    "runtime":    ["base", "device", "topology", "bootstrap", "algorithms", "planner", "transports", "exec"],
    "api":        ["base", "device", "topology", "bootstrap", "algorithms", "planner", "transports", "exec", "runtime"],
    "cli":        ["base", "device", "topology", "bootstrap", "algorithms", "planner", "transports", "exec", "runtime"],
}
# Where each layer lives, as a path from the root (files) and as written in includes (which start below src/).
FOLDERS = {
    "base": "src/base", "device": "src/device", "bootstrap": "src/bootstrap", "exec": "src/exec",
    "runtime": "src/runtime", "api": "src/api", "cli": "src/cli", "topology": "topology",
    "planner": "algorithms/planner", "algorithms": "algorithms", "transports": "transports",
}
# Folders whose subfolders are siblings that must not include each other.
PLUGGABLE = ["transports", "src/device"]
PUBLIC = ("nccl.h", "braid/")


def include_path(folder):
    return folder[len("src/"):] if folder.startswith("src/") else folder


def layer_of(path, as_include):
    best = None
    for layer, folder in FOLDERS.items():
        prefix = (include_path(folder) if as_include else folder) + "/"
        if path.startswith(prefix) and (best is None or len(prefix) > len(best[1])):
            best = (layer, prefix)
    return best[0] if best else None


def adaptor_of(path):
    """'transports/shm' for transports/shm/x.h; None for a shared header of a pluggable folder."""
    for folder in PLUGGABLE:
        for prefix in (folder, include_path(folder)):
            parts = path[len(prefix) + 1:].split("/") if path.startswith(prefix + "/") else None
            if parts and len(parts) > 1:
                return folder + "/" + parts[0]
    return None


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parents[2])
    problems = []
    for folder in sorted(set(FOLDERS.values())):
        for source in sorted((root / folder).rglob("*")):
            if source.suffix not in (".h", ".cc", ".cu", ".c"):
                continue
            relative = source.relative_to(root).as_posix()
            layer = layer_of(relative, as_include=False)
            own_adaptor = adaptor_of(relative)
            for number, line in enumerate(source.read_text().splitlines(), 1):
                match = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
                if not match or match.group(1).startswith(PUBLIC):
                    continue
                target = match.group(1)
                target_layer = layer_of(target, as_include=True)
                where = f"{relative}:{number}: includes \"{target}\""
                if target_layer is None:
                    if "/" in target:
                        problems.append(f"{where}, which is in no layer")
                    continue  # a header next to the file
                if target_layer != layer and target_layer not in LAYERS[layer]:
                    problems.append(f"{where}: {layer} may not use {target_layer}")
                    continue
                target_adaptor = adaptor_of(target)
                if target_adaptor and target_adaptor != own_adaptor and target_layer == layer:
                    problems.append(f"{where}: {own_adaptor or layer} may not use its sibling {target_adaptor}")
    for problem in problems:
        print(problem)
    print(f"{len(problems)} include(s) cross the layers" if problems else "layers: every include points down")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
