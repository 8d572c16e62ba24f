"""Statistics: rollups, exports and history import (room made; filled by the statistics work).

Rollups are fed by the ledger's hand-off (``interactions.handoff``, subscribed in ``herald.wiring``) in
the recording transaction, or flushed by a worker lane; exports and history imports are lanes too. Reads
other domains only through their service functions.
"""
