"""Every table of Herald, so that ``Base.metadata`` is complete: what the migrations are checked against
(``tests/db/test_migrations.py``) and what the ORM needs to resolve foreign keys across domains. It sits
with the migrations, above every domain, because it imports them all."""

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
