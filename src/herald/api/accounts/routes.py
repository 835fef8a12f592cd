"""The outreach API (/v1/accounts, seed 001): its routers."""

from __future__ import annotations

from fastapi import APIRouter

from . import campaign_routes, lead_routes

router = APIRouter()
router.include_router(lead_routes.router)
router.include_router(campaign_routes.router)
