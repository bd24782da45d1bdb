"""Calibration targets from the 2020 census (shared/reference/census2020.md) and rates derived from them."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

# Targets the tests check, with their tolerances.
SEX_RATIO = 104.80
SEX_RATIO_AT_BIRTH = 111.3
TFR = 1.3
SHARE_0_14 = 17.95
SHARE_15_59 = 63.35
SHARE_60_PLUS = 18.70
SHARE_65_PLUS = 13.50
HOUSEHOLD_SIZE = 2.62
LIFE_EXPECTANCY = {"1": 75.4, "2": 80.9}  # 2020 life tables, both sexes 77.9
FLOATING_SHARE = 376.0 / 1411.8  # floating population / total
INTERPROVINCIAL_SHARE_OF_FLOATING = 125.0 / 376.0
NON_AGRICULTURAL_HUKOU_SHARE = 0.454  # 户籍人口城镇化率 2020
COLLECTIVE_HUKOU_SHARE = 0.05

# Population by five-year age group (0-4 … 95-99, 100+), millions, male and female, 2020 census.
AGE_GROUP_MALE = np.array(
    [
        41.0,
        48.0,
        45.6,
        39.0,
        40.0,
        48.5,
        64.0,
        50.8,
        48.0,
        58.2,
        61.1,
        50.9,
        36.6,
        36.4,
        22.9,
        14.3,
        9.2,
        4.6,
        1.6,
        0.30,
        0.04,
    ]
)
AGE_GROUP_FEMALE = np.array(
    [
        36.9,
        42.2,
        39.7,
        33.7,
        34.9,
        43.3,
        60.1,
        48.2,
        45.6,
        56.0,
        60.1,
        50.5,
        36.7,
        37.6,
        24.2,
        16.1,
        11.2,
        6.5,
        2.7,
        0.65,
        0.08,
    ]
)

# Age-specific fertility per woman per year, groups 15-19 … 45-49 (census long form, TFR ≈ 1.29).
ASFR = np.array([4.76, 47.51, 96.86, 69.57, 29.84, 7.37, 1.68]) / 1000.0
ASFR_SCALE = TFR / (5.0 * ASFR.sum())

# Marital status by age group (15-19 … 85+): shares never married, widowed, divorced; rest married.
_GROUPS_15 = 15  # groups 15-19, 20-24, …, 80-84, 85+
NEVER_MARRIED = {
    "1": [99.5, 93, 62, 26, 11, 6.5, 5, 4, 3.5, 3.3, 3, 3, 3, 3, 3],
    "2": [99, 85, 41, 12, 4, 2, 1.2, 1, 0.8, 0.6, 0.5, 0.5, 0.5, 0.5, 0.5],
}
WIDOWED = {
    "1": [0, 0, 0, 0.1, 0.2, 0.4, 0.7, 1.5, 2.5, 4, 7, 11, 18, 28, 45],
    "2": [0, 0, 0, 0.1, 0.3, 0.7, 1.5, 3, 5.5, 9, 15, 24, 36, 52, 72],
}
DIVORCED = {
    "1": [0, 0.2, 1, 2.5, 3.5, 3.8, 3.8, 3.5, 3, 2.4, 2, 1.5, 1.0, 1.0, 1.0],
    "2": [0, 0.3, 1.2, 2.5, 3.2, 3.3, 3.2, 2.8, 2.3, 1.8, 1.4, 1.0, 0.8, 0.6, 0.5],
}

# Educational attainment by birth cohort (GB/T 4658-2006 level codes; 90 = none/other), percent.
EDUCATION_CODES = ["90", "80", "70", "60", "40", "30", "20", "10"]
EDUCATION_BY_COHORT = {  # first birth year of the cohort -> shares in EDUCATION_CODES order
    0: [35, 40, 13, 5, 2, 3.5, 1.3, 0.2],
    1941: [15, 40, 25, 9, 3, 5, 2.7, 0.3],
    1951: [7, 30, 38, 13, 4, 5, 2.7, 0.3],
    1961: [3, 23, 47, 11, 4, 7, 4.5, 0.5],
    1971: [1.5, 17, 46, 10, 5, 10, 9, 1.5],
    1981: [0.7, 8, 40, 9, 7, 16, 16, 3.3],
    1991: [0.5, 4, 28, 11, 9, 22, 22, 3.5],
}

# Ethnic composition by province (GB 3304 code -> percent); provinces not listed are 99% Han.
ETHNICITY_BY_PROVINCE: dict[str, dict[str, float]] = {
    "11": {"01": 95.0, "11": 1.6, "03": 1.6, "02": 0.4, "10": 0.2},
    "13": {"01": 95.7, "11": 2.8, "03": 0.8, "02": 0.3},
    "15": {"01": 78.7, "02": 17.7, "11": 1.8, "03": 0.8, "31": 0.3, "45": 0.1},
    "21": {"01": 84.0, "11": 12.5, "02": 1.6, "03": 0.6, "10": 0.5, "38": 0.3},
    "22": {"01": 91.6, "10": 3.9, "11": 3.6, "02": 0.6, "03": 0.3},
    "23": {"01": 95.7, "11": 2.7, "10": 0.8, "02": 0.4, "03": 0.3},
    "33": {"01": 98.6, "22": 0.3, "06": 0.3, "15": 0.3, "09": 0.2},
    "35": {"01": 98.1, "22": 1.0, "06": 0.3, "15": 0.3},
    "42": {"01": 95.6, "15": 3.7, "06": 0.4},
    "43": {"01": 89.0, "15": 4.2, "06": 3.3, "12": 1.3, "13": 1.1, "14": 0.2},
    "44": {"01": 97.6, "08": 0.8, "15": 0.5, "06": 0.4, "13": 0.3},
    "45": {"01": 62.0, "08": 31.0, "13": 3.3, "06": 1.0, "12": 0.7, "32": 0.4, "36": 0.2},
    "46": {"01": 83.0, "19": 15.7, "06": 0.9},
    "50": {"01": 93.5, "15": 4.5, "06": 1.6},
    "51": {"01": 93.8, "07": 3.4, "04": 1.8, "33": 0.4, "15": 0.2},
    "52": {"01": 62.0, "06": 12.0, "09": 7.9, "12": 4.4, "15": 3.7, "07": 2.3, "37": 1.4, "25": 0.9},
    "53": {
        "01": 66.0,
        "07": 11.0,
        "16": 3.6,
        "14": 3.4,
        "18": 2.7,
        "08": 2.6,
        "06": 2.6,
        "03": 1.5,
        "20": 1.5,
        "24": 1.0,
        "21": 0.9,
    },
    "54": {"04": 86.0, "01": 12.2, "03": 0.4, "54": 0.3, "55": 0.1},
    "62": {"01": 90.6, "03": 5.1, "26": 2.4, "04": 1.9},
    "63": {"01": 50.0, "04": 24.0, "03": 15.0, "30": 3.5, "35": 1.9, "02": 1.8},
    "64": {"01": 64.0, "03": 35.0},
    "65": {"01": 42.2, "05": 45.0, "17": 6.5, "03": 4.1, "29": 0.9, "02": 0.7, "43": 0.1},
}
DEFAULT_ETHNICITY = {"01": 99.0, "03": 0.5, "11": 0.2, "06": 0.1, "15": 0.1, "02": 0.1}

# Province populations (2020 census), for weighting divisions and for migrants' origins.
PROVINCE_POPULATION = {
    "11": 21893095,
    "12": 13866009,
    "13": 74610235,
    "14": 34915616,
    "15": 24049155,
    "21": 42591407,
    "22": 24073453,
    "23": 31850088,
    "31": 24870895,
    "32": 84748016,
    "33": 64567588,
    "34": 61027171,
    "35": 41540086,
    "36": 45188635,
    "37": 101527453,
    "41": 99365519,
    "42": 57752557,
    "43": 66444864,
    "44": 126012510,
    "45": 50126804,
    "46": 10081232,
    "50": 32054159,
    "51": 83674866,
    "52": 38562148,
    "53": 47209277,
    "54": 3648100,
    "61": 39528999,
    "62": 25019831,
    "63": 5923957,
    "64": 7202654,
    "65": 25852345,
}
# Main sending provinces of inter-provincial migrants (relative weights).
MIGRANT_ORIGIN_WEIGHT = {
    "34": 9,
    "41": 10,
    "51": 8,
    "43": 7,
    "36": 6,
    "42": 5,
    "45": 5,
    "52": 5,
    "50": 4,
    "37": 3,
    "13": 3,
    "23": 3,
    "22": 2,
    "61": 2,
    "62": 2,
    "14": 2,
    "53": 2,
    "35": 2,
    "32": 2,
    "33": 2,
}

# Yearly event rates (per person-year unless said otherwise).
MARRIAGE_RATE = 8.1e6 / 1.41e9  # couples per person, 2020
DIVORCE_RATE_PER_COUPLE = 4.3e6 / 3.3e8
MOVE_RATE_PER_HOUSEHOLD = 0.035
MOVE_WITHIN_PROVINCE = 0.72
HUKOU_TRANSFER_SHARE = 0.2


def age_group_shares() -> tuple[np.ndarray, np.ndarray]:
    """Age-group probabilities for males and females, rescaled to the census sex ratio."""
    male = AGE_GROUP_MALE / AGE_GROUP_MALE.sum() * SEX_RATIO
    female = AGE_GROUP_FEMALE / AGE_GROUP_FEMALE.sum() * 100.0
    total = male.sum() + female.sum()
    return male / total, female / total


def marital_probabilities(sex: str) -> np.ndarray:
    """Array [group, status] of probabilities for statuses 10, 20, 30, 40 by age group 15-19 … 85+."""
    never = np.array(NEVER_MARRIED[sex]) / 100
    widowed = np.array(WIDOWED[sex]) / 100
    divorced = np.array(DIVORCED[sex]) / 100
    married = np.clip(1 - never - widowed - divorced, 0, 1)
    return np.stack([never, married, widowed, divorced], axis=1)


@lru_cache(maxsize=4)
def mortality_hazards(sex: str) -> np.ndarray:
    """Annual probability of dying at ages 0..110, Gompertz-Makeham fitted to the sex's life expectancy."""
    ages = np.arange(111, dtype=float)
    makeham, slope = 0.0004, 0.095
    infant = {"1": 0.0058, "2": 0.0050}[sex]
    target = LIFE_EXPECTANCY[sex]

    def life_expectancy(level: float) -> float:
        q = _gm_q(ages, makeham, level, slope, infant)
        alive = np.concatenate([[1.0], np.cumprod(1 - q)])
        return float((alive[:-1] + alive[1:]).sum() / 2)

    low, high = 1e-7, 1e-3
    for _ in range(60):
        mid = (low * high) ** 0.5
        if life_expectancy(mid) > target:
            low = mid
        else:
            high = mid
    return _gm_q(ages, makeham, (low * high) ** 0.5, slope, infant)


def _gm_q(ages: np.ndarray, makeham: float, level: float, slope: float, infant: float) -> np.ndarray:
    """Yearly death probabilities from a Gompertz-Makeham force of mortality, with a fixed infant rate."""
    force = makeham + level * np.exp(slope * ages)
    q = 1 - np.exp(-force)
    q[0] = infant
    q[-1] = 1.0
    return np.clip(q, 0, 1)
