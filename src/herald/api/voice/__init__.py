"""The voice API (seed 004): agents, caller numbers, call campaigns and their call logs
under /v1, with Bearer keys and its own error envelope."""

from fastapi import APIRouter

from .agent_routes import router as agent_router
from .call_routes import router as call_router
from .campaign_routes import router as campaign_router
from .errors import VoiceErrorEnvelope, render

PREFIXES = ("/v1/campaigns", "/v1/agents", "/v1/phone-numbers", "/v1/calls")

router = APIRouter()
router.include_router(agent_router)
router.include_router(campaign_router)
router.include_router(call_router)

__all__ = ["PREFIXES", "VoiceErrorEnvelope", "render", "router"]
