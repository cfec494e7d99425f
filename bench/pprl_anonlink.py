"""clkhash + anonlink on a two-force people file (the Data61 side of bench/pprl_vs_anonlink.sh).

    python pprl_anonlink.py PEOPLE.csv KEY_FILE OUT_DIR THRESHOLD...

PEOPLE.csv is a data-contract people file with exactly two forces in `force` and the truth in
`true_person_id` (bench uses FEBRL4: Kent and Essex, 5000 records each, one-to-one). Each force's
records are encoded with clkhash (one 1024-bit CLK per record, bigrams of every identifying field,
HKDF keys from the shared secret in KEY_FILE), then linked with anonlink the documented way:
`find_candidate_pairs` with the accelerated Dice coefficient (all pairs, no blocking) and
`greedy_solve` (one-to-one), at each Dice THRESHOLD. Scores are pairwise over cross-force pairs,
as `conduct eval encodings` counts them.

Writes OUT_DIR/anonlink.tsv, one row per threshold:
tool, setting, encode s, records/s, link s, precision, recall, F1; and notes on stderr.
"""
import csv
import sys
import time
from collections import defaultdict

from clkhash import clk
from clkhash.schema import from_json_dict
import anonlink

FIELDS = ["forename", "surname", "date_of_birth", "address", "postcode", "ni_number"]
# bitsPerToken per field: names weigh most, as in clkhash's FEBRL examples; the long address
# string gets few bits per bigram so the filter ends up about half full (clkhash's advice).
BITS = {"forename": 20, "surname": 20, "date_of_birth": 15, "address": 5, "postcode": 10, "ni_number": 10}


def schema():
    feature = lambda name: {
        "identifier": name,
        "format": {"type": "string", "encoding": "utf-8"},
        "hashing": {
            "comparison": {"type": "ngram", "n": 2},
            "strategy": {"bitsPerToken": BITS[name]},
            "hash": {"type": "blakeHash"},
        },
    }
    return from_json_dict({
        "version": 3,
        "clkConfig": {
            "l": 1024,
            "kdf": {
                "type": "HKDF",
                "hash": "SHA256",
                "salt": "SCbL2zHNnmsckfzchsNkZY9XoHk96P/G5nUBrM7ybymlEFsMV6PAeDZCNp3rfNUPCtLDMOGQHG4pCQpfhiHCyA==",
                "info": "c2NoZW1hX2V4YW1wbGU=",
                "keySize": 64,
            },
        },
        "features": [{"identifier": "record_id", "ignored": True}] + [feature(f) for f in FIELDS],
    })


def main():
    people, key_file, out = sys.argv[1], sys.argv[2], sys.argv[3]
    thresholds = [float(t) for t in sys.argv[4:]] or [0.75, 0.8]
    secret = open(key_file).read().strip()
    parties = defaultdict(list)  # force -> [(pii row, true person id)]
    with open(people, newline="") as f:
        for r in csv.DictReader(f):
            parties[r["force"]].append(([r["record_id"]] + [r[c] for c in FIELDS], r["true_person_id"]))
    if len(parties) != 2:
        sys.exit(f"{people}: expected two forces, found {sorted(parties)}")
    (fa, a), (fb, b) = sorted(parties.items())

    s = schema()
    t0 = time.perf_counter()
    clks = [clk.generate_clks([row for row, _ in p], s, secret) for p in (a, b)]
    encode_s = time.perf_counter() - t0
    n = len(a) + len(b)
    fill = sum(c.count() for cs in clks for c in cs) / (n * 1024)
    print(f"clkhash: {n} records ({fa} {len(a)}, {fb} {len(b)}) in {encode_s:.2f} s, "
          f"{n / encode_s:.0f} records/s; mean filter fill {fill:.3f}", file=sys.stderr)

    by_person = defaultdict(lambda: ([], []))
    for side, p in enumerate((a, b)):
        for i, (_, pid) in enumerate(p):
            if pid:
                by_person[pid][side].append(i)
    truth = {(i, j) for xs, ys in by_person.values() for i in xs for j in ys}

    rows = []
    for th in thresholds:
        t0 = time.perf_counter()
        candidates = anonlink.candidate_generation.find_candidate_pairs(
            clks, anonlink.similarities.dice_coefficient_accelerated, th)
        t1 = time.perf_counter()
        groups = anonlink.solving.greedy_solve(candidates)
        t2 = time.perf_counter()
        predicted = set()
        for g in groups:
            xs = [r for d, r in g if d == 0]
            ys = [r for d, r in g if d == 1]
            predicted.update((i, j) for i in xs for j in ys)
        correct = len(predicted & truth)
        p = correct / len(predicted) if predicted else 1.0
        r = correct / len(truth) if truth else 1.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        comparisons = len(a) * len(b)
        print(f"anonlink Dice >= {th}: {len(candidates[0])} candidate pairs from {comparisons} comparisons "
              f"in {t1 - t0:.2f} s ({comparisons / (t1 - t0) / 1e6:.1f} M Dice/s), greedy solve {t2 - t1:.3f} s, "
              f"{len(predicted)} links, {correct} true of {len(truth)}", file=sys.stderr)
        rows.append(["clkhash+anonlink", f"greedy Dice>={th}", f"{encode_s:.2f}", f"{n / encode_s:.0f}",
                     f"{t2 - t0:.2f}", f"{p:.4f}", f"{r:.4f}", f"{f1:.4f}"])
    with open(f"{out}/anonlink.tsv", "w") as f:
        for row in rows:
            f.write("\t".join(row) + "\n")


if __name__ == "__main__":
    main()
