#!/usr/bin/env python3
"""Writes the small, real-export-shaped fixtures in tests/data/small/ (issue 12).

Not the synthetic world's generator (crates/synth): the stories here are written by hand, and
only the background incidents around them are drawn from short name lists with a fixed seed.
Run from anywhere; the CSV files are committed, so the tests do not need Python:

    python3 tests/data/small/make_fixtures.py

Every file has the data contract's columns plus ground truth (`true_person_id` in people,
`true_course_id` in incidents), which Conduct recognises and never reads; the tests score
against it.

Fixtures:
- repeat-victim/  one victim, 20 reports against one suspect over five years (hyphen dropped
  once, an initial once, one typo, one missing date of birth; the suspect unnamed in 5 reports,
  3 with no suspect row and 2 with an "unknown male" row), among ~60 other incidents: one-off
  disputes, three short courses, twins, a father and son of one name, namesakes.
- year-boundary/  the same victim in two yearly exports (2022 and 2023 files of one force).
- ten-rows/  a file of 10 people rows.
- one-family/  one family's surname is 30% of the people rows (father and son of one name,
  twins, the mother), with the neighbour harassing them and the son harassing his ex-partner.
- father-son/  a father dated in 2 of his 10 reports and his son of the same name, both
  involved with the same woman (the undated reports must stay the father's).
"""

import csv
import datetime as dt
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))

PEOPLE_COLS = [
    "record_id", "force", "incident_ref", "role", "local_person_id", "forename", "middle_names",
    "surname", "date_of_birth", "sex", "address", "postcode", "phone", "email", "online_handles",
    "pnc_id", "ni_number", "true_person_id",
]
INCIDENT_COLS = [
    "force", "incident_ref", "recorded_date", "occurred_date", "offence_code", "offence_description",
    "domestic_abuse", "cyber", "linked_refs", "outcome_type", "outcome_date", "narrative",
    "true_course_id",
]

FORENAMES_F = ["Sarah", "Emma", "Laura", "Rachel", "Gemma", "Nicola", "Kirsty", "Leanne", "Amy", "Jade",
               "Natalie", "Zoe", "Hayley", "Joanne", "Claire", "Lisa", "Donna", "Stacey", "Kelly", "Paula"]
FORENAMES_M = ["John", "David", "Paul", "Mark", "Lee", "Craig", "Steven", "Carl", "Wayne", "Dean",
               "Gary", "Kevin", "Anthony", "Daniel", "Ryan", "Liam", "Jamie", "Sean", "Neil", "Martin"]
SURNAMES = ["Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Roberts",
            "Johnson", "Lewis", "Walker", "Robinson", "Wood", "Thompson", "White", "Watson", "Jackson", "Wright",
            "Green", "Harris", "Cooper", "King", "Lee", "Martin", "Clarke", "James", "Morgan", "Hughes",
            "Edwards", "Hill", "Moore", "Clark", "Harrison", "Scott", "Young", "Morris", "Hall", "Ward"]
STREETS = ["Church Road", "Park Avenue", "Victoria Street", "Mill Lane", "Grange Road", "Station Road",
           "Queens Drive", "Oxford Street", "Bridge Street", "Chester Road", "Manor Way", "Elm Grove"]
TOWNS = [("Birkenhead", "CH41"), ("Wallasey", "CH44"), ("Bootle", "L20"), ("Kirkby", "L32"),
         ("Huyton", "L36"), ("St Helens", "WA10"), ("Southport", "PR8"), ("Liverpool", "L8")]


