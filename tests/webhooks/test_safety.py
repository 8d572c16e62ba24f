"""SSRF checks, secrets at rest, the retry schedule setting, and the GET flattening: no database needed."""

from __future__ import annotations

import stat
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from herald.accounts import service as accounts_service
from herald.db.base import utcnow
from herald.db.engine import Database
from herald.settings import Settings
from herald.webhooks import shapes as payloads
from herald.webhooks import ssrf
from herald.webhooks.delivery import RetryPolicy, parse_retry_after
from herald.webhooks.records import Outgoing
from herald.webhooks.secrets import SecretBox, load_secret_box, new_signing_secret


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8080/hook",
        "http://10.1.2.3/",
        "http://172.16.0.9/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/",
        "http://[::ffff:10.0.0.1]/",
        "http://[fe80::1]/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
    ],
)
def test_private_loopback_and_link_local_hosts_are_refused(url: str) -> None:
    with pytest.raises(ssrf.ForbiddenAddress):
        ssrf.check_url(url, allow_private=False)


@pytest.mark.parametrize(
    "address",
    [
        "fec0::1",  # IPv6 site-local
        "2002:7f00:1::",  # 6to4 around 127.0.0.1
        "2002:a00:1::",  # 6to4 around 10.0.0.1
        "64:ff9b::7f00:1",  # NAT64 around 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 around 169.254.169.254
        "64:ff9b:1::808:808",  # local-use NAT64
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo with a documentation-range client
        "::ffff:127.0.0.1",  # IPv4-mapped loopback
        "::7f00:1",  # IPv4-compatible (deprecated) loopback
        "ff0e::1",  # global-scope multicast
        "100.64.0.1",  # carrier-grade NAT
    ],
)
def test_wrapped_and_non_global_addresses_are_refused_at_registration_and_delivery(address: str) -> None:
    assert not ssrf.is_public_address(address)  # what the delivery's resolver and literal check ask
    with pytest.raises(ssrf.ForbiddenAddress):
        ssrf.check_url(
            f"http://[{address}]/" if ":" in address else f"http://{address}/", allow_private=False
        )


@pytest.mark.parametrize(
    "address", ["2002:808:808::1", "64:ff9b::808:808", "::ffff:8.8.8.8", "2606:4700::1111"]
)
def test_wrapped_forms_of_a_public_address_are_judged_by_the_address_inside(address: str) -> None:
    assert ssrf.is_public_address(address)


def test_a_public_address_is_accepted() -> None:
    ssrf.check_url("https://93.184.215.14/hook", allow_private=False)


def test_an_unresolvable_host_is_refused() -> None:
    with pytest.raises(ssrf.ForbiddenAddress, match="does not resolve"):
        ssrf.check_url("https://no-such-host.invalid/hook", allow_private=False)


def test_allow_private_lets_local_receivers_through() -> None:
    ssrf.check_url("http://127.0.0.1:9/hook", allow_private=True)


def test_sealed_secrets_are_not_plain_text_and_open_again() -> None:
    box = SecretBox([Fernet.generate_key().decode()])
    token = box.seal("hunter2")
    assert "hunter2" not in token
    assert box.open(token) == "hunter2"
    assert "hidden" in repr(box)


def test_a_rotated_key_still_opens_old_tokens() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = SecretBox([old]).seal("s3cret")
    rotated = load_secret_box(f"{new},{old}", Path("/nonexistent"))
    assert rotated.open(token) == "s3cret"
    with pytest.raises(ValueError, match="cannot decrypt"):
        SecretBox([new]).open(token)


def test_the_key_file_is_created_once_and_private(tmp_path: Path) -> None:
    key_file = tmp_path / "var" / "herald.key"
    box = load_secret_box(None, key_file)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    token = box.seal("x")
    assert load_secret_box(None, key_file).open(token) == "x"


def test_signing_secrets_are_standard_webhooks_secrets() -> None:
    secret = new_signing_secret()
    assert secret.startswith("whsec_")
    assert secret != new_signing_secret()


def test_the_retry_schedule_setting_is_taken_literally() -> None:
    policy = RetryPolicy.from_setting("1, 5,30")
    assert policy.max_attempts == 4
    assert policy.delay_after(1) == timedelta(seconds=1)
    assert policy.delay_after(3) == timedelta(seconds=30)
    assert policy.delay_after(4) is None


def test_the_default_schedule_retries_for_more_than_a_day_with_jitter() -> None:
    policy = RetryPolicy()
    assert sum(policy.delays) >= 24 * 3600
    delays = {policy.delay_after(1) for _ in range(20)}
    assert len(delays) > 1
    assert all(d is not None and timedelta(seconds=4) <= d <= timedelta(seconds=6) for d in delays)


def test_a_malformed_schedule_is_refused_when_settings_load() -> None:
    with pytest.raises(ValidationError, match="retry"):
        Settings(webhook_retry_schedule="soon,later")


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = utcnow().replace(microsecond=0)
    assert parse_retry_after("120", now) == timedelta(seconds=120)
    later = (now + timedelta(seconds=30)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert parse_retry_after(later, now) == timedelta(seconds=30)
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


def test_query_flattening_joins_keys_with_dots() -> None:
    flat = payloads.flatten({"a": {"b": 1, "c": None, "d": [True, "x"]}, "e": "f g"})
    assert flat == [("a.b", "1"), ("a.c", ""), ("a.d.0", "true"), ("a.d.1", "x"), ("e", "f g")]


def test_a_prepared_request_does_not_show_its_headers() -> None:
    out = Outgoing(
        delivery_id=1,
        endpoint_id=1,
        interaction_id=1,
        attempt=1,
        method="POST",
        url="http://x",
        body=b"{}",
        headers={"Authorization": "Basic c2VjcmV0"},
    )
    assert "c2VjcmV0" not in repr(out)


def test_malformed_urls_names_and_ids_are_invalid_input_not_crashes(
    settings: Settings, database: Database
) -> None:
    from herald.errors import InvalidInput, NotFound
    from herald.webhooks import service
    from herald.webhooks.schemas import EndpointPolicy, EndpointSpec

    box = load_secret_box(settings.secret_key, settings.secret_key_file)
    policy = EndpointPolicy(allow_private=True)
    bad_specs = [
        EndpointSpec(dialect="native", url="http://[::1/x", event_types=["sends"]),
        EndpointSpec(dialect="native", url="http://ok.example/\x00", event_types=["sends"]),
        EndpointSpec(
            dialect="native",
            url="http://127.0.0.1/",
            event_types=["sends"],
            auth_username="u" * 256,
            auth_password="p",
        ),
        EndpointSpec(
            dialect="native",
            url="http://127.0.0.1/",
            event_types=["sends"],
            auth_username="u\x00",
            auth_password="p",
        ),
        EndpointSpec(dialect="native", url="http://127.0.0.1/", event_types=["sends"], description="\x00"),
    ]
    with database.write() as session:
        account_id = accounts_service.create_account(session, name="t").id
    for spec in bad_specs:
        with pytest.raises(InvalidInput), database.write() as session:
            service.create_endpoint(session, account_id=account_id, spec=spec, box=box, policy=policy)
    for public_id in ("not-a-uuid", "\x00", ""):
        with pytest.raises(NotFound), database.read() as session:
            service.get_endpoint(session, account_id=account_id, public_id=public_id)
