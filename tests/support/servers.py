"""Servers on 127.0.0.1 for faults a real server can produce."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def serve_silently() -> Iterator[str]:
    """A server that accepts connections and never answers (an endpoint slower than any
    timeout), until the block ends; yields its URL."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.1)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        listener.close()


@contextmanager
def serve_answer(head: bytes, body: Iterator[bytes], pause: float = 0.0) -> Iterator[tuple[str, list[int]]]:
    """A server that answers each connection with ``head``, then the chunks of ``body`` with
    ``pause`` seconds before each, until the client hangs up or the block ends (a trickling or
    endless answer); yields its URL and a list that counts the body bytes sent."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.1)
    sent = [0]
    stop = threading.Event()

    def answer(conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)
                conn.sendall(head)
                for chunk in body:
                    if stop.wait(pause):
                        return
                    conn.sendall(chunk)
                    sent[0] += len(chunk)
            except OSError:
                return  # the client hung up

    def serve() -> None:
        while not stop.is_set():
            try:
                conn = listener.accept()[0]
            except OSError:
                continue
            threading.Thread(target=answer, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", sent
    finally:
        stop.set()
        thread.join()
        listener.close()
