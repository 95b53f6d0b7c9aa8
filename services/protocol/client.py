"""The one protocol client: seal plaintexts for a peer into envelopes, open envelopes.

It holds the recipe (when to fetch a bundle and initiate, which associated data binds
an envelope, when a content must be accepted rather than decrypted, which keys that
needs and which one-time prekey then dies, when the session is stored) and nothing
else: keys and sessions live behind the store protocols of ``stores``, and the only
network step, fetching a peer's prekey bundle, is a callable the caller supplies. So
the core (MongoDB), the virtual phones and the tests (memory) share it.

Errors are ``ProtocolError``s (a bundle that does not verify, a content for prekeys
this client does not have, no session, a message that does not decrypt), plus
whatever the stores or the bundle callable raise, unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .envelope import Envelope
from .errors import ProtocolError
from .session import Session, is_new_session, prekey_ids
from .stores import KeyStore, SessionStore
from .x3dh import PrekeyBundle

FetchBundle = Callable[[str], Any]
"""``fetch_bundle(wa_id)``: the peer's prekey bundle as the directory returns it (the
JSON object of ``GET /network/v1/keys/{wa_id}``); called only when there is no session."""


@dataclass(frozen=True)
class Outgoing:
    """One message to seal: its id and timestamp go into the envelope as they are."""

    id: str
    timestamp: int
    plaintext: bytes


@dataclass(frozen=True, repr=False)
class Opened:
    plaintext: bytes
    before: Session | None
    """The session the envelope met (None if there was none). When the envelope started
    a new session this is the replaced one, untouched; otherwise it is ``after``."""
    after: Session
    """The session now stored for the sender."""
    new_session: bool
    """The envelope started a session (``Session.accept``): a first contact, or the peer
    reinstalled or lost its session. The caller may want to refill one-time prekeys."""
    one_time_prekey_used: int | None
    """The one-time prekey that session consumed (already removed from the store)."""

    @property
    def identity_changed(self) -> bool:
        """The sender's identity key differs from the one of the replaced session."""
        return self.before is not None and self.before.remote_identity != self.after.remote_identity


class ProtocolClient:
    def __init__(self, keys: KeyStore, sessions: SessionStore) -> None:
        self._keys = keys
        self._sessions = sessions

    # --- sending ------------------------------------------------------------------

    def seal(self, sender: str, recipient: str, messages: Sequence[Outgoing],
             fetch_bundle: FetchBundle) -> list[Envelope]:
        """Encrypt ``messages`` for ``recipient``, in order, in one session.

        One session load and one store for the whole batch. The session is stored
        before this returns, so before anything is sent: a crash after sending must
        never reuse these message keys. With no session, one is initiated from
        ``fetch_bundle(recipient)`` (whose errors pass through); a bundle that does
        not verify is a ProtocolError.
        """
        if not messages:
            return []
        session = self._sessions.load_session(recipient)
        if session is None:
            session = self._initiate(recipient, fetch_bundle)
        envelopes = [_encrypt(session, sender, recipient, message) for message in messages]
        self._sessions.store_session(recipient, session)
        return envelopes

    def reset_session(self, peer: str) -> Session | None:
        """Drop the session with ``peer`` (it answered a retry receipt: its device lost
        it), so that the next ``seal`` starts over from a fresh bundle. Returns the
        dropped session, to compare the peer's identity with the new one."""
        previous = self._sessions.load_session(peer)
        self._sessions.delete_session(peer)
        return previous

    def _initiate(self, recipient: str, fetch_bundle: FetchBundle) -> Session:
        bundle = PrekeyBundle.from_dict(fetch_bundle(recipient))
        return Session.initiate(self._keys.own_identity(), bundle)

    # --- receiving ----------------------------------------------------------------

    def open(self, envelope: Envelope) -> Opened:
        """Decrypt ``envelope`` in the sender's session, or accept the session it starts.

        One session load and one store; the identity and prekeys are read only for a
        new session, whose one-time prekey is then removed before the session is stored.
        Nothing is stored when it fails.
        """
        peer = envelope.sender
        content = envelope.content
        associated = envelope.associated_data()
        before = self._sessions.load_session(peer)
        if is_new_session(before, content):
            after, plaintext, used = self._accept(content, associated)
            new_session = True
        elif before is None:
            raise ProtocolError("no session with the sender")
        else:
            plaintext = before.decrypt(content, associated)
            after, used, new_session = before, None, False
        self._sessions.store_session(peer, after)
        return Opened(plaintext, before, after, new_session, used)

    def _accept(self, content: dict[str, Any], associated: bytes) -> tuple[Session, bytes, int | None]:
        signed_id, one_time_id = prekey_ids(content)
        signed = self._keys.signed_prekey(signed_id)
        if signed is None:
            raise ProtocolError(f"prekey content for an unknown signed prekey {signed_id}")
        one_time = None
        if one_time_id is not None:
            one_time = self._keys.one_time_prekey(one_time_id)
            if one_time is None:  # already used by another session, or never ours
                raise ProtocolError(f"prekey content for an unknown one-time prekey {one_time_id}")
        session, plaintext = Session.accept(self._keys.own_identity(), signed, one_time, content, associated)
        if one_time_id is not None:
            # Forward secrecy: a one-time prekey never serves a second session.
            self._keys.remove_one_time_prekey(one_time_id)
        return session, plaintext, one_time_id


def _encrypt(session: Session, sender: str, recipient: str, message: Outgoing) -> Envelope:
    routing = Envelope(message.id, sender, recipient, message.timestamp, {})
    content = session.encrypt(message.plaintext, routing.associated_data())
    return Envelope(message.id, sender, recipient, message.timestamp, content)
