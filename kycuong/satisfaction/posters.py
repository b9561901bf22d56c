"""The public link of a service point as a QR code (PNG) and a printable A4 poster (PDF, in Vietnamese)."""

import io
import os

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from .models import ServicePoint


def rating_url(request, point: ServicePoint) -> str:
    """The address citizens open. SATISFACTION_PUBLIC_URL names the public site when staff work on another."""
    path = reverse("satisfaction:rate", args=[point.slug])
    public = getattr(settings, "SATISFACTION_PUBLIC_URL", None) or os.environ.get("SATISFACTION_PUBLIC_URL")
    if public:
        return public.rstrip("/") + path
    return request.build_absolute_uri(path)


def qr_png(url: str, scale: int = 10) -> bytes:
    buffer = io.BytesIO()
    # Error correction "M" survives a smudged or partly covered print.
    segno.make(url, error="m").save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def qr_svg_uri(url: str) -> str:
    return segno.make(url, error="m").svg_data_uri(scale=10, border=4)


def poster_pdf(request, point: ServicePoint) -> bytes:
    from weasyprint import HTML

    url = rating_url(request, point)
    # The poster hangs in a Vietnamese office: always in Vietnamese, whatever the page language.
    with translation.override("vi"):
        html = render_to_string(
            "satisfaction/poster.html", {"point": point, "url": url, "qr": qr_svg_uri(url)}
        )
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
