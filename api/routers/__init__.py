"""One router per resource; :data:`ROUTERS` is what the app includes, in the order /docs lists them."""

from __future__ import annotations

from fastapi import APIRouter

from . import accounts, audit, cases, health, keys, paths, reviews, rings, runs, stats, vocabulary

ROUTERS: tuple[APIRouter, ...] = (
    rings.router, reviews.router, cases.router, accounts.router, paths.router, audit.router,
    runs.router, stats.router, keys.router, vocabulary.router, health.router,
)
