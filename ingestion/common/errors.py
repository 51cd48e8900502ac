"""Errors an API source raises, worded for the person running the pipeline, never carrying a secret.

`check_response(source, secret_keys)` is a `requests` response hook: 401/403 become `SourceAuthError` (not
retried: a wrong key stays wrong), other error statuses become `ApiRequestError`, an `HTTPError` subclass that
keeps the response so dlt's retry policy still retries 429 and 5xx (honouring `Retry-After`) before giving up.
APIs that report errors in the body (TikTok answers HTTP 200 with a non-zero `code`, Meta a 400 with an error
code) pass a `Classifier` that names the kind of failure from the body.
"""

from __future__ import annotations

import json
from typing import Callable, Literal, Optional, Sequence
from urllib.parse import urlsplit

from requests import HTTPError, Response

#: at most this many characters of an error body go into a message
MAX_DETAIL = 300

Failure = Literal["auth", "retry", "error"]
#: a response -> the failure its body reports, or None to decide by the HTTP status alone
Classifier = Callable[[Response], Optional[Failure]]


def secret_hint(source: str, keys: Sequence[str]) -> str:
    """Where to put the credentials of `source`: the env variables and the `.dlt/secrets.toml` section."""
    env = ", ".join(f"SOURCES__{source.upper()}__{k.upper()}" for k in keys)
    return f"set {env} (or {', '.join(keys)} under [sources.{source}] in .dlt/secrets.toml)"


class ApiRequestError(HTTPError):
    """An API answered with an error (after retries where the error is retryable)."""

    def __init__(self, source: str, message: str, response: Response | None = None):
        super().__init__(message, response=response)
        self.source = source
        self.status = response.status_code if response is not None else None

    def __reduce__(self):  # picklable for process pools and orchestrators (the response stays behind)
        return self.__class__, (self.source, str(self))


class SourceAuthError(ApiRequestError):
    """The API (or its token endpoint) refused the credentials: nothing to retry, the user must fix a secret."""


def response_detail(response: Response) -> str:
    """The API's own error text from a JSON or plain body, shortened (platform error shapes differ)."""
    text = response.text or ""
    try:
        body = json.loads(text)
    except ValueError:
        return " ".join(text.split())[:MAX_DETAIL]
    return _find_message(body)[:MAX_DETAIL] or " ".join(text.split())[:MAX_DETAIL]


def _find_message(body) -> str:
    if isinstance(body, list):
        return next((m for m in (_find_message(x) for x in body) if m), "")
    if not isinstance(body, dict):
        return ""
    for key in ("error_description", "message", "Message", "error_message", "detail", "title"):
        if isinstance(body.get(key), str) and body[key]:
            code = body.get("error") if isinstance(body.get("error"), str) else None
            return f"{code}: {body[key]}" if code and key == "error_description" else body[key]
    for key in ("error", "Errors", "errors", "OperationErrors"):
        if key in body:
            found = _find_message(body[key])
            if found:
                return found
    return body["error"] if isinstance(body.get("error"), str) else ""


def describe_request(response: Response) -> str:
    """`METHOD /path` of the request behind `response`, without host or query (queries may carry tokens)."""
    method = response.request.method if response.request is not None else "GET"
    return f"{method} {urlsplit(response.url).path}"


def check_response(source: str, secret_keys: Sequence[str],
                   classify: Optional[Classifier] = None) -> Callable[..., None]:
    """A `requests` response hook raising a clear `ApiRequestError`/`SourceAuthError` for failed requests."""

    def hook(response: Response, *args, **kwargs) -> None:
        raise_for_api_status(source, secret_keys, response, classify=classify)

    return hook


def failure_of(response: Response, auth_statuses: Sequence[int] = (401, 403),
               classify: Optional[Classifier] = None) -> Optional[Failure]:
    """What went wrong with `response`: `auth`, `retry` (throttled or a server error), `error`, or None."""
    kind = classify(response) if classify else None
    if kind is not None:
        return kind
    status = response.status_code
    if status < 400:
        return None
    if status in auth_statuses:
        return "auth"
    return "retry" if status == 429 or status >= 500 else "error"


def raise_for_api_status(source: str, secret_keys: Sequence[str], response: Response,
                         auth_statuses: Sequence[int] = (401, 403), classify: Optional[Classifier] = None) -> None:
    """Raise the error `response` stands for, if any (`auth_statuses`: the statuses meaning bad credentials)."""
    kind = failure_of(response, auth_statuses, classify)
    if kind is None:
        return
    status = response.status_code
    detail = response_detail(response)
    where = describe_request(response)
    if kind == "auth":
        raise SourceAuthError(
            source,
            f"{source}: the API refused the credentials (HTTP {status} on {where}: {detail}); "
            f"{secret_hint(source, secret_keys)}",
            response,
        )
    if kind == "retry":
        raise ApiRequestError(
            source,
            f"{source}: HTTP {status} on {where} after the retries allowed by [runtime] request_max_attempts "
            f"({detail}); nothing from this run was loaded, previously loaded data is unchanged: rerun later",
            response,
        )
    raise ApiRequestError(source, f"{source}: HTTP {status} on {where}: {detail}", response)
