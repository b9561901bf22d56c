"""API of the processes app, mounted under /api/v1 by kycuong.api."""

from ninja import Router

router = Router(tags=["processes"])
