#!/usr/bin/env python3
"""Convert the real demand data that ships in packages into daihuo's forecast CSV format.

Usage:
    python3 scripts/forecast_data.py [--bayesm-data DIR] [--out DIR]

    --bayesm-data  the `data/` directory of the R package bayesm as Debian's
                   r-cran-bayesm 3.1-5 installs it (default
                   /usr/lib/R/site-library/bayesm/data); we read tuna.rda and cheese.rda
    --out          where the CSVs go (default data/forecast/ in this repository)

The CDNOW transactions are read from the installed PyPI package Lifetimes 0.11.3
(lifetimes/datasets/CDNOW_master.txt); the package is located, not imported, so its own
dependencies do not matter. The .rda files are read with PyPI rdata. Versions are pinned in
scripts/requirements.txt; docs/FORECASTING.md has the whole procedure.

Output (the format `daihuo forecast eval --input` reads, docs/FORECASTING.md):
    cdnow_daily.csv   series,period,units: one series, the daily CDs bought by the CDNOW
                      cohort, 1997-01-01..1998-06-30 (546 days; days without a purchase
                      are 0 units, not missing)
    tuna_weekly.csv   series,period,units,price,promo: seven canned-tuna UPCs at
                      Dominick's Finer Foods, weekly, chain level; period = the data's WEEK
                      (it skips weeks, e.g. 331 -> 372), price = exp(LPRICE) in dollars,
                      promo = NSALE (the data's measure of display activity, 0..1)
    cheese_weekly.csv series,period,units,price,promo: Borden sliced cheese at 88 retail
                      key accounts, weekly; period = the week (see below), price = PRICE
                      in dollars, promo = DISP (share of ACV on display, 0..1)

The cheese data has no week column: its rows are stored week by week, each week listing
the retailers present in the same order. We number the weeks by starting a new week
whenever a retailer repeats, and check that the order of retailers is the same in every
week and that no retailer skips a week, so the numbering is unambiguous.
"""

import argparse
import csv
import datetime
import importlib.util
import math
import pathlib
import sys

import rdata

REPO = pathlib.Path(__file__).resolve().parent.parent

# bayesm's help page for tuna names the seven UPCs in column order.
TUNA_BRANDS = [
    "star_kist_6oz",
    "chicken_of_the_sea_6oz",
    "bumble_bee_solid_6.12oz",
    "bumble_bee_chunk_6.12oz",
    "geisha_6oz",
    "bumble_bee_large_cans",
    "hh_chunk_lite_6.5oz",
]


def lifetimes_cdnow() -> pathlib.Path:
    spec = importlib.util.find_spec("lifetimes")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("the PyPI package Lifetimes 0.11.3 is not installed (pip install -r scripts/requirements.txt)")
    path = pathlib.Path(list(spec.submodule_search_locations)[0]) / "datasets" / "CDNOW_master.txt"
    if not path.exists():
        sys.exit(f"{path} is missing")
    return path


def cdnow(out: pathlib.Path) -> None:
    units_per_day: dict[datetime.date, int] = {}
    transactions = 0
    with lifetimes_cdnow().open() as f:
        header = f.readline().split()
        assert header == ["customer_id", "date", "number_of_cds", "dollar_value"], header
        for line in f:
            fields = line.split()
            if not fields:
                continue
            day = datetime.datetime.strptime(fields[1], "%Y%m%d").date()
            cds = int(fields[2])
            assert cds >= 0, line
            units_per_day[day] = units_per_day.get(day, 0) + cds
            transactions += 1
    first, last = min(units_per_day), max(units_per_day)
    days = (last - first).days + 1
    assert transactions == 69659, transactions
    assert (first, last, days) == (datetime.date(1997, 1, 1), datetime.date(1998, 6, 30), 546)
    with (out / "cdnow_daily.csv").open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["series", "period", "units"])
        for i in range(days):
            day = first + datetime.timedelta(days=i)
            w.writerow(["cdnow", day.isoformat(), units_per_day.get(day, 0)])
    zero_days = days - len(units_per_day)
    print(f"cdnow_daily.csv: {transactions} transactions -> {days} days ({zero_days} without a purchase)")


