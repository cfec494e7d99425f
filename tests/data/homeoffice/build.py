#!/usr/bin/env python3
"""Builds recorded.csv and outcomes.csv, a fixture in the Home Office open-data layout whose
rows reproduce the reference figures of reference/domain.md (see README.md). Deterministic:
running it again writes the same bytes. Run from this folder: python3 build.py"""

import csv

DESCRIPTION = {
    "8L": "Harassment",
    "8M": "Racially or religiously aggravated harassment",
    "8Q": "Stalking",
    "8R": "Malicious communications",
    "8U": "Engaging in controlling or coercive behaviour",
}
CODES = list(DESCRIPTION)
OUTCOME = {
    0: ("Not yet assigned an outcome", "Not yet assigned an outcome"),
    1: ("Charged or summonsed", "Charged/Summonsed"),
    5: ("Offender died", "Prosecution prevented or not in the public interest"),
    8: ("Community resolution", "Out-of-court (informal)"),
    14: ("Evidential difficulties: suspect not identified, victim does not support action",
         "Evidential difficulties (victim does not support action)"),
    15: ("Evidential difficulties: suspect identified, victim supports action",
         "Evidential difficulties (suspect identified; victim supports action)"),
    16: ("Evidential difficulties: suspect identified, victim does not support action",
         "Evidential difficulties (victim does not support action)"),
    18: ("Investigation complete, no suspect identified", "Investigation complete - no suspect identified"),
    21: ("Further investigation not in the public interest (police)",
         "Further investigation to support formal action not in the public interest"),
}

# Years to September: year Y = Q3, Q4 of financial year Y-1 and Q1, Q2 of financial year Y.
YEARS = list(range(2014, 2024))


def quarters(y):
    return [(y - 1, 3), (y - 1, 4), (y, 1), (y, 2)]


def split(total, weights):
    """Largest-remainder split of an integer total in proportion to weights (exact sum)."""
    s = sum(weights)
    if s == 0:
        weights, s = [1] * len(weights), len(weights)
    raw = [total * w / s for w in weights]
    out = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - out[i]), i))
    for i in order[: total - sum(out)]:
        out[i] += 1
    assert sum(out) == total
    return out


SEASON = [26, 24, 25, 25]  # quarter weights within a year to September


def annual(series):
    """{year: total} -> {(fy, q): count}, each year split over its four quarters."""
    cells = {}
    for y, total in series.items():
        for q, n in zip(quarters(y), split(total, SEASON)):
            cells[q] = n
    return cells


def stalking(per_quarter_before, per_quarter_after, targets):
    """Stalking: flat before April 2020 (financial year 2020/21 Q1), higher after; `targets`
    fixes whole years exactly."""
    cells = {}
    for y in YEARS:
        if y in targets:
            for q, n in zip(quarters(y), split(targets[y], SEASON)):
                cells[q] = n
        else:
            for q in quarters(y):
                cells[q] = per_quarter_before if q < (2020, 1) else per_quarter_after
    return cells


# ---- The reference forces -------------------------------------------------------------------
# Metropolitan Police: S&H in the year to September 2023 = 14,837 + 699 + 12,224 + 24,118 +
# 9,452 = 61,330.
MET = {
    "8L": annual(dict(zip(YEARS, [9200, 10100, 11000, 12800, 14500, 16000, 15500, 16300, 15838, 14837]))),
    "8M": annual(dict(zip(YEARS, [820, 800, 790, 810, 840, 830, 780, 770, 760, 699]))),
    "8Q": stalking(600, 3100, {2022: 12900, 2023: 12224}),
    "8R": annual(dict(zip(YEARS, [15000, 16500, 18000, 20000, 22000, 23500, 24000, 24800, 25100, 24118]))),
    "8U": annual(dict(zip(YEARS, [0, 1500, 3000, 4500, 6000, 7200, 8000, 8800, 9300, 9452]))),
}
# Merseyside: 10,056 + 147 + 2,744 + 6,500 + 2,547 = 21,994; harassment in the year to
# September 2014 is 890, so 10,056 is 11.3 times it ("more than 11-fold").
MERSEYSIDE = {
    "8L": annual(dict(zip(YEARS, [890, 1500, 2600, 4200, 6000, 7400, 8200, 9500, 10477, 10056]))),
    "8M": annual(dict(zip(YEARS, [160, 150, 155, 150, 148, 152, 150, 149, 151, 147]))),
    "8Q": stalking(150, 700, {2022: 2900, 2023: 2744}),
    "8R": annual(dict(zip(YEARS, [3000, 3400, 3900, 4500, 5100, 5600, 6000, 6300, 6600, 6500]))),
    "8U": annual(dict(zip(YEARS, [0, 300, 700, 1100, 1500, 1900, 2200, 2400, 2500, 2547]))),
}
# Outcomes fixed by the reference, per year to September:
#   charge/summons on harassment (8L): Met 685 (4.6% of 14,837) and 1,124 the year before
#   (7.1% of 15,838); Merseyside 459 (4.6% of 10,056) and 524 the year before (5.0% of 10,477).
#   victim does not support action (types 14 + 16) across all S&H: Met 22,631 (36.9% of
#   61,330); Merseyside 10,821 (49.2% of 21,994).
CHARGES_8L = {"Metropolitan Police": {2023: 685, 2022: 1124}, "Merseyside": {2023: 459, 2022: 524}}
VDNS_ALL = {"Metropolitan Police": {2023: 22631}, "Merseyside": {2023: 10821}}

