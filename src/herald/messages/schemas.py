"""Commands and views of the messages domain.

Shape rules (types, lengths, enums, characters) live here and fail as schema errors; rules that need
several fields or the database (subject on SMS, throttling, unknown list ids, status transitions) live in
``service.py`` and fail as ``InvalidInput`` / ``Conflict``.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, JsonValue, StringConstraints

from herald.contacts.usage import Audience
from herald.types import MAX_ID, NOT_A_BOOLEAN, Channel

MAX_THROTTLING_HOURS = 8760
MAX_TAGS = 100
MAX_GA_TAGS = 50
MAX_TARGETS = 1000


class MessageType(StrEnum):
    NEWSLETTER = "Newsletter"
    WORKFLOW_MESSAGE = "WorkflowMessage"


class ThrottlingMethod(StrEnum):
    NONE = "None"
    AUTO = "Auto"
    MANUAL = "Manual"


class MessageStatus(StrEnum):
    DRAFT = "Draft"
    SCHEDULED = "Scheduled"
    IN_PROGRESS = "InProgress"
    SENT = "Sent"
    PAUSED = "Paused"
    DELETED = "Deleted"


# What a message targets or excludes besides single contacts: the contacts domain's lists and segments.
TargetKind = Audience


# Characters XML 1.0 cannot carry (and PostgreSQL cannot store, for NUL): refused at the door so that
# every stored text can be rendered by the XML dialect.
_NOT_XML_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_safe(value: str) -> str:
    if _NOT_XML_CHAR.search(value):
        raise ValueError("must not contain control characters")
    return value


def _no_comma(value: str) -> str:
    # The ExpertSender dialect joins tags with commas, so a comma inside a tag could not be read back.
    if "," in value:
        raise ValueError("must not contain a comma")
    return value


Text = Annotated[str, AfterValidator(_xml_safe)]
Tag = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_no_comma),
    AfterValidator(_xml_safe),
]
TargetId = Annotated[int, Field(ge=1, le=MAX_ID), NOT_A_BOOLEAN]
ThrottlingHours = Annotated[int, Field(ge=1, le=MAX_THROTTLING_HOURS), NOT_A_BOOLEAN]
Sender = Annotated[Text, Field(max_length=200)]
CampaignDescription = Annotated[Text, Field(max_length=500)]
Subject = Annotated[Text, Field(max_length=500)]
Body = Annotated[Text, Field(max_length=100_000)]
TagList = Annotated[list[Tag], Field(max_length=MAX_TAGS)]
TargetIds = Annotated[list[TargetId], Field(max_length=MAX_TARGETS)]


class GoogleAnalyticsTag(BaseModel):
    """One Google Analytics parameter added to the message's links, e.g. ``utm_source=newsletter``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[Text, Field(min_length=1, max_length=100)]
    value: Annotated[Text, Field(max_length=500)]


GoogleAnalyticsTags = Annotated[list[GoogleAnalyticsTag], Field(max_length=MAX_GA_TAGS)]

_CREATE_EXAMPLE: dict[str, JsonValue] = {
    "channel": "sms",
    "type": "Newsletter",
    "sender": "SmsApiTest",
    "campaign_description": "test newsletter 2",
    "body": "Spring sale: 20% off until Sunday.",
    "tags": ["test 1"],
    "google_analytics_tags": [{"name": "utm_source", "value": "sms"}],
    "throttling_method": "Manual",
    "throttling_hours": 1,
    "list_ids": [2],
    "segment_ids": [],
    "excluded_list_ids": [3293],
    "excluded_segment_ids": [3147],
    "status": "Draft",
}


class MessageCreate(BaseModel):
    """A new message. ``status`` defaults to Draft; any other status is kept as given (imports)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_CREATE_EXAMPLE]})

    channel: Channel
    type: MessageType = MessageType.NEWSLETTER
    sender: Sender = ""
    campaign_description: CampaignDescription = ""
    subject: Subject | None = Field(default=None, description="Email and MMS only; refused for SMS.")
    body: Body = ""
    tags: TagList = Field(default_factory=list)
    google_analytics_tags: GoogleAnalyticsTags = Field(default_factory=list)
    throttling_method: ThrottlingMethod = ThrottlingMethod.NONE
    throttling_hours: ThrottlingHours | None = Field(
        default=None, description="Required with throttling_method Manual; must be absent otherwise."
    )
    list_ids: TargetIds = Field(default_factory=list)
    segment_ids: TargetIds = Field(default_factory=list)
    excluded_list_ids: TargetIds = Field(default_factory=list)
    excluded_segment_ids: TargetIds = Field(default_factory=list)
    status: MessageStatus = MessageStatus.DRAFT


class MessageUpdate(BaseModel):
    """A partial change: only the fields present are changed; ``null`` clears subject and throttling_hours."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"campaign_description": "spring sale, second wave", "tags": ["spring", "sale"]},
                {"status": "Scheduled"},
            ]
        },
    )

    channel: Channel | None = None
    type: MessageType | None = None
    sender: Sender | None = None
    campaign_description: CampaignDescription | None = None
    subject: Subject | None = None
    body: Body | None = None
    tags: TagList | None = None
    google_analytics_tags: GoogleAnalyticsTags | None = None
    throttling_method: ThrottlingMethod | None = None
    throttling_hours: ThrottlingHours | None = None
    list_ids: TargetIds | None = None
    segment_ids: TargetIds | None = None
    excluded_list_ids: TargetIds | None = None
    excluded_segment_ids: TargetIds | None = None
    status: MessageStatus | None = None


class MessageView(BaseModel):
    """A message as the native API shows it."""

    id: int
    channel: Channel
    type: MessageType
    sender: str
    campaign_description: str
    subject: str | None
    body: str
    tags: list[str]
    google_analytics_tags: list[GoogleAnalyticsTag]
    throttling_method: ThrottlingMethod
    throttling_hours: int | None
    list_ids: list[int]
    segment_ids: list[int]
    excluded_list_ids: list[int]
    excluded_segment_ids: list[int]
    status: MessageStatus
    created_at: datetime
    updated_at: datetime


class MessageFilter(BaseModel):
    """Filters of the native message listing; Deleted messages are shown only when asked for by status."""

    model_config = ConfigDict(frozen=True)

    channel: Channel | None = None
    type: MessageType | None = None
    status: MessageStatus | None = None
    tag: str | None = None


class MessageHeading(BaseModel):
    """What a consumer of events needs to know of a message: its channel and campaign description."""

    model_config = ConfigDict(frozen=True)

    id: int
    channel: Channel
    campaign_description: str


class NamedTarget(BaseModel):
    """A list or segment a message targets or excludes, with its name."""

    model_config = ConfigDict(frozen=True)

    id: int
    name: str


class NamedTargets(BaseModel):
    """A message's four target groups with their names; lists and segments deleted since are left out."""

    model_config = ConfigDict(frozen=True)

    lists: tuple[NamedTarget, ...]
    segments: tuple[NamedTarget, ...]
    excluded_lists: tuple[NamedTarget, ...]
    excluded_segments: tuple[NamedTarget, ...]
