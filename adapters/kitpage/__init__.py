"""The media kit's public page: server-rendered HTML with its Content-Security-Policy."""

from adapters.kitpage.html import RenderedPage, render_page

__all__ = ["RenderedPage", "render_page"]
