"""SYNTHETIC surnames and US ZIP codes for the German credit applicants.

The Statlog data has no names and no addresses. A US fair-lending review estimates race and
ethnicity from surname and residence (BISG, Bayesian Improved Surname Geocoding), so for the
later proxy analysis each applicant is given a surname and a ZIP code, drawn at random from the
small lists below with a seeded generator: the same seed always gives the same people.

These identities are made up. They belong to no applicant of the data set, they are drawn
independently of every attribute and outcome in it, and nothing is downloaded to make them. The
surnames are common US surnames (among the most frequent in the 2010 US Census), chosen to span
the groups a surname list distinguishes; the ZIP codes are real Colorado ZIP codes (the demo
bank's jurisdiction is US-CO) from Denver, Aurora, Colorado Springs, Pueblo and elsewhere.
"""

from __future__ import annotations

import random

SURNAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
    "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Kim", "Patel", "Chen", "Wang", "Tran",
    "Washington", "Jefferson", "Banks", "Joseph", "Begay", "Yazzie", "Romero", "Chavez", "Vigil",
)  # fmt: skip
ZIP_CODES = (
    "80202", "80203", "80204", "80205", "80207", "80211", "80216", "80219", "80220", "80223",
    "80229", "80239", "80249", "80010", "80011", "80012", "80015", "80020", "80123", "80134",
    "80301", "80401", "80501", "80521", "80631", "80903", "80909", "80910", "80916", "81001",
    "81003", "81101", "81301", "81501",
)  # fmt: skip
SEED = 20261127


def synthetic_identities(count: int, seed: int = SEED) -> list[dict[str, str]]:
    """``count`` made-up ``{"surname", "zip"}`` pairs, the same for the same seed."""
    draw = random.Random(seed)
    return [{"surname": draw.choice(SURNAMES), "zip": draw.choice(ZIP_CODES)} for _ in range(count)]
