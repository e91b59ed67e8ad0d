"""The dashboard (`gongkai serve`): a FastAPI app over the store's read-only views
(`reports.model`), server-rendered with jinja2, its assets shipped in the package (intranets are
offline: no CDN). `web.links.page_url` is importable without FastAPI."""
