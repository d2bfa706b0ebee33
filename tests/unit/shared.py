"""What tests of more than one layer share: two protocols greeted, and SPEC 12's
digest worked out apart from the program."""

import hmac

from _chat_curses.wire.events import Hello, Role
from _chat_curses.wire.protocol import Protocol

SECRET = bytes(range(32))  # a chat's resume secret


def pair() -> tuple[Protocol, Protocol]:
    """A client and a server, their hellos exchanged: the chat is on, the client's turn."""
    client, server = Protocol(Role.CLIENT, resume_secret=SECRET), Protocol(Role.SERVER,
                                                                           resume_secret=SECRET)
    server.receive_data(client.send(Hello("user")))
    server.next_event()
    client.receive_data(server.send(Hello("server")))
    client.next_event()
    return client, server


def conversation_digest(delivered: list[tuple[str, int, int, str]]) -> bytes:
    """SPEC 12's digest of the messages ``delivered`` (by, number, time sent, text), in
    order: worked out here with the standard library's HMAC, apart from the program's."""
    if not delivered:
        return b""
    digest = hmac.digest(SECRET, b"chat_curses conversation", "sha256")
    for by, seq, sent, text in delivered:
        digest = hmac.digest(SECRET, digest + f"{by}\0{seq}\0{sent}\0{text}".encode(), "sha256")
    return digest
