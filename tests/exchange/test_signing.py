"""Webhook signatures: a receiver accepts exactly the body this node signed, recently, for it."""

from __future__ import annotations

from padis.exchange.signing import sign, verify, webhook_secret

BODY = b'{"event_id": "e1", "event_type": "death"}'


def test_a_signed_body_verifies_and_any_change_does_not() -> None:
    secret = webhook_secret(7)
    header = sign(secret, BODY, now=1_800_000_000)
    assert verify(secret, header, BODY, now=1_800_000_010)
    assert not verify(secret, header, BODY.replace(b"death", b"birth"), now=1_800_000_010)
    assert not verify(webhook_secret(8), header, BODY, now=1_800_000_010)  # another subscription's secret
    t, mac = header.split(",")
    assert not verify(secret, f"t=1800000001,{mac}", BODY, now=1_800_000_010)  # timestamp is signed too


def test_old_missing_and_malformed_signatures_are_rejected() -> None:
    secret = webhook_secret(7)
    header = sign(secret, BODY, now=1_800_000_000)
    assert not verify(secret, header, BODY, now=1_800_000_000 + 301)  # a replay after 5 minutes
    for bad in (None, "", "v1=abc", "t=x,v1=abc", "t=1800000000", "garbage"):
        assert not verify(secret, bad, BODY, now=1_800_000_000)


def test_secrets_differ_per_subscription_and_are_stable() -> None:
    assert webhook_secret(1) == webhook_secret(1)
    assert webhook_secret(1) != webhook_secret(2)
    assert len(webhook_secret(1)) == 64
