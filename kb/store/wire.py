"""How the serving process and a query worker talk: pickled messages, each after its length.

One socket per worker, used by one caller at a time. The serving process may wait on it in a
thread (``ask``, within a time limit) or on the event loop (``ask_async``, which the caller
bounds); the worker waits blocking (``send``, ``receive``).
"""

from __future__ import annotations

import asyncio
import pickle
import socket
import struct
import time

HEADER = struct.Struct("!Q")  # the length of the pickled message that follows


def pack(message: object) -> bytes:
    """A message as it travels: its length, then its pickle."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(data)) + data


def send(sock: socket.socket, message: object) -> None:
    """Send one message, however long it takes."""
    sock.sendall(pack(message))


def receive(sock: socket.socket, deadline: float | None = None) -> object:
    """Wait for one message, until ``deadline`` (``time.monotonic``) if given: else TimeoutError.

    EOFError when the other end has closed.
    """
    (size,) = HEADER.unpack(_exactly(sock, HEADER.size, deadline))
    return pickle.loads(_exactly(sock, size, deadline))


def ask(sock: socket.socket, message: object, timeout: float) -> object:
    """Send a message and wait at most ``timeout`` seconds for the answer."""
    deadline = time.monotonic() + timeout
    sock.settimeout(timeout)
    send(sock, message)
    return receive(sock, deadline)


async def ask_async(sock: socket.socket, message: object) -> object:
    """Send a message and await the answer on the running event loop, holding no thread."""
    loop = asyncio.get_running_loop()
    sock.setblocking(False)
    await loop.sock_sendall(sock, pack(message))
    (size,) = HEADER.unpack(await _exactly_async(loop, sock, HEADER.size))
    return pickle.loads(await _exactly_async(loop, sock, size))


def _exactly(sock: socket.socket, size: int, deadline: float | None) -> bytearray:
    buffer = bytearray(size)
    view, got = memoryview(buffer), 0
    while got < size:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            sock.settimeout(left)
        count = sock.recv_into(view[got:])
        if not count:
            raise EOFError("the other end closed the socket")
        got += count
    return buffer


async def _exactly_async(
    loop: asyncio.AbstractEventLoop, sock: socket.socket, size: int
) -> bytearray:
    buffer = bytearray(size)
    view, got = memoryview(buffer), 0
    while got < size:
        count = await loop.sock_recv_into(sock, view[got:])
        if not count:
            raise EOFError("the other end closed the socket")
        got += count
    return buffer