# ---- Other forces: the national and caveat paths ---------------------------------------------
def flat(values):
    return {code: annual({y: v for y in YEARS[-3:]}) for code, v in values.items()}


DEVON = flat({"8L": 4100, "8M": 60, "8Q": 1900, "8R": 3300, "8U": 1200})
CUMBRIA = flat({"8L": 1300, "8M": 20, "8Q": 520, "8R": 900, "8U": 310})
CITY = flat({"8L": 60, "8M": 8, "8Q": 12, "8R": 40, "8U": 4})

FORCES = [  # (name as published in recorded.csv, name in outcomes.csv, cells)
    ("Metropolitan Police", "Metropolitan Police Service", MET),
    ("Merseyside", "Merseyside", MERSEYSIDE),
    ("Devon & Cornwall", "Devon & Cornwall", DEVON),
    ("Cumbria", "Cumbria", CUMBRIA),
    ("London, City of", "London, City of", CITY),
]
SUPPRESSED_RECORDED = {("Cumbria", (2023, 1), "8M")}  # published as '..'
# Devon and Cornwall supplied no outcomes for the year to September 2023 (new IT system).
NO_OUTCOMES_FROM = {"Devon & Cornwall": (2022, 3)}


def fy(y):
    return f"{y}/{(y + 1) % 100:02d}"


def year_of(q):
    return q[0] + 1 if q[1] >= 3 else q[0]


def main():
    rec = open("recorded.csv", "w", newline="")
    out = open("outcomes.csv", "w", newline="")
    rw, ow = csv.writer(rec, lineterminator="\n"), csv.writer(out, lineterminator="\n")
    keys = ["Financial Year", "Financial Quarter", "Force Name", "Offence Description", "Offence Group",
            "Offence Subgroup", "Offence Code"]
    rw.writerow(keys + ["Number of Offences"])
    ow.writerow(keys + ["Outcome Description", "Outcome Group", "Outcome Type", "Number of Outcomes"])

    def key(q, force, code):
        return [fy(q[0]), q[1], force, DESCRIPTION[code], "Violence against the person", "Stalking and harassment", code]

    for rname, oname, cells in FORCES:
        base = "Metropolitan Police" if rname.startswith("Metropolitan") else rname
        all_q = sorted({q for c in cells.values() for q in c})
        for q in all_q:
            for code in CODES:
                n = cells[code].get(q)
                if n is None:
                    continue
                cell = ".." if (rname, q, code) in SUPPRESSED_RECORDED else n
                rw.writerow(key(q, rname, code) + [cell])
        # Outcomes, year by year, exact where the reference fixes them.
        for y in sorted({year_of(q) for q in all_q}):
            qs = [q for q in quarters(y) if q in all_q]
            if rname in NO_OUTCOMES_FROM:
                qs = [q for q in qs if q < NO_OUTCOMES_FROM[rname]]
            if len(qs) != 4:
                continue
            rec_q = {code: [cells[code][q] for q in qs] for code in CODES}
            totals = {code: sum(v) for code, v in rec_q.items()}
            vdns_total = VDNS_ALL.get(base, {}).get(y, round(0.35 * sum(totals.values())))
            vdns_by_code = dict(zip(CODES, split(vdns_total, [totals[c] for c in CODES])))
            for code in CODES:
                charges = CHARGES_8L.get(base, {}).get(y) if code == "8L" else None
                if charges is None:
                    charges = round((0.06 if code == "8L" else 0.05) * totals[code])
                ch_q = split(charges, rec_q[code])
                v_q = split(vdns_by_code[code], rec_q[code])
                for i, q in enumerate(qs):
                    r = rec_q[code][i]
                    v14, v16 = split(v_q[i], [2, 3])
                    o = {1: ch_q[i], 14: v14, 16: v16, 15: round(0.10 * r), 18: round(0.12 * r),
                         8: round(0.02 * r), 0: round(0.05 * r)}
                    o[21] = r - sum(o.values())
                    assert o[21] >= 0, (rname, q, code, o)
                    for t in sorted(o):
                        if o[t]:
                            ow.writerow(key(q, oname, code) + [OUTCOME[t][0], OUTCOME[t][1], t, o[t]])
                    if (rname, q, code) == ("Cumbria", (2022, 4), "8L"):
                        ow.writerow(key(q, oname, code) + [OUTCOME[5][0], OUTCOME[5][1], 5, ".."])
    # A national reporting body: never a force.
    rw.writerow([fy(2022), 4, "Action Fraud", DESCRIPTION["8R"], "Violence against the person",
                 "Stalking and harassment", "8R", 37])
    rec.close()
    out.close()


if __name__ == "__main__":
    main()