def read_rda(directory: pathlib.Path, name: str):
    path = directory / f"{name}.rda"
    if not path.exists():
        sys.exit(f"{path} is missing: apt-get install r-cran-bayesm, or pass --bayesm-data")
    return rdata.read_rda(str(path))[name]


def rounded(value: float, digits: int) -> str:
    assert math.isfinite(value), value
    return f"{value:.{digits}f}"


def tuna(directory: pathlib.Path, out: pathlib.Path) -> None:
    frame = read_rda(directory, "tuna")
    assert len(frame) == 338, len(frame)
    weeks = [int(w) for w in frame["WEEK"]]
    assert all(a < b for a, b in zip(weeks, weeks[1:])), "tuna weeks are not increasing"
    rows = 0
    with (out / "tuna_weekly.csv").open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["series", "period", "units", "price", "promo"])
        for i, brand in enumerate(TUNA_BRANDS, start=1):
            for row, week in enumerate(weeks):
                units = int(frame[f"MOVE{i}"].iloc[row])
                price = math.exp(float(frame[f"LPRICE{i}"].iloc[row]))
                promo = float(frame[f"NSALE{i}"].iloc[row])
                assert units >= 0 and 0.0 <= promo <= 1.0, (brand, week)
                w.writerow([brand, week, units, rounded(price, 4), rounded(promo, 4)])
                rows += 1
    print(f"tuna_weekly.csv: {len(TUNA_BRANDS)} series, {rows} rows, weeks {weeks[0]}..{weeks[-1]}")


def cheese(directory: pathlib.Path, out: pathlib.Path) -> None:
    frame = read_rda(directory, "cheese")
    assert len(frame) == 5555, len(frame)
    retailers = [str(r) for r in frame["RETAILER"]]
    # Number the weeks: a retailer seen again starts the next week.
    week, seen, weeks = 1, set(), []
    for retailer in retailers:
        if retailer in seen:
            week, seen = week + 1, set()
        seen.add(retailer)
        weeks.append(week)
    # Check the numbering: any two retailers stored in the same week come in the same
    # order in every week they share, and no retailer skips a week.
    by_week: dict[int, list[str]] = {}
    for retailer, week in zip(retailers, weeks):
        by_week.setdefault(week, []).append(retailer)
    first_before: dict[tuple[str, str], bool] = {}
    for members in by_week.values():
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                assert first_before.setdefault((a, b), True), f"{a} and {b} swap order"
                assert not first_before.setdefault((b, a), False), f"{a} and {b} swap order"
    spans: dict[str, list[int]] = {}
    for retailer, week in zip(retailers, weeks):
        spans.setdefault(retailer, []).append(week)
    for retailer, ws in spans.items():
        assert ws == list(range(ws[0], ws[-1] + 1)), f"{retailer} skips a week"
    rows = sorted(
        zip(retailers, weeks, frame["VOLUME"], frame["PRICE"], frame["DISP"]),
        key=lambda r: (r[0], r[1]),
    )
    with (out / "cheese_weekly.csv").open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["series", "period", "units", "price", "promo"])
        for retailer, week, units, price, display in rows:
            assert int(units) >= 0 and 0.0 <= float(display) <= 1.0, (retailer, week)
            w.writerow([retailer, week, int(units), rounded(float(price), 4), rounded(float(display), 4)])
    lengths = sorted(len(ws) for ws in spans.values())
    print(
        f"cheese_weekly.csv: {len(spans)} series, {len(rows)} rows, {max(weeks)} weeks, "
        f"{lengths[0]}..{lengths[-1]} weeks per series"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bayesm-data", type=pathlib.Path, default=pathlib.Path("/usr/lib/R/site-library/bayesm/data"))
    parser.add_argument("--out", type=pathlib.Path, default=REPO / "data" / "forecast")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    cdnow(args.out)
    tuna(args.bayesm_data, args.out)
    cheese(args.bayesm_data, args.out)


if __name__ == "__main__":
    main()