class Export:
    """One export: incidents and people rows, in the order written."""

    def __init__(self, force, prefix, record_prefix):
        self.force = force
        self.prefix = prefix
        self.record_prefix = record_prefix
        self.incidents = []
        self.people = []
        self.next_ref = 1

    def incident(self, date, code="8L", course="", da="N", cyber="N", narrative="", linked=""):
        ref = f"{self.prefix}-{self.next_ref:04d}"
        self.next_ref += 1
        desc = {"8L": "Harassment", "8Q": "Stalking", "105A": "Assault without injury",
                "8M": "Racially or religiously aggravated harassment"}.get(code, "")
        occurred = date - dt.timedelta(days=1)
        self.incidents.append({
            "force": self.force, "incident_ref": ref, "recorded_date": date.isoformat(),
            "occurred_date": occurred.isoformat(), "offence_code": code, "offence_description": desc,
            "domestic_abuse": da, "cyber": cyber, "linked_refs": linked, "outcome_type": "", "outcome_date": "",
            "narrative": narrative, "true_course_id": course,
        })
        return ref

    def person(self, ref, role, truth, forename="", surname="", dob="", sex="", address="", postcode="",
               phone="", email="", handles="", middle="", nominal="", pnc="", ni=""):
        rid = f"{self.record_prefix}{len(self.people) + 1:05d}"
        self.people.append({
            "record_id": rid, "force": self.force, "incident_ref": ref, "role": role, "local_person_id": nominal,
            "forename": forename, "middle_names": middle, "surname": surname, "date_of_birth": dob, "sex": sex,
            "address": address, "postcode": postcode, "phone": phone, "email": email, "online_handles": handles,
            "pnc_id": pnc, "ni_number": ni, "true_person_id": truth,
        })
        return rid

    def write(self, folder, incidents="incidents.csv", people="people.csv"):
        os.makedirs(folder, exist_ok=True)
        for name, cols, rows in [(incidents, INCIDENT_COLS, self.incidents), (people, PEOPLE_COLS, self.people)]:
            with open(os.path.join(folder, name), "w", newline="") as f:
                w = csv.DictWriter(f, fieldnames=cols, lineterminator="\n")
                w.writeheader()
                w.writerows(rows)


class Crowd:
    """Background people: distinct, plausible, never one of a fixture's named characters."""

    def __init__(self, seed, avoid_surnames=()):
        self.rng = random.Random(seed)
        self.used = set()
        self.avoid = set(avoid_surnames)
        self.n = 0

    def new(self, sex=None):
        rng = self.rng
        while True:
            sex_ = sex or rng.choice("MF")
            fn = rng.choice(FORENAMES_M if sex_ == "M" else FORENAMES_F)
            sn = rng.choice(SURNAMES)
            dob = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 55))
            if sn in self.avoid or (fn, sn, dob) in self.used:
                continue
            self.used.add((fn, sn, dob))
            self.n += 1
            town, district = rng.choice(TOWNS)
            p = {
                "truth": f"BG{self.n:03d}", "forename": fn, "surname": sn, "dob": dob.isoformat(), "sex": sex_,
                "address": f"{rng.randrange(1, 200)} {rng.choice(STREETS)}, {town}",
                "postcode": f"{district} {rng.randrange(1, 10)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}",
                "phone": f"07700 9{rng.randrange(0, 100000):05d}" if rng.random() < 0.5 else "",
            }
            return p


def add(export, ref, role, p, **over):
    """Adds background person `p` to incident `ref`, with a real export's gaps: a date of birth
    is missing from about one row in eight, a phone from half, an address from a fifth."""
    rng = export.rng
    args = dict(forename=p["forename"], surname=p["surname"], dob=p["dob"], sex=p["sex"],
                address=p["address"], postcode=p["postcode"], phone=p["phone"])
    if rng.random() < 0.125:
        args["dob"] = ""
    if rng.random() < 0.2:
        args["address"] = ""
        args["postcode"] = ""
    args.update(over)
    return export.person(ref, role, p["truth"], **args)


