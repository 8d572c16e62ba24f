"""Imports every model so that ``Base.metadata`` is complete (Alembic and tests use it)."""

from herald.accounts import models as accounts_models
from herald.contacts import models as contacts_models
from herald.db.base import Base
from herald.interactions import models as interactions_models
from herald.jobs import models as jobs_models
from herald.messages import models as messages_models
from herald.webhooks import models as webhooks_models

__all__ = [
    "Base",
    "accounts_models",
    "contacts_models",
    "interactions_models",
    "jobs_models",
    "messages_models",
    "webhooks_models",
]
