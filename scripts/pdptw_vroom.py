"""VROOM (pyvroom) on the Li & Lim PDPTW instances of a directory, as `tusk bench pdptw`
prints them: vehicles and distance beside the best-known solution, seconds per instance.

VROOM takes integer durations: distances are scaled by SCALE and rounded; the distance
reported is recomputed from the routes with the exact (float) distances. A large fixed cost
per vehicle makes VROOM use as few vehicles as it can first, as the benchmark ranks solutions.
One thread, exploration level 5 (VROOM's highest)."""
import json, math, sys, time
from pathlib import Path

import vroom

SCALE = 100
VEHICLE_FIXED_COST = 10_000_000


def read(path):
    lines = [l.split() for l in Path(path).read_text().splitlines() if l.strip()]
    vehicles, capacity = int(lines[0][0]), int(lines[0][1])
    stops = [[float(x) for x in l] for l in lines[1:]]
    return vehicles, capacity, stops


def main(directory, only=""):
    d = Path(directory)
    bks = json.loads((d.parent / "BKS.json").read_text())
    print("| instance | vehicles | BKS vehicles | distance | BKS distance | gap % | seconds |")
    print("|---|---|---|---|---|---|---|")
    same = n = 0
    gaps, secs = [], []
    for f in sorted(d.glob("*.txt")):
        name = f.stem
        if only and not name.startswith(only):
            continue
        vehicles, capacity, stops = read(f)
        dist = lambda a, b: math.hypot(stops[a][1] - stops[b][1], stops[a][2] - stops[b][2])
        m = [[round(dist(a, b) * SCALE) for b in range(len(stops))] for a in range(len(stops))]
        p = vroom.Input()
        p.set_durations_matrix(profile="car", matrix_input=m)
        depot = stops[0]
        for v in range(vehicles):
            p.add_vehicle(vroom.Vehicle(v + 1, start=0, end=0, capacity=vroom.Amount([capacity]),
                                        time_window=vroom.TimeWindow(int(depot[4] * SCALE), int(depot[5] * SCALE)),
                                        costs=vroom.VehicleCosts(fixed=VEHICLE_FIXED_COST)))
        for i, s in enumerate(stops):
            if i == 0 or s[3] <= 0:
                continue
            j = int(s[8])
            t = stops[j]
            step = lambda k, x: vroom.ShipmentStep(k, location=k, default_service=int(x[6] * SCALE),
                                                   time_windows=[vroom.TimeWindow(int(x[4] * SCALE), int(x[5] * SCALE))])
            p.add_shipment(step(i, s), step(j, t), amount=vroom.Amount([int(s[3])]))
        t0 = time.perf_counter()
        sol = p.solve(exploration_level=5, nb_threads=1)
        sec = time.perf_counter() - t0
        r = sol.routes
        used, cost = 0, 0.0
        for _, g in r.groupby("vehicle_id"):
            seq = list(g["location_index"])
            if len(seq) <= 2:
                continue
            used += 1
            cost += sum(dist(int(a), int(b)) for a, b in zip(seq, seq[1:]))
        b = bks[name]
        bv, bc = b["solved_with_vehicles"], b["best_known_cost"]
        unassigned = len(sol.unassigned) if hasattr(sol, "unassigned") else 0
        n += 1
        gap = (cost / bc - 1) * 100 if used == bv and not unassigned else None
        if gap is not None:
            same += 1
            gaps.append(gap)
        secs.append(sec)
        note = f" ({unassigned} unserved)" if unassigned else ""
        print(f"| {name} | {used}{note} | {bv} | {cost:.2f} | {bc:.2f} | {'—' if gap is None else f'{gap:.2f}'} | {sec:.2f} |")
    mean = lambda v: sum(v) / max(len(v), 1)
    print()
    print(f"{n} instances: best-known vehicle count on {same}; distance gap where the vehicles match: "
          f"mean {mean(gaps):.2f} %, max {max(gaps, default=0):.2f} %; seconds per instance: mean {mean(secs):.2f}, "
          f"max {max(secs, default=0):.2f} (VROOM {getattr(vroom, '__version__', '')}, exploration level 5, 1 thread)")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "")