def background(export, crowd, start, end, n_oneoff, n_courses, course_prefix):
    """One-off incidents and a few short courses of other victims between `start` and `end`."""
    rng = export.rng
    span = (end - start).days
    for _ in range(n_oneoff):
        d = start + dt.timedelta(days=rng.randrange(0, span))
        ref = export.incident(d, rng.choice(["8L", "8L", "8L", "8Q", "105A"]))
        add(export, ref, "victim", crowd.new())
        if rng.random() < 0.85:
            add(export, ref, "suspect", crowd.new())
        if rng.random() < 0.2:
            add(export, ref, "witness", crowd.new())
    for c in range(n_courses):
        v, s = crowd.new("F"), crowd.new("M")
        d = start + dt.timedelta(days=rng.randrange(0, max(1, span - 120)))
        for _ in range(rng.choice([2, 3])):
            ref = export.incident(d, rng.choice(["8L", "8Q"]), course=f"{course_prefix}{c + 1}", da="Y")
            add(export, ref, "victim", v)
            add(export, ref, "suspect", s)
            d += dt.timedelta(days=rng.randrange(7, 60))


def sorted_export(export):
    """Orders incidents by date, as a real export is, keeping people with their incident."""
    export.incidents.sort(key=lambda r: (r["recorded_date"], r["incident_ref"]))
    order = {r["incident_ref"]: i for i, r in enumerate(export.incidents)}
    export.people.sort(key=lambda r: (order[r["incident_ref"]], r["record_id"]))
    # References and record ids are issued in recording order, as a force's system issues them.
    force_code = export.prefix.split("-")[0]
    new_ref = {}
    for i, r in enumerate(export.incidents):
        new_ref[r["incident_ref"]] = f"{force_code}-{r['recorded_date'][2:4]}-{i + 1:04d}"
    for r in export.incidents:
        r["incident_ref"] = new_ref[r["incident_ref"]]
        r["linked_refs"] = ";".join(new_ref[x] for x in r["linked_refs"].split(";") if x)
    for i, p in enumerate(export.people):
        p["incident_ref"] = new_ref[p["incident_ref"]]
        p["record_id"] = f"{export.record_prefix}{i + 1:05d}"
        if p["true_person_id"].startswith("UNKNOWN-"):
            p["true_person_id"] = "UNKNOWN-" + p["incident_ref"]


# ---------------------------------------------------------------------------------------------
# repeat-victim: Harriet Okonkwo-Lund reports Darren Whitcombe 20 times in five years.

