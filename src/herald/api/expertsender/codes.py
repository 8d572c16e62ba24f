"""Total mapping tables between ExpertSender's words and codes and Herald's enums and errors."""

from __future__ import annotations

from collections.abc import Mapping

from herald.errors import Conflict, HeraldError, InvalidInput, NotFound, Unauthenticated
from herald.messages.schemas import MessageStatus, MessageType, ThrottlingMethod

# ``type`` query values, matched case-insensitively (ASP.NET binds enums ignoring case).
MESSAGE_TYPE_FROM_VENDOR: Mapping[str, MessageType] = {
    "newsletter": MessageType.NEWSLETTER,
    "workflowmessage": MessageType.WORKFLOW_MESSAGE,
}
MESSAGE_TYPE_TO_VENDOR: Mapping[MessageType, str] = {
    MessageType.NEWSLETTER: "Newsletter",
    MessageType.WORKFLOW_MESSAGE: "WorkflowMessage",
}
THROTTLING_METHOD_TO_VENDOR: Mapping[ThrottlingMethod, str] = {
    ThrottlingMethod.NONE: "None",
    ThrottlingMethod.AUTO: "Auto",
    ThrottlingMethod.MANUAL: "Manual",
}
STATUS_TO_VENDOR: Mapping[MessageStatus, str] = {
    MessageStatus.DRAFT: "Draft",
    MessageStatus.SCHEDULED: "Scheduled",
    MessageStatus.IN_PROGRESS: "InProgress",
    MessageStatus.SENT: "Sent",
    MessageStatus.PAUSED: "Paused",
    MessageStatus.DELETED: "Deleted",
}

# ExpertSender documents 400, 403 (invalid API key: it has no 401), 404 and 500 as its error statuses.
ERROR_STATUS: Mapping[type[HeraldError], int] = {
    InvalidInput: 400,
    Conflict: 400,
    Unauthenticated: 403,
    NotFound: 404,
    HeraldError: 500,
}


def error_status(error: HeraldError) -> int:
    """The HTTP status (and ``Code``) ExpertSender would answer for a Herald error."""
    for cls in type(error).__mro__:
        if cls in ERROR_STATUS:
            return ERROR_STATUS[cls]
    return 500
