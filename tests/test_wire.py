"""The query workers' wire (query/wire.py) over a real socket pair: fields and body arrive whole.

Small messages (one read), bodies larger than the socket buffer (partial writes and reads, the
body assembled in one buffer), an empty body, rich fields (an error, rdflib terms), a closed
peer (EOFError) and the poll timeout.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from rdflib import Literal, URIRef

from alskg.errors import QuerySyntaxError
from alskg.query import wire
from alskg.query.engines import DatasetSpec
from alskg.query.executor import QueryRequest, QueryResponse


@pytest.fixture()
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    """Two connected Unix sockets, like the ones multiprocessing.Pipe makes."""
    left, right = socket.socketpair()
    yield left, right
    left.close()
    right.close()


def test_small_message_round_trip(pair: tuple[socket.socket, socket.socket]) -> None:
    left, right = pair
    wire.send(left.fileno(), ("a", 1, None, (True,)), b"body bytes")
    assert wire.receive(right.fileno()) == (("a", 1, None, (True,)), b"body bytes")


def test_large_body_crosses_whole(pair: tuple[socket.socket, socket.socket]) -> None:
    left, right = pair
    body = bytes(range(256)) * 40_000  # 10 MB: many times the socket buffer
    writer = threading.Thread(target=wire.send, args=(left.fileno(), {"rows": 7}, body))
    writer.start()
    fields, received = wire.receive(right.fileno())
    writer.join()
    assert fields == {"rows": 7}
    assert received == body


def test_requests_and_responses_keep_every_field(
        pair: tuple[socket.socket, socket.socket]) -> None:
    left, right = pair
    request = QueryRequest("SELECT * WHERE { ?s ?p ?o }",
                           DatasetSpec(("https://w3id.org/alskg/graph/asserted",), (), False),
                           (("_x", URIRef("https://w3id.org/alskg/id/disease/als")),
                            ("_n", Literal(3))), "csv", 50, 2.5, False)
    wire.send(left.fileno(), request.to_wire())
    fields, _ = wire.receive(right.fileno())
    assert QueryRequest.from_wire(fields) == request
    failed = QueryResponse(error=QuerySyntaxError("Parser error at line 1"))
    answered = QueryResponse("text/csv; charset=utf-8", b"n\r\n3\r\n", "SELECT", True, 1)
    for response in (failed, answered):
        wire.send(right.fileno(), *response.to_wire())
        back = QueryResponse.from_wire(*wire.receive(left.fileno()))
        assert (back.content_type, back.body, back.form, back.truncated, back.rows) == (
            response.content_type, response.body, response.form, response.truncated,
            response.rows)
        assert type(back.error) is type(response.error)
        assert str(back.error) == str(response.error)


def test_closed_peer_is_end_of_file(pair: tuple[socket.socket, socket.socket]) -> None:
    left, right = pair
    left.close()
    with pytest.raises(EOFError):
        wire.receive(right.fileno())


def test_peer_closing_mid_message_is_end_of_file(
        pair: tuple[socket.socket, socket.socket]) -> None:
    left, right = pair
    left.sendall(wire.FRAME.pack(10, 1_000_000) + b"x" * 100)
    left.close()
    with pytest.raises(EOFError):
        wire.receive(right.fileno())


def test_waiter_times_out_then_sees_the_message(
        pair: tuple[socket.socket, socket.socket]) -> None:
    left, right = pair
    waiter = wire.Waiter(right.fileno())
    assert waiter.ready(0.05) is False
    wire.send(left.fileno(), "ready")
    assert waiter.ready(1.0) is True
    assert wire.receive(right.fileno()) == ("ready", b"")
