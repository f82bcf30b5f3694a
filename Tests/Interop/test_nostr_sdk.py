"""Interop with an independent Nostr implementation: nostr-sdk 0.45.1 (rust-nostr) builds and reads the
same invites as the gateway's Nostr module. The gateway's side runs through crow-testkit, which calls
the module's real invite building (InviteWire) and receive rules (InviteIntake).

Run by tools/test.sh after the browser suite; alone: .venv/bin/python -m pytest Tests/Interop -q
"""
import json
import os
import pathlib
import subprocess
import tempfile

import nostr_sdk as n
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
TESTKIT = pathlib.Path(os.environ.get("CROW_BIN_DIR", ROOT / ".build" / "debug")) / "crow-testkit"
INVITE = {
    "type": "crow_social",
    "version": 1,
    "subtype": "room_invite",
    "payload": {
        "room_code": "avfrmh45xpr3",
        "join_url": "https://ada.example/calls?room=avfrmh45xpr3&token=Qm9vdA/x",
        "host_name": "Ada Lovelace ü",
        "host_crow_id": "crow-ada",
    },
}


@pytest.fixture
def gateway_key():
    """A key file for the gateway side, and its public key."""
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "nostr.key")
        out = invite_event(path, n.Keys.generate().public_key().to_hex(), "crow", room="warmup")
        yield path, n.PublicKey.parse(json.loads(out)["pubkey"])


def invite_event(key_file, to_hex, wire, room="avfrmh45xpr3", subtype="room_invite"):
    command = [str(TESTKIT), "nostr-invite", "--key-file", key_file, "--to", to_hex, "--wire", wire,
               "--subtype", subtype, "--room", room]
    if subtype == "room_invite":
        command += ["--join-url", INVITE["payload"]["join_url"], "--host-name", INVITE["payload"]["host_name"]]
    return subprocess.run(command, check=True, capture_output=True, text=True, timeout=60).stdout.strip()


def gateway_open(key_file, events, contacts):
    command = [str(TESTKIT), "nostr-open", "--key-file", key_file]
    for contact in contacts:
        command += ["--contact", contact]
    lines = "\n".join(events) + "\n"
    out = subprocess.run(command, input=lines, check=True, capture_output=True, text=True, timeout=60).stdout
    return [json.loads(line) for line in out.splitlines()]


def test_nostr_sdk_invites_in_both_formats_pass_the_gateways_receive_rules(gateway_key):
    key_file, gateway_pub = gateway_key
    ada = n.Keys.generate()
    text = json.dumps(INVITE, ensure_ascii=False)
    # Crow's format: kind 4, p tag, NIP-44 v2 content.
    content = n.nip44_encrypt(ada.secret_key(), gateway_pub, text, n.Nip44Version.V2)
    crow = n.EventBuilder(n.Kind(4), content).tags([n.Tag.public_key(gateway_pub)]).finalize(ada)
    # NIP-17 in a NIP-59 gift wrap.
    private = n.nip17_make_private_msg(ada, gateway_pub, text)
    # NIP-04 from an old client.
    legacy_content = n.nip04_encrypt(ada.secret_key(), gateway_pub, text)
    legacy = n.EventBuilder(n.Kind(4), legacy_content).tags([n.Tag.public_key(gateway_pub)]).finalize(ada)
    results = gateway_open(key_file, [crow.as_json(), private.as_json(), legacy.as_json()], [ada.public_key().to_bech32()])
    assert [r["ok"] for r in results] == [True, True, True], results
    assert [r["wire"] for r in results] == ["crow", "nip17", "nip04"]
    for result in results:
        assert result["sender"] == ada.public_key().to_hex()
        assert json.loads(result["envelope"]) == INVITE
    assert results[0]["eventId"] == crow.id().to_hex()
    assert results[1]["eventId"] == private.id().to_hex()


def test_the_gateways_invites_open_in_nostr_sdk(gateway_key):
    key_file, gateway_pub = gateway_key
    grace = n.Keys.generate()
    for wire in ("crow", "nip17"):
        event = n.Event.from_json(invite_event(key_file, grace.public_key().to_hex(), wire))
        assert event.verify(), wire  # id and signature, checked by rust-nostr
        if wire == "crow":
            assert event.kind().as_u16() == 4
            assert event.author().to_hex() == gateway_pub.to_hex()
            text = n.nip44_decrypt(grace.secret_key(), event.author(), event.content())
        else:
            assert event.kind().as_u16() == 1059
            assert event.author().to_hex() != gateway_pub.to_hex()  # a one-time key
            gift = n.UnwrappedGift.from_gift_wrap(grace, event)
            assert gift.sender().to_hex() == gateway_pub.to_hex()
            assert gift.rumor().kind().as_u16() == 14
            text = gift.rumor().content()
        envelope = json.loads(text)
        assert envelope["subtype"] == "room_invite"
        assert envelope["payload"]["room_code"] == "avfrmh45xpr3"
        assert envelope["payload"]["join_url"] == INVITE["payload"]["join_url"]
        assert envelope["payload"]["host_name"] == INVITE["payload"]["host_name"]


def test_forged_strange_and_hostile_events_from_nostr_sdk_are_dropped_with_reasons(gateway_key):
    key_file, gateway_pub = gateway_key
    ada, mallory = n.Keys.generate(), n.Keys.generate()
    text = json.dumps(INVITE)

    def crow_event(author, body):
        content = n.nip44_encrypt(author.secret_key(), gateway_pub, body, n.Nip44Version.V2)
        return n.EventBuilder(n.Kind(4), content).tags([n.Tag.public_key(gateway_pub)]).finalize(author)

    good = json.loads(crow_event(ada, text).as_json())
    forged = dict(good, content=good["content"][::-1])  # content changed after signing
    wrong_id = dict(good, id="00" * 32)
    bad_link = dict(INVITE, payload=dict(INVITE["payload"], join_url="javascript:alert(document.cookie)"))
    huge = crow_event(ada, json.dumps(dict(INVITE, payload=dict(INVITE["payload"], host_name="x" * 20000))))
    events = [
        json.dumps(forged),
        json.dumps(wrong_id),
        crow_event(mallory, text).as_json(),  # a stranger
        n.nip17_make_private_msg(mallory, gateway_pub, text).as_json(),  # a stranger, privately
        crow_event(ada, json.dumps(bad_link)).as_json(),
        huge.as_json(),
        "not json",
    ]
    results = gateway_open(key_file, events, [ada.public_key().to_hex()])
    assert [r.get("drop") for r in results] == [
        "bad_signature", "bad_signature", "stranger", "stranger", "bad_join_url", "bad_envelope", "not_an_event",
    ], results
