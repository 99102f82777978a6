#!/usr/bin/env python3
"""Time to quality: fillroute against PyVRP on CVRPLIB X instances.

For each instance and each time limit, runs `fillroute bench routing`
(1 thread) and then PyVRP (single-threaded) with the same seconds and
seed (`--seeds`, default 0), one after the other, so that both see the same machine load.
Writes a CSV and a gap-against-seconds plot. PyVRP (PyPI `pyvrp`) is only a
measured baseline here.

    python3 crates/planner/bench/time_to_quality.py \
        --fillroute target/release/fillroute \
        --out crates/planner/bench/time_to_quality.csv \
        --plot crates/planner/bench/time_to_quality.png
"""

import argparse
import csv
import pathlib
import subprocess
import time

HERE = pathlib.Path(__file__).resolve().parent
X = HERE.parents[2].parent / "shared" / "benchmarks" / "cvrp" / "X"

# Spread over 100 to 1,000 customers.
INSTANCES = [
    "X-n106-k14",
    "X-n157-k13",
    "X-n256-k16",
    "X-n393-k38",
    "X-n573-k30",
    "X-n979-k58",
]
SECONDS = [1, 5, 30]
LONG = 60  # also run on instances above 400 customers


def bks(name: str) -> float:
    for line in (X / f"{name}.sol").read_text().splitlines():
        if line.lower().startswith("cost"):
            return float(line.split()[1])
    raise ValueError(f"{name}.sol has no Cost line")


def customers(name: str) -> int:
    return int(name.split("-")[1][1:]) - 1


def run_fillroute(binary: str, name: str, secs: int, seed: int) -> tuple[float, bool, float]:
    t = time.monotonic()
    out = subprocess.run(
        [binary, "bench", "routing", "--format", "csv", "--threads", "1",
         "--seed", str(seed), "--time-limit", str(secs), str(X / f"{name}.vrp")],
        check=True, capture_output=True, text=True,
    ).stdout
    wall = time.monotonic() - t
    row = list(csv.DictReader(out.splitlines()))[0]
    return float(row["cost"]), row["feasible"] == "true", wall


def run_gap_example(binary: str, name: str, secs: int, seed: int) -> tuple[float, bool, float]:
    """The planner's `gap` example: the same `solve` and checker as
    `fillroute bench routing`, without building the whole CLI."""
    t = time.monotonic()
    out = subprocess.run(
        [binary, "--seed", str(seed), "--secs", str(secs), str(X / f"{name}.vrp")],
        check=True, capture_output=True, text=True,
    ).stdout.split()
    wall = time.monotonic() - t
    return float(out[1]), out[7] == "true", wall


def run_pyvrp(name: str, secs: int, seed: int) -> tuple[float, bool, float]:
    import pyvrp
    from pyvrp.stop import MaxRuntime

    t = time.monotonic()
    data = pyvrp.read(X / f"{name}.vrp", round_func="round")
    res = pyvrp.solve(data, stop=MaxRuntime(secs), seed=seed, display=False)
    wall = time.monotonic() - t
    return float(res.cost()), res.is_feasible(), wall


def plot(rows: list[dict], path: pathlib.Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    names = sorted({r["instance"] for r in rows}, key=customers)
    cmap = plt.get_cmap("viridis")
    for k, name in enumerate(names):
        colour = cmap(k / max(1, len(names) - 1))
        for solver, style in (("fillroute", "-o"), ("pyvrp", "--s")):
            by_secs: dict[int, list[float]] = {}
            for r in rows:
                if r["instance"] == name and r["solver"] == solver:
                    by_secs.setdefault(r["seconds"], []).append(r["gap_pct"])
            pts = sorted((s, sum(g) / len(g)) for s, g in by_secs.items())
            ax.plot([p[0] for p in pts], [p[1] for p in pts], style, color=colour,
                    label=f"{name} {solver}", markersize=4)
    ax.set_xscale("log")
    ax.set_xlabel("time limit (s), 1 thread, mean over the seeds run")
    ax.set_ylabel("gap to best known (%)")
    ax.set_title("fillroute (solid) vs PyVRP (dashed), CVRPLIB X, same machine, interleaved")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fillroute", default="target/release/fillroute")
    ap.add_argument("--out", default=str(HERE / "time_to_quality.csv"))
    ap.add_argument("--plot", default=str(HERE / "time_to_quality.png"))
    ap.add_argument("--instances", nargs="*", default=INSTANCES)
    ap.add_argument("--seconds", nargs="*", type=int, default=SECONDS)
    ap.add_argument("--gap-example", metavar="PATH",
                    help="run fillroute through the planner's `gap` example instead")
    ap.add_argument("--seeds", nargs="*", type=int, default=[0],
                    help="one run per seed (the plot shows their mean)")
    ap.add_argument("--solvers", nargs="*", default=["fillroute", "pyvrp"])
    ap.add_argument("--long", type=int, default=LONG,
                    help="extra limit for instances above 400 customers (0: none)")
    ap.add_argument("--replot", nargs="*", metavar="CSV",
                    help="only plot the rows of these CSV files (same columns)")
    args = ap.parse_args()

    if args.replot:
        rows = []
        for path in args.replot:
            with open(path) as f:
                for r in csv.DictReader(f):
                    r["seconds"] = int(r["seconds"])
                    r["gap_pct"] = float(r["gap_pct"])
                    rows.append(r)
        plot(rows, pathlib.Path(args.plot))
        return

    rows = []
    with open(args.out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["instance", "customers", "seconds", "seed", "solver", "cost", "bks",
                    "gap_pct", "feasible", "wall_s"])
        for name in args.instances:
            ref = bks(name)
            limits = list(args.seconds)
            if args.long and customers(name) > 400:
                limits.append(args.long)
            for secs in limits:
                for seed in args.seeds:
                    for solver in args.solvers:
                        if solver == "fillroute":
                            if args.gap_example:
                                cost, feas, wall = run_gap_example(
                                    args.gap_example, name, secs, seed)
                            else:
                                cost, feas, wall = run_fillroute(
                                    args.fillroute, name, secs, seed)
                        else:
                            cost, feas, wall = run_pyvrp(name, secs, seed)
                        gap = 100.0 * (cost - ref) / ref
                        row = dict(instance=name, customers=customers(name), seconds=secs,
                                   seed=seed, solver=solver, cost=cost, bks=ref,
                                   gap_pct=round(gap, 3), feasible=feas,
                                   wall_s=round(wall, 1))
                        rows.append(row)
                        w.writerow(row.values())
                        f.flush()
                        print(",".join(str(v) for v in row.values()), flush=True)
    plot(rows, pathlib.Path(args.plot))


if __name__ == "__main__":
    main()
