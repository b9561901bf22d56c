"""API of the discipline app, mounted under /api/v1 by kycuong.api."""

from ninja import Router

router = Router(tags=["discipline"])
