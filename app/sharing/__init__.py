"""Events that travel: server-rendered event pages, calendar feeds, the sitemap."""
