"""The render stage: sandboxed, localized, timezone-aware message templates.

Entry points: :class:`Renderer` (one per workspace) and :func:`negotiate_locale`.
"""

from journey.renderer.locale import negotiate_locale
from journey.renderer.render import PARTS, RenderedMessage, Renderer

__all__ = ["PARTS", "RenderedMessage", "Renderer", "negotiate_locale"]
