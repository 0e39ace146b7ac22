"""The marketplace's vocabulary: regions, product categories and their norms, policies.

Commission norms differ by category on real live-shopping marketplaces (cheap
electronics pay a few percent, wellness and beauty pay a lot), which is why an
inflated rate can only be judged against its category, never on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Category:
    """A product category: how common it is, its usual commission range, its prices."""

    name: str
    share: float
    rate_low: float
    rate_high: float
    price_median: float


CATEGORIES: tuple[Category, ...] = (
    Category("beauty", 0.17, 0.10, 0.20, 18.0),
    Category("fashion", 0.20, 0.08, 0.18, 26.0),
    Category("electronics", 0.10, 0.03, 0.08, 48.0),
    Category("home", 0.12, 0.06, 0.14, 30.0),
    Category("food", 0.08, 0.05, 0.10, 14.0),
    Category("health", 0.07, 0.10, 0.18, 24.0),
    Category("toys", 0.06, 0.06, 0.14, 21.0),
    Category("sports", 0.07, 0.05, 0.12, 29.0),
    Category("jewelry", 0.06, 0.10, 0.20, 34.0),
    # Premium: high rates are the honest norm here, so rate alone proves nothing.
    Category("wellness", 0.07, 0.20, 0.32, 42.0),
)
CATEGORY_NAMES = tuple(c.name for c in CATEGORIES)
CATEGORY_SHARES = np.array([c.share for c in CATEGORIES]) / sum(c.share for c in CATEGORIES)
RATE_LOW = np.array([c.rate_low for c in CATEGORIES])
RATE_HIGH = np.array([c.rate_high for c in CATEGORIES])
PRICE_MEDIAN = np.array([c.price_median for c in CATEGORIES])
WELLNESS = CATEGORY_NAMES.index("wellness")

#: One US storefront: creators and buyers in US states, sellers also cross-border.
DOMESTIC_REGIONS = ("US-CA", "US-TX", "US-FL", "US-NY", "US-PA", "US-IL", "US-OH",
                    "US-GA", "US-NC", "US-MI", "US-NJ", "US-WA", "US-AZ")
_DOMESTIC_WEIGHTS = np.array([39, 30, 22, 20, 13, 12.5, 12, 11, 10.7, 10, 9.3, 7.8, 7.4])
DOMESTIC_SHARES = _DOMESTIC_WEIGHTS / _DOMESTIC_WEIGHTS.sum()
CROSS_BORDER_REGIONS = ("CN", "HK")
REGIONS = DOMESTIC_REGIONS + CROSS_BORDER_REGIONS
CROSS_BORDER_SHARE = 0.3
CURRENCY = "USD"

POLICIES = ("misleading_claims", "prohibited_content", "spam_comments", "ip_infringement",
            "off_platform_traffic", "abnormal_orders")
#: How often each policy is breached by honest creators and by ring members.
HONEST_POLICY_SHARES = np.array([0.30, 0.15, 0.25, 0.15, 0.10, 0.05])
RING_POLICY_SHARES = np.array([0.20, 0.10, 0.20, 0.10, 0.15, 0.25])
SEVERITIES = ("low", "medium", "high")
