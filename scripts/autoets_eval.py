#!/usr/bin/env python3
"""statsforecast's AutoETS on exactly the rolling-origin windows of `daihuo forecast eval`.

Usage:
    python3 scripts/autoets_eval.py --input FILE [--horizon 7] [--season 1] [--origins 8]
                                    [--step HORIZON] [--min-train 8] [--coverage 0.8]

Same CSV, same options and defaults, same JSON shape as `daihuo forecast eval` (one line
on stdout: series, horizon, wape, mase, coverage, seasonal_naive, naive, ...), with
"model": "AutoETS". AutoETS sees the units only: it has no place for price or promotion.

The windows (docs/FORECASTING.md, "How the splits are made"): each series is its rows in
period order; with n rows, origins o_j = n - h - j*step for j = 0..origins-1, kept when
o_j >= max(min_train, season + 1); train on rows [0, o_j), test rows [o_j, o_j + h).
The seasonal-naive and naive baselines are computed here too, from the same windows: they
must equal the Rust figures, which checks that both sides cut the same windows.

AutoETS is statsforecast's automatic exponential smoothing (error, trend and season chosen
by AICc) with `season_length` = --season; its point forecast is the mean, clipped at 0
units since demand cannot be negative, and its interval the `level` = coverage interval.
"""

import argparse
import csv
import datetime
import json
import sys
import time

import numpy as np
from statsforecast.models import AutoETS


def read_series(path):
    """Series in order of first appearance, each a list of (period, units) by period."""
    series = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            period = row["period"].strip()
            try:
                key = int(period)
            except ValueError:
                key = datetime.date.fromisoformat(period).toordinal()
            series.setdefault(row["series"].strip(), []).append((key, float(row["units"])))
    return [(name, np.array([u for _, u in sorted(rows)])) for name, rows in series.items()]


def windows(n, horizon, origins, step, min_train, season):
    fewest = max(min_train, max(season, 1) + 1)
    out = set()
    for j in range(origins):
        origin = n - horizon - j * step
        if origin < 0:
            break
        if origin >= fewest:
            out.add(origin)
    return sorted(out)


def mase_scale(training, season):
    lag = max(season, 1)
    if len(training) <= lag:
        return None
    scale = float(np.mean(np.abs(training[lag:] - training[:-lag])))
    return scale if scale > 0 else None


def seasonal_naive(training, season, horizon):
    lag = max(season, 1)
    start = len(training) - lag
    return np.array([training[start + h % lag] for h in range(horizon)])


class Tally:
    def __init__(self):
        self.abs_error = 0.0
        self.abs_actual = 0.0
        self.scaled = []
        self.inside = 0
        self.with_interval = 0

    def add(self, actual, forecast, scale, lower=None, upper=None):
        errors = np.abs(actual - forecast)
        self.abs_error += float(errors.sum())
        self.abs_actual += float(np.abs(actual).sum())
        if scale is not None:
            self.scaled.append(float(errors.mean()) / scale)
        if lower is not None:
            self.with_interval += len(actual)
            self.inside += int(((lower <= actual) & (actual <= upper)).sum())

    def scores(self, coverage=False):
        out = {
            "wape": self.abs_error / self.abs_actual if self.abs_actual > 0 else None,
            "mase": float(np.mean(self.scaled)) if self.scaled else None,
        }
        if coverage:
            out["coverage"] = self.inside / self.with_interval if self.with_interval else None
        return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--input", required=True)
    parser.add_argument("--horizon", type=int, default=7)
    parser.add_argument("--season", type=int, default=1)
    parser.add_argument("--origins", type=int, default=8)
    parser.add_argument("--step", type=int, default=None)
    parser.add_argument("--min-train", type=int, default=8)
    parser.add_argument("--coverage", type=float, default=0.8)
    args = parser.parse_args()
    step = args.step or args.horizon
    level = round(args.coverage * 100)
    started = time.monotonic()
    series = read_series(args.input)
    model, seasonal, naive = Tally(), Tally(), Tally()
    evaluated, count = 0, 0
    for name, units in series:
        origins = windows(len(units), args.horizon, args.origins, step, args.min_train, args.season)
        evaluated += bool(origins)
        for origin in origins:
            training = units[:origin]
            actual = units[origin : origin + args.horizon]
            scale = mase_scale(training, args.season)
            fitted = AutoETS(season_length=args.season).forecast(
                y=training.astype(np.float64), h=args.horizon, level=[level]
            )
            mean = np.maximum(fitted["mean"], 0.0)
            lower = np.maximum(fitted[f"lo-{level}"], 0.0)
            upper = np.maximum(fitted[f"hi-{level}"], 0.0)
            model.add(actual, mean, scale, lower, upper)
            seasonal.add(actual, seasonal_naive(training, args.season, args.horizon), scale)
            naive.add(actual, seasonal_naive(training, 1, args.horizon), scale)
            count += 1
        print(f"autoets: {name}: {len(origins)} windows", file=sys.stderr)
    if count == 0:
        sys.exit("no series is long enough for a window")
    result = {
        "model": "AutoETS",
        "input": args.input,
        "series": len(series),
        "series_evaluated": evaluated,
        "horizon": args.horizon,
        "season": args.season,
        "origins": args.origins,
        "step": step,
        "min_train": args.min_train,
        "coverage_target": args.coverage,
        "windows": count,
        "points": count * args.horizon,
        **model.scores(coverage=True),
        "seasonal_naive": {"season": args.season, **seasonal.scores()},
        "naive": naive.scores(),
        "seconds": time.monotonic() - started,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
