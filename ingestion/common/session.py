"""The HTTP client every API source uses: dlt's `RESTClient` on dlt's retrying `requests` session.

Retries 429 and 5xx responses and dropped or truncated connections, waiting `Retry-After` when the API sends it
and exponential backoff otherwise, bounded by dlt's runtime settings (`request_max_attempts`,
`request_backoff_factor`, `request_max_retry_delay`, `request_timeout`; env `RUNTIME__REQUEST_MAX_ATTEMPTS` ...).
Error statuses become the clear errors of `ingestion.common.errors` once the retries are spent.
"""

from __future__ import annotations

from typing import Any, Iterator, Optional, Sequence
from urllib.parse import urlsplit

from requests import Response, Session
from requests.auth import AuthBase

from dlt.common.configuration import resolve_configuration
from dlt.common.configuration.specs import RuntimeConfiguration
from dlt.sources.helpers.requests.retry import Client, RetryPredicate
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.client import PageData

from ingestion.common.errors import ApiRequestError, Classifier, check_response, describe_request, failure_of


def retrying_session(retry_condition: Optional[RetryPredicate] = None) -> Session:
    """A `requests.Session` with dlt's retry policy (plus `retry_condition`, for APIs that signal throttling
    in a 200 body); error statuses are left to the response hooks."""
    client = Client(raise_for_status=False, retry_condition=retry_condition)
    client.update_from_config(resolve_configuration(RuntimeConfiguration()))
    return client.session


class ApiClient(RESTClient):
    """`RESTClient` of one source: retrying session, clear errors, credentials only through `auth`.

    `classify` reads failures an API reports in the body (see `ingestion.common.errors`); the check runs inside
    the retry loop, so a throttled or failing request is retried before its error is raised.
    """

    def __init__(self, source: str, base_url: str, secret_keys: Sequence[str], auth: Optional[AuthBase] = None,
                 headers: Optional[dict] = None, classify: Optional[Classifier] = None):
        session = retrying_session(_retry_when(classify) if classify else None)
        self.source = source
        self.check = check_response(source, secret_keys, classify)
        session.hooks["response"].append(self.check)
        super().__init__(base_url=base_url.rstrip("/"), headers=headers, auth=auth, session=session)

    def paginate(self, *args: Any, hooks: Any = None, **kwargs: Any) -> Iterator[PageData[Any]]:
        return super().paginate(*args, hooks=hooks or {"response": [self.check]}, **kwargs)

    def get_json(self, path: str, params: Optional[dict] = None) -> Any:
        return json_of(self.source, self.get(path, params=params))


def _retry_when(classify: Classifier) -> RetryPredicate:
    """Retry a response whose body reports throttling or a transient failure (`classify` says `retry`)."""

    def predicate(response: Optional[Response], exception: Optional[BaseException]) -> bool:
        return response is not None and failure_of(response, classify=classify) == "retry"

    return predicate


def json_of(source: str, response: Response) -> Any:
    """The JSON body of a successful response, or a clear error naming the source and the request."""
    try:
        return response.json()
    except ValueError:
        raise ApiRequestError(source, f"{source}: {describe_request(response)} did not return JSON", response) from None


def token_endpoint(base_url: str, default_base_url: str, default_token_url: str, token_url: Optional[str]) -> str:
    """The OAuth token URL: `token_url` if set; the provider's endpoint for the real API host; otherwise the same
    path on `base_url` (an emulator or proxy serves the token endpoint beside the API)."""
    if token_url:
        return token_url
    if base_url.rstrip("/") == default_base_url.rstrip("/"):
        return default_token_url
    return base_url.rstrip("/") + urlsplit(default_token_url).path
