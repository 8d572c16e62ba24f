"""Tracking: what recipients do (room made; filled by the tracking and bounce intake).

What will live here: signed tokens, link rewriting, open pixels, one-click unsubscribes, and bounce and
complaint intake. Public routes live in ``api/tracking``; events are recorded through
``herald.interactions``, and rules such as "a hard bounce suppresses the address" subscribe to the
ledger's hand-off (``interactions.handoff``) in ``herald.wiring``.
"""
