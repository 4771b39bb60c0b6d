"""SMTP sinks for benchmarks: accept every message, count them, keep nothing.

Each runs in its own process so it never competes with the measured code for the GIL:

* ``aiosmtpd`` — the same server the tests use (a full ESMTP implementation; a message costs
  it about as much as PITFALLS measured for "a raw SMTP send to a local sink", ~0.7 ms);
* ``minimal`` — a bare asyncio protocol speaking just enough ESMTP for smtplib (EHLO/HELO,
  MAIL, RCPT, DATA, RSET, NOOP, QUIT), roughly ten times cheaper per message.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import smtplib
import socket
import time


class _Session(asyncio.Protocol):
    def __init__(self, counter):
        self.counter = counter
        self.buffer = b""
        self.in_data = False

    def connection_made(self, transport):
        self.transport = transport
        transport.write(b"220 bench-sink ESMTP ready\r\n")

    def data_received(self, data: bytes):
        self.buffer += data
        while True:
            if self.in_data:
                end = self.buffer.find(b"\r\n.\r\n")
                if end < 0:
                    return
                self.buffer = self.buffer[end + 5 :]
                self.in_data = False
                with self.counter.get_lock():
                    self.counter.value += 1
                    number = self.counter.value
                self.transport.write(b"250 2.0.0 OK queued as B%d\r\n" % number)
                continue
            end = self.buffer.find(b"\r\n")
            if end < 0:
                return
            line, self.buffer = self.buffer[:end], self.buffer[end + 2 :]
            self._command(line[:4].upper())

    def _command(self, verb: bytes) -> None:
        if verb == b"EHLO":
            self.transport.write(b"250-bench-sink\r\n250-8BITMIME\r\n250 SIZE 52428800\r\n")
        elif verb == b"DATA":
            self.in_data = True
            self.transport.write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
        elif verb == b"QUIT":
            self.transport.write(b"221 Bye\r\n")
            self.transport.close()
        else:  # HELO, MAIL, RCPT, RSET, NOOP
            self.transport.write(b"250 OK\r\n")


class _CountingHandler:
    def __init__(self, counter):
        self.counter = counter

    async def handle_DATA(self, server, session, envelope):
        with self.counter.get_lock():
            self.counter.value += 1
            number = self.counter.value
        return f"250 2.0.0 OK queued as A{number}"


def _serve_aiosmtpd(port: int, counter, ready) -> None:

    from aiosmtpd.controller import Controller

    controller = Controller(_CountingHandler(counter), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    while True:
        time.sleep(3600)


def _serve(port: int, counter, ready) -> None:
    async def main():
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: _Session(counter), "127.0.0.1", port, reuse_address=True, backlog=128
        )
        ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sink:
    """Handle of the sink process: ``port``, ``count`` (messages accepted), ``reset()``."""

    def __init__(self, kind: str = "aiosmtpd"):
        ctx = mp.get_context("spawn")
        self.counter = ctx.Value("q", 0)
        ready = ctx.Event()
        self.port = _free_port()
        target = _serve_aiosmtpd if kind == "aiosmtpd" else _serve
        self.process = ctx.Process(
            target=target, args=(self.port, self.counter, ready), daemon=True
        )
        self.process.start()
        if not ready.wait(30):
            raise RuntimeError("the SMTP sink did not start")

    @property
    def count(self) -> int:
        return self.counter.value

    def reset(self) -> None:
        with self.counter.get_lock():
            self.counter.value = 0

    def stop(self) -> None:
        self.process.terminate()
        self.process.join(timeout=10)


def raw_rate(sink: Sink, messages: list[tuple[str, bytes]], sender: str) -> float:
    """The reference: pre-built messages fed to the sink by one plain smtplib loop (msg/s)."""
    sink.reset()
    conn = smtplib.SMTP("127.0.0.1", sink.port)
    started = time.perf_counter()
    for recipient, data in messages:
        conn.sendmail(sender, [recipient], data)
    elapsed = time.perf_counter() - started
    conn.quit()
    return len(messages) / elapsed