def repeat_victim():
    e = Export("Merseyside", "MER-19", "R")
    e.rng = random.Random(1201)
    crowd = Crowd(1201)
    victim = dict(forename="Harriet", surname="Okonkwo-Lund", dob="1988-03-14", sex="F",
                  address="Flat 4, 27 Marlowe Road, Wallasey", postcode="CH44 2BQ", phone="07700 900418")
    suspect = dict(forename="Darren", surname="Whitcombe", dob="1984-11-02", sex="M",
                   address="5 Quarry Lane, Birkenhead", postcode="CH41 6RT")
    gaps = [41, 63, 88, 120, 75, 150, 96, 54, 131, 102, 77, 160, 118, 69, 140, 85, 112, 58, 93]
    d = dt.date(2019, 2, 11)
    unnamed_no_row = {3, 11, 18}
    unnamed_row = {7, 15}
    refs = []
    for k in range(20):
        narrative = ["Repeated calls and texts", "Turned up at her work", "Waiting outside her flat",
                     "Messages via new accounts", "Followed her to the shops"][k % 5]
        ref = e.incident(d, "8Q" if k % 4 == 3 else "8L", course="HARRIET", da="Y", narrative=narrative,
                         linked=refs[-1] if k in (1, 2) else "")
        refs.append(ref)
        v = dict(victim)
        if k >= 12:  # she moved in 2022
            v.update(address="12 Birch Close, Moreton", postcode="CH46 7TR")
        if k % 3 == 1:
            v["phone"] = ""
        if k == 5:
            v["surname"] = "Okonkwo Lund"  # hyphen dropped
        if k == 9:
            v["forename"] = "H"  # an initial
        if k == 13:
            v["surname"] = "Okonkow-Lund"  # a typo
        if k == 16:
            v["dob"] = ""  # no date of birth
        e.person(ref, "victim", "HARRIET", **v)
        if k in unnamed_row:
            e.person(ref, "suspect", "UNKNOWN-" + ref, sex="M")
        elif k not in unnamed_no_row:
            s = dict(suspect)
            if k == 4:
                s["surname"] = "Whitcomb"
            if k == 10:
                s["dob"] = ""
            if k == 14:
                s["middle"] = "Paul"
            if k % 2 == 0:
                s["address"], s["postcode"] = "", ""
            e.person(ref, "suspect", "DARREN", **s)
        if k < 19:
            d += dt.timedelta(days=gaps[k])
    background(e, crowd, dt.date(2019, 1, 1), dt.date(2023, 12, 31), 50, 3, "BGC")
    # Look-alikes who must stay apart: twins at one address, a father and son of one name.
    twins = [("Chloe", "1996-08-21"), ("Megan", "1996-08-21")]
    for i, (fn, dob) in enumerate(twins):
        ref = e.incident(dt.date(2020, 5, 3) + dt.timedelta(days=200 * i), "8L")
        e.person(ref, "victim", f"TWIN-{fn}", forename=fn, surname="Hart", dob=dob, sex="F",
                 address="9 Elm Grove, Bootle", postcode="L20 5HJ")
        add(e, ref, "suspect", crowd.new("M"))
    for i, dob in enumerate(["1961-04-09", "1989-10-30"]):
        ref = e.incident(dt.date(2021, 2, 14) + dt.timedelta(days=90 * i), "8L")
        add(e, ref, "victim", crowd.new("F"))
        e.person(ref, "suspect", f"PRICE-{dob[:4]}", forename="Gary", surname="Price", dob=dob, sex="M",
                 address="31 Mill Lane, Kirkby", postcode="L32 8UE")
    sorted_export(e)
    e.write(os.path.join(HERE, "repeat-victim"))


# ---------------------------------------------------------------------------------------------
# year-boundary: Priya Venkataraman reports Kieran Doyle from autumn 2022 into 2023; the force
# exports one file per calendar year.

def year_boundary():
    crowd = Crowd(1202)
    victim = dict(forename="Priya", surname="Venkataraman", dob="1991-12-05", sex="F",
                  address="44 Queens Drive, Huyton", postcode="L36 4PA", phone="07700 900771")
    suspect = dict(forename="Kieran", surname="Doyle", dob="1987-06-19", sex="M")
    dates = [dt.date(2022, 9, 6), dt.date(2022, 10, 20), dt.date(2022, 11, 28), dt.date(2022, 12, 19),
             dt.date(2023, 1, 9), dt.date(2023, 2, 2), dt.date(2023, 3, 15)]
    for year in (2022, 2023):
        e = Export("Merseyside", f"MER-{year % 100}", f"Y{year % 100}-")
        e.rng = random.Random(year)
        for k, d in enumerate(dates):
            if d.year != year:
                continue
            ref = e.incident(d, "8L", course="PRIYA", da="Y", narrative="Messages and calls after the break-up")
            v = dict(victim)
            if k == 4:
                v["surname"] = "Venkatraman"  # typo in the new year's system
            if k == 5:
                v["dob"] = ""
            e.person(ref, "victim", "PRIYA", **v)
            if k != 6:  # the last report names no suspect
                e.person(ref, "suspect", "KIERAN", **suspect)
        background(e, crowd, dt.date(year, 1, 1), dt.date(year, 12, 31), 15, 1, f"BG{year}-")
        sorted_export(e)
        e.write(os.path.join(HERE, "year-boundary"), f"incidents-{year}.csv", f"people-{year}.csv")


# ---------------------------------------------------------------------------------------------
# ten-rows: a file of 10 people rows.

