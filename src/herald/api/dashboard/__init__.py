"""The web dashboard: server-rendered pages with vendored assets, sessions and CSRF (room made).

Pages call the same service functions the native API calls, one transaction per request; nothing here
reaches into the database directly.
"""
