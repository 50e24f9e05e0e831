"""`journey site`: a static, self-contained HTML site to review journeys before they ship."""

from journey.site.build import JourneyInfo, SiteReport, build_site

__all__ = ["JourneyInfo", "SiteReport", "build_site"]