def ten_rows():
    e = Export("Kent", "KNT-24", "T")
    amy = dict(forename="Amy", surname="Patel", dob="1993-07-22", sex="F", postcode="ME14 2LT")
    lee = dict(forename="Lee", surname="Barton", dob="1990-01-30", sex="M")
    for k, d in enumerate([dt.date(2024, 3, 2), dt.date(2024, 3, 19), dt.date(2024, 4, 7)]):
        ref = e.incident(d, "8L", course="AMY", da="Y")
        a = dict(amy)
        if k == 2:
            a["dob"] = ""  # no date of birth on the third report
        e.person(ref, "victim", "AMY", **a)
        e.person(ref, "suspect", "LEE", **lee)
    ref = e.incident(dt.date(2024, 3, 10), "105A")
    e.person(ref, "victim", "TOM", forename="Tom", surname="Reid", dob="1979-02-11", sex="M")
    e.person(ref, "suspect", "JACK", forename="Jack", surname="Reid", dob="1981-09-04", sex="M")
    ref = e.incident(dt.date(2024, 4, 1), "8L")
    e.person(ref, "victim", "JOAN", forename="Joan", surname="Hill", dob="1950-05-17", sex="F")
    e.person(ref, "suspect", "UNKNOWN-" + ref, sex="M")
    sorted_export(e)
    e.write(os.path.join(HERE, "ten-rows"))


# ---------------------------------------------------------------------------------------------
# one-family: the Kowalczyks are 30% of the rows.

