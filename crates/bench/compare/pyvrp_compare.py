#!/usr/bin/env python3
"""Compare `mediation solve-vrptw` with PyVRP on Solomon VRPTW instances, at the same time limit.

Development only: PyVRP is never a dependency of the server. Install it in a throwaway virtual
environment and run this with that environment's Python:

    python3 -m venv /tmp/pyvrp-venv && /tmp/pyvrp-venv/bin/pip install pyvrp
    /tmp/pyvrp-venv/bin/python crates/bench/compare/pyvrp_compare.py \\
        --mediation target/release/mediation --seconds 10 --runs 3 \\
        ../shared/data/solomon/*.txt crates/bench/compare/solomon/*.txt

The instances: C101, R101 and RC101 in shared/data/solomon, and one of each other class (C201,
R201, RC201, R105, RC105) in solomon/ beside this script, with its README naming their source
and the best-known solutions. `--solvers pyvrp` runs PyVRP alone, without `--mediation`.

Each instance is solved `--runs` times by each solver, one run at a time (neither competes
with the other for the cores). Both are judged the same way: vehicles first, then the total
Euclidean distance recomputed here in floating point from the routes each returned, and a run
counts only if it serves every customer within its window and the vehicle capacity (checked
here, not taken from the solver). Prints one JSON line per run on standard error and a
Markdown table of medians, with the spread of the runs, on standard output.

PyVRP works on integers: coordinates are kept as they are and distances and times are scaled
by 1,000 and rounded, so its own objective differs from the real one by rounding only. Vehicles
come first through a fixed cost per vehicle larger than any route's distance.
"""

import argparse
import json
import math
import statistics
import subprocess
import sys
import time

SCALE = 1000


def parse_solomon(path):
    """(name, vehicles, capacity, customers) with customers as (number, x, y, demand, ready, due,
    service), the depot first."""
    with open(path) as f:
        lines = [line.strip() for line in f if line.strip()]
    name = lines[0]
    fleet, customers = None, []
    for line in lines[1:]:
        fields = line.split()
        try:
            numbers = [float(x) for x in fields]
        except ValueError:
            continue
        if len(numbers) == 2 and fleet is None:
            fleet = (int(numbers[0]), int(numbers[1]))
        elif len(numbers) == 7:
            n, x, y, d, r, due, s = numbers
            customers.append((int(n), x, y, int(d), r, due, s))
    return name, fleet[0], fleet[1], customers


def dist(a, b):
    return math.hypot(a[1] - b[1], a[2] - b[2])


def check(customers, capacity, routes):
    """Total distance of `routes` (lists of customer numbers) if they serve every customer once,
    within windows and capacity (travel time = distance); None otherwise."""
    by_number = {c[0]: c for c in customers}
    depot = customers[0]
    served = [n for route in routes for n in route]
    if sorted(served) != sorted(c[0] for c in customers[1:]):
        return None
    total = 0.0
    for route in routes:
        at, time_now, load = depot, depot[4], 0
        for n in route:
            c = by_number[n]
            total += dist(at, c)
            time_now = max(time_now + dist(at, c), c[4])
            if time_now > c[5] + 1e-6:
                return None
            time_now += c[6]
            load += c[3]
            at = c
        total += dist(at, depot)
        if load > capacity or time_now + dist(at, depot) > depot[5] + 1e-6:
            return None
    return total


