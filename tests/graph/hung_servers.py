"""A Neo4j gone wrong, for tests of how long the Neo4j store waits.

None stands in for Neo4j's behaviour: :class:`SilentPort` accepts connections
and never sends a byte (what a hung or SIGSTOP-ed server looks like from the
client: the kernel completes the TCP handshake, nobody answers),
:class:`Relay` passes every byte to the real Neo4j until the test freezes it
(the server stops answering mid-conversation) or cuts it (the server goes
away), and :func:`write_lock_held` makes the real server keep a statement
waiting, as a stuck transaction elsewhere would.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Iterator
from types import TracebackType
from urllib.parse import urlsplit

from neo4j import GraphDatabase


class SilentPort:
    """A listening port on 127.0.0.1 that accepts every connection and never answers."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.port: int = self._listener.getsockname()[1]
        self._accepted: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            self._accepted.append(connection)  # kept open, never read, never written

    def close(self) -> None:
        _close_listener(self._listener)
        for connection in self._accepted:
            connection.close()

    def __enter__(self) -> SilentPort:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


class Relay:
    """A port on 127.0.0.1 that relays to ``target`` until frozen or cut.

    ``freeze()``: bytes stop flowing both ways and new connections are accepted
    but never relayed, with every socket left open, as a frozen server would.
    ``cut()``: every connection is closed and the port refuses new ones, as a
    server that went away. ``sent`` counts the bytes relayed towards the target.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.port: int = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._flowing = threading.Event()
        self._flowing.set()
        self._lock = threading.Lock()
        self.sent = 0
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.port}"

    def freeze(self) -> None:
        self._flowing.clear()

    def cut(self) -> None:
        _close_listener(self._listener)
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
        self._flowing.set()  # let the pumps run into the closed sockets and end

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self._sockets.append(client)
            if not self._flowing.is_set():
                continue  # a frozen server: the connection is accepted, then silence
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._sockets.append(upstream)
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, outbound: bool) -> None:
        try:
            while data := source.recv(65536):
                self._flowing.wait()
                sink.sendall(data)
                if outbound:
                    self.sent += len(data)
        except OSError:
            pass

    def __enter__(self) -> Relay:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.cut()


def _close_listener(listener: socket.socket) -> None:
    """Stop a listening socket for good: ``close`` alone leaves a thread blocked in ``accept``
    holding it open, still accepting connections."""
    with contextlib.suppress(OSError):
        listener.shutdown(socket.SHUT_RDWR)
    listener.close()


def neo4j_address() -> tuple[str, int]:
    """Host and Bolt port of the test Neo4j (``RINGWATCH_NEO4J_URI``), to relay to."""
    uri = urlsplit(os.environ.get("RINGWATCH_NEO4J_URI", "bolt://127.0.0.1:7687"))
    return uri.hostname or "127.0.0.1", uri.port or 7687


@contextlib.contextmanager
def write_lock_held(query: str) -> Iterator[None]:
    """Run ``query`` (a write) in a transaction of the test Neo4j and keep it open: its locks
    hold until the block ends, when it is rolled back."""
    auth = (os.environ.get("RINGWATCH_NEO4J_USER", "neo4j"), os.environ["RINGWATCH_NEO4J_PASSWORD"])
    with GraphDatabase.driver(os.environ.get("RINGWATCH_NEO4J_URI", "bolt://127.0.0.1:7687"),
                              auth=auth) as driver, \
            driver.session(database=os.environ.get("RINGWATCH_NEO4J_DATABASE", "neo4j")) as session:
        tx = session.begin_transaction()
        tx.run(query).consume()
        try:
            yield
        finally:
            tx.rollback()