def one_family():
    e = Export("Cheshire", "CHE-23", "F")
    e.rng = random.Random(1204)
    crowd = Crowd(1204, avoid_surnames={"Kowalczyk"})
    home = dict(address="18 Chester Road, Ellesmere Port", postcode="CH65 3AL")
    fam = {
        "MARIA": dict(forename="Maria", surname="Kowalczyk", dob="1965-02-17", sex="F", **home),
        "TOMASZ-SR": dict(forename="Tomasz", surname="Kowalczyk", dob="1962-08-30", sex="M", **home),
        "TOMASZ-JR": dict(forename="Tomasz", surname="Kowalczyk", dob="1990-04-12", sex="M", **home),
        "ANNA": dict(forename="Anna", surname="Kowalczyk", dob="1995-06-02", sex="F", **home),
        "EWA": dict(forename="Ewa", surname="Kowalczyk", dob="1995-06-02", sex="F", **home),
    }
    shane = dict(forename="Shane", surname="Doherty", dob="1978-12-01", sex="M",
                 address="20 Chester Road, Ellesmere Port", postcode="CH65 3AL")
    lauren = dict(forename="Lauren", surname="Firth", dob="1992-09-09", sex="F", postcode="CH66 1QW")
    d = dt.date(2023, 1, 16)
    # The neighbour harasses Maria (7 reports) and Tomasz senior (3), with family witnesses.
    for k in range(10):
        who = "TOMASZ-SR" if k in (2, 5, 8) else "MARIA"
        ref = e.incident(d, "8L", course=f"SHANE-{who}", narrative="Neighbour shouting abuse, filming the house")
        v = dict(fam[who])
        if k == 4:
            v["dob"] = ""
        e.person(ref, "victim", who, **v)
        e.person(ref, "suspect", "SHANE", **shane)
        if k % 2 == 0:
            wit = ["ANNA", "EWA", "TOMASZ-JR", "ANNA", "EWA"][k // 2]
            e.person(ref, "witness", wit, **fam[wit])
        d += dt.timedelta(days=[12, 20, 9, 31, 15, 22, 18, 40, 11, 0][k])
    # The son harasses his ex-partner (3 reports).
    for k, day in enumerate([dt.date(2023, 5, 2), dt.date(2023, 5, 29), dt.date(2023, 7, 3)]):
        ref = e.incident(day, "8L", course="LAUREN", da="Y", narrative="Calls and messages after the break-up")
        e.person(ref, "victim", "LAUREN", **lauren)
        s = dict(fam["TOMASZ-JR"])
        if k == 1:
            s["address"], s["postcode"] = "", ""
        e.person(ref, "suspect", "TOMASZ-JR", **s)
    # The twins, each a victim once of someone else; the father once a suspect.
    for who, day in [("ANNA", dt.date(2023, 8, 8)), ("EWA", dt.date(2023, 9, 19))]:
        ref = e.incident(day, "8L")
        e.person(ref, "victim", who, **fam[who])
        add(e, ref, "suspect", crowd.new("M"))
    ref = e.incident(dt.date(2023, 10, 2), "105A")
    add(e, ref, "victim", crowd.new("M"))
    e.person(ref, "suspect", "TOMASZ-SR", **fam["TOMASZ-SR"])
    background(e, crowd, dt.date(2023, 1, 1), dt.date(2023, 12, 31), 10, 1, "BGC")
    fam_rows = sum(1 for p in e.people if p["surname"] == "Kowalczyk")
    # Pad with one-off incidents until the family is 30% of the rows.
    while fam_rows / len(e.people) > 0.30:
        ref = e.incident(dt.date(2023, 1, 1) + dt.timedelta(days=e.rng.randrange(0, 364)), "8L")
        add(e, ref, "victim", crowd.new())
        if fam_rows / len(e.people) > 0.301:
            add(e, ref, "suspect", crowd.new())
    sorted_export(e)
    e.write(os.path.join(HERE, "one-family"))


# ---------------------------------------------------------------------------------------------
# father-son: Linda Price reports her ex-husband Gary Price (born 1961) ten times; his date of
# birth is on only two of the reports. Their son, also Gary Price (born 1989, living elsewhere),
# is a witness in three of her reports and the suspect in his own ex-partner's two. Father and
# son share a name and an associate (Linda); the undated reports must stay the father's.

def father_son():
    e = Export("West Yorkshire", "WYP-22", "P")
    e.rng = random.Random(1205)
    crowd = Crowd(1205, avoid_surnames={"Price"})
    linda = dict(forename="Linda", surname="Price", dob="1963-01-25", sex="F",
                 address="7 Beck Side, Keighley", postcode="BD21 4QF", phone="07700 900552")
    sr = dict(forename="Gary", surname="Price", dob="1961-04-09", sex="M",
              address="31 Mill Lane, Bingley", postcode="BD16 2RS")
    jr = dict(forename="Gary", surname="Price", dob="1989-10-30", sex="M",
              address="Flat 2, 90 North Street, Keighley", postcode="BD21 3AF")
    d = dt.date(2020, 3, 2)
    for k in range(10):
        ref = e.incident(d, "8L", course="LINDA", da="Y", narrative="Ex-husband calling and turning up at the house")
        e.person(ref, "victim", "LINDA", **linda)
        s = dict(sr)
        if k not in (0, 6):
            s["dob"] = ""  # the suspect's date of birth is on two reports of ten
        if k % 3 == 1:
            s["address"], s["postcode"] = "", ""
        e.person(ref, "suspect", "GARY-SR", **s)
        if k in (2, 5, 8):
            e.person(ref, "witness", "GARY-JR", **jr)
        d += dt.timedelta(days=[47, 61, 38, 90, 72, 55, 110, 64, 83, 0][k])
    lucy = dict(forename="Lucy", surname="Marsh", dob="1991-05-17", sex="F", postcode="BD20 6LN")
    for day in [dt.date(2022, 6, 1), dt.date(2022, 7, 12)]:
        ref = e.incident(day, "8L", course="LUCY", da="Y", narrative="Messages after the break-up")
        e.person(ref, "victim", "LUCY", **lucy)
        e.person(ref, "suspect", "GARY-JR", **jr)
    background(e, crowd, dt.date(2020, 1, 1), dt.date(2022, 12, 31), 25, 2, "BGC")
    sorted_export(e)
    e.write(os.path.join(HERE, "father-son"))


if __name__ == "__main__":
    repeat_victim()
    year_boundary()
    ten_rows()
    one_family()
    father_son()