def solve_pyvrp(customers, vehicles, capacity, seconds, seed):
    from pyvrp import Model
    from pyvrp.stop import MaxRuntime

    depot = customers[0]
    model = Model()
    places = [model.add_location(x=c[1], y=c[2]) for c in customers]
    start = model.add_depot(places[0], tw_early=round(depot[4] * SCALE), tw_late=round(depot[5] * SCALE))
    longest = max(dist(a, b) for a in customers for b in customers)
    model.add_vehicle_type(num_available=vehicles, capacity=capacity,
                           fixed_cost=round(2 * len(customers) * longest * SCALE),
                           tw_early=round(depot[4] * SCALE), tw_late=round(depot[5] * SCALE))
    for place, (n, x, y, d, r, due, s) in zip(places[1:], customers[1:]):
        model.add_client(place, delivery=d, service_duration=round(s * SCALE),
                         tw_early=round(r * SCALE), tw_late=round(due * SCALE))
    for i, a in enumerate(customers):
        for j, b in enumerate(customers):
            if i != j:
                scaled = round(dist(a, b) * SCALE)
                model.add_edge(places[i], places[j], distance=scaled, duration=scaled)
    started = time.monotonic()
    result = model.solve(stop=MaxRuntime(seconds), seed=seed, display=False)
    elapsed = time.monotonic() - started
    numbers = [c[0] for c in customers]
    # Activities name clients by their index among clients (0 the first), depots apart.
    routes = [[numbers[1 + a.idx] for a in route.schedule() if a.is_client()] for route in result.best.routes()]
    return routes, elapsed


def solve_mediation(binary, path, seconds, seed):
    started = time.monotonic()
    out = subprocess.run([binary, "solve-vrptw", path, "--seconds", str(seconds), "--seed", str(seed)],
                         capture_output=True, text=True)
    elapsed = time.monotonic() - started
    if out.returncode not in (0, 2):
        raise RuntimeError(out.stderr)
    report = json.loads(out.stdout)
    return report["routes"], elapsed


def spread(values):
    return f"{min(values):.2f}–{max(values):.2f}" if len(values) > 1 else f"{values[0]:.2f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("instances", nargs="+")
    parser.add_argument("--mediation", help="the release `mediation` binary (needed when --solvers names it)")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--solvers", default="pyvrp,mediation")
    args = parser.parse_args()
    if "mediation" in args.solvers.split(",") and not args.mediation:
        parser.error("--mediation is needed to run the mediation solver")

    rows = []
    for path in args.instances:
        name, vehicles, capacity, customers = parse_solomon(path)
        results = {}
        for solver in args.solvers.split(","):
            runs = []
            for run in range(args.runs):
                seed = run + 1
                if solver == "pyvrp":
                    routes, elapsed = solve_pyvrp(customers, vehicles, capacity, args.seconds, seed)
                else:
                    routes, elapsed = solve_mediation(args.mediation, path, args.seconds, seed)
                distance = check(customers, capacity, routes)
                record = {"instance": name, "solver": solver, "seed": seed, "vehicles": len(routes),
                          "distance": None if distance is None else round(distance, 2),
                          "feasible": distance is not None, "seconds": round(elapsed, 1)}
                print(json.dumps(record), file=sys.stderr, flush=True)
                runs.append(record)
            results[solver] = runs
        rows.append((name, results))

    solvers = args.solvers.split(",")
    print(f"| instance | " + " | ".join(f"{s}: vehicles, distance (median; runs)" for s in solvers)
          + " | gap (median distance) |")
    print("|---|" + "---|" * len(solvers) + "---|")
    for name, results in rows:
        cells, medians = [], {}
        for s in solvers:
            good = [r for r in results[s] if r["feasible"]]
            if not good:
                cells.append(f"no feasible run of {len(results[s])}")
                continue
            vehicles = statistics.median_low([r["vehicles"] for r in good])
            distances = [r["distance"] for r in good]
            medians[s] = (vehicles, statistics.median(distances))
            counts = "/".join(str(r["vehicles"]) for r in good)
            bad = len(results[s]) - len(good)
            cells.append(f"{vehicles} ({counts}), {statistics.median(distances):.2f} ({spread(distances)})"
                         + (f", {bad} infeasible" if bad else ""))
        gap = ""
        if len(medians) == 2:
            (va, da), (vb, db) = medians[solvers[0]], medians[solvers[1]]
            gap = f"{solvers[1]} {vb - va:+d} vehicles, {100 * (db - da) / da:+.1f} %"
        print(f"| {name} | " + " | ".join(cells) + f" | {gap} |")


if __name__ == "__main__":
    main()
