"""A scripted raw-socket HTTP/1.1 server on loopback: it writes exactly what its answers
write, keeps connections alive, and records every request (and on which connection)."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Seen:
    """One request as the server read it: on which connection (numbered from 0), the path
    and the header fields (lower-case names)."""

    connection: int
    path: str
    headers: dict[str, str]
    head: bytes = b""  # the request line and fields as sent, without the blank line


Answer = Callable[[socket.socket, Seen], bool | None]
"""Writes the reply to a request; False closes the connection afterwards."""


@dataclass
class RawServer:
    """A keep-alive HTTP/1.1 server that writes exactly what its answers write."""

    answers: dict[str, Answer]
    host: str = "127.0.0.1"
    port: int = 0
    tls: ssl.SSLContext | None = None
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        self.listener = socket.socket(family, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((self.host, self.port))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self._connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        number = 0
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self._connections.append(conn)
            threading.Thread(target=self._serve, args=(conn, number), daemon=True).start()
            number += 1

    def _serve(self, conn: socket.socket, number: int) -> None:
        with contextlib.suppress(OSError, ssl.SSLError), contextlib.closing(conn):
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
            buffer = b""
            while True:
                while b"\r\n\r\n" not in buffer:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buffer += data
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                fields = dict(line.split(": ", 1) for line in lines[1:])
                headers = {name.lower(): value for name, value in fields.items()}
                seen = Seen(number, lines[0].split(" ")[1], headers, head)
                self.seen.append(seen)
                if self.answers.get(seen.path, not_found)(conn, seen) is False:
                    conn.close()  # the TLS one, when wrapped
                    return

    def paths(self) -> list[str]:
        return [seen.path for seen in self.seen]

    def close(self) -> None:
        self.listener.close()
        for conn in self._connections:
            with contextlib.suppress(OSError):
                conn.close()


def response(body: bytes, content_type: str = "text/html", **fields: str) -> bytes:
    extra = "".join(f"{name.replace('_', '-')}: {value}\r\n" for name, value in fields.items())
    head = f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
    return (head + extra + "\r\n").encode() + body


def send(data: bytes) -> Answer:
    def answer(conn: socket.socket, seen: Seen) -> None:
        conn.sendall(data)

    return answer


def not_found(conn: socket.socket, seen: Seen) -> None:
    conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")


def serve(servers: list[RawServer], answers: dict[str, Answer], **options: object) -> RawServer:
    """A server answering ``answers``, added to ``servers`` (the fixture closes them)."""
    server = RawServer(answers, **options)  # type: ignore[arg-type]
    servers.append(server)
    return server
