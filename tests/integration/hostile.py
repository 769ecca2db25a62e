#!/usr/bin/env python3
"""Hostile clients and an honest scraper, for tests/integration/hostile.sh.
Every mode talks to one server on the loopback range only, and every loop
is bounded by a duration and a count of connections.

    hostile.py scrape PORT SRC COUNT OUT
        An honest scraper, as Prometheus scrapes: one GET /metrics a
        second (Prometheus's Accept, gzip), on a keep-alive connection
        that is dropped when the server has closed it (Go's transport sees
        that at once) and with one retry on a new connection when a reused
        one fails before any byte of the answer (as Go's transport does
        for a GET). One line per scrape in OUT:
        "STATUS SECONDS BYTES NOTE" (STATUS 000: no answer).

    hostile.py idle PORT SRCS CONNS SECONDS OUT
        Holds CONNS connections from the addresses in SRCS (comma-
        separated, taken in turn) that send nothing; reopens each one the
        server closes.

    hostile.py slowloris PORT SRCS CONNS SECONDS OUT
        CONNS connections that send a request head a header line a second
        and never finish it; reopens each one the server closes.

    hostile.py hammer PORT SRCS CONNS SECONDS OUT
        CONNS keep-alive clients asking for /metrics as fast as the server
        answers, as `hey -c CONNS` does.

    hostile.py slowread PORT SRCS CONNS SECONDS OUT
        CONNS clients that ask for /metrics with a small receive buffer
        and read nothing; reopens each one the server closes.

The attackers write "key value" lines to OUT when they end: connects,
refused (connect failed), closed (by the server), max_open (connections
open at once), and for hammer the answers by status and the errors.
"""
import errno
import os
import selectors
import socket
import sys
import time

ACCEPT = ("application/openmetrics-text;version=1.0.0,"
          "application/openmetrics-text;version=0.0.1;q=0.75,"
          "text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
MAX_CONNECTS = 2_000_000  # bound on the connections one attacker opens


def request(port, path="/metrics", extra="", gzip=True):
    return (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"User-Agent: hostile.py\r\nAccept: {ACCEPT}\r\n"
            + ("Accept-Encoding: gzip\r\n" if gzip else "")
            + f"{extra}\r\n").encode()


def connect(port, src, blocking=True, rcvbuf=0):
    """A TCP connection from src to 127.0.0.1:port (non-blocking: the
    connect may still be in progress)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.bind((src, 0))
    if blocking:
        s.settimeout(10)
        s.connect(("127.0.0.1", port))
    else:
        s.setblocking(False)
        rc = s.connect_ex(("127.0.0.1", port))
        if rc not in (0, errno.EINPROGRESS):
            s.close()
            raise OSError(rc, os.strerror(rc))
    return s


# ---- the honest scraper -----------------------------------------------------

def read_response(sock):
    """Reads one response; returns (status, body bytes, got_any_byte)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the end of the head",
                                  bool(buf))
        buf += chunk
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = None
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v.strip())
    if length is None:
        raise ConnectionError("no Content-Length", True)
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed in the body", True)
        body += chunk
    return status, len(body)


def closed_by_peer(sock):
    """Whether the server has closed an idle keep-alive connection."""
    sel = selectors.DefaultSelector()
    sel.register(sock, selectors.EVENT_READ)
    ready = sel.select(0)
    sel.close()
    if not ready:
        return False
    try:
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except OSError:
        return True


def scrape_once(port, src, conn):
    """One scrape; returns (status, bytes, note, conn to keep or None)."""
    note = []
    for attempt in range(2):
        reused = conn is not None
        try:
            if conn is not None and closed_by_peer(conn):
                conn.close()
                conn, reused = None, False
                note.append("server-closed-idle")
            if conn is None:
                conn = connect(port, src)
            conn.sendall(request(port))
            status, n = read_response(conn)
            return status, n, ",".join(note) or "-", conn
        except (OSError, ConnectionError, ValueError, IndexError) as e:
            got_bytes = isinstance(e, ConnectionError) and len(e.args) > 1 \
                and e.args[1]
            if conn is not None:
                conn.close()
            conn = None
            note.append(type(e).__name__)
            if not reused or got_bytes or attempt == 1:
                return 0, 0, ",".join(note), None
            note.append("retried")
    return 0, 0, ",".join(note), None


def scrape(port, src, count, out):
    conn = None
    t0 = time.monotonic()
    with open(out, "w") as f:
        for i in range(count):
            delay = t0 + i - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            start = time.monotonic()
            status, n, note, conn = scrape_once(port, src, conn)
            f.write(f"{status:03d} {time.monotonic() - start:.4f} {n} {note}\n")
            f.flush()
    if conn is not None:
        conn.close()


# ---- attackers ----------------------------------------------------------------

class Attack:
    """CONNS connections kept open, each reopened when the server closes
    it; subclasses say what each one sends and reads."""

    rcvbuf = 0

    def __init__(self, port, srcs, conns, seconds):
        self.port, self.srcs, self.conns = port, srcs, conns
        self.deadline = time.monotonic() + seconds
        self.sel = selectors.DefaultSelector()
        self.stats = {"connects": 0, "refused": 0, "closed": 0,
                      "max_open": 0}
        self.open = 0
        self.next_src = 0

    def count(self, key, n=1):
        self.stats[key] = self.stats.get(key, 0) + n

    def opened(self, sock, st):
        """Called once the connection is up."""

    def readable(self, sock, st):
        """Called when sock has data or end of file; returns False when the
        connection is done (closed by the server)."""
        try:
            data = sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return True
        except OSError:
            return False
        return bool(data)

    def tick(self, now):
        """Called about every 50 ms."""

    def open_one(self):
        if self.stats["connects"] + self.stats["refused"] >= MAX_CONNECTS:
            return False
        src = self.srcs[self.next_src % len(self.srcs)]
        self.next_src += 1
        try:
            s = connect(self.port, src, blocking=False, rcvbuf=self.rcvbuf)
        except OSError:
            self.count("refused")
            return False
        st = {"up": False, "born": time.monotonic()}
        self.sel.register(s, selectors.EVENT_WRITE, st)
        self.open += 1
        return True

    def close(self, sock, by_server):
        self.sel.unregister(sock)
        sock.close()
        self.open -= 1
        if by_server:
            self.count("closed")

    def run(self):
        for _ in range(self.conns):
            self.open_one()
        last_tick = 0.0
        while True:
            now = time.monotonic()
            if now >= self.deadline:
                break
            for key, ev in self.sel.select(0.05):
                sock, st = key.fileobj, key.data
                if not st["up"]:
                    err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    self.sel.unregister(sock)
                    if err:
                        sock.close()
                        self.open -= 1
                        self.count("refused")
                        continue
                    st["up"] = True
                    self.count("connects")
                    self.sel.register(sock, selectors.EVENT_READ, st)
                    self.opened(sock, st)
                    continue
                if not self.readable(sock, st):
                    self.close(sock, True)
            self.stats["max_open"] = max(self.stats["max_open"],
                                         self.connected())
            if now - last_tick >= 0.05:
                self.tick(now)
                last_tick = now
            # Reopen what the server closed (or what failed to connect),
            # at most a few hundred a round so that the loop stays live.
            for _ in range(min(self.conns - self.open, 500)):
                if not self.open_one():
                    break
        for key in list(self.sel.get_map().values()):
            key.fileobj.close()
        return self.stats

    def connected(self):
        return sum(1 for k in self.sel.get_map().values() if k.data["up"])


class Idle(Attack):
    pass


class Slowloris(Attack):
    def opened(self, sock, st):
        st["n"] = 0
        st["next"] = time.monotonic() + 1
        self.send(sock, b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n")

    def send(self, sock, data):
        try:
            sock.send(data)
        except OSError:
            pass

    def tick(self, now):
        for key in list(self.sel.get_map().values()):
            st = key.data
            if st["up"] and now >= st["next"]:
                st["n"] += 1
                st["next"] = now + 1
                self.send(key.fileobj, b"X-Slow-%d: %d\r\n" % (st["n"], st["n"]))


class SlowRead(Attack):
    """Once its request is sent, a connection leaves the selector (its
    unread answer would wake it all the time) and is looked at in tick()."""

    rcvbuf = 1024

    def __init__(self, *args):
        super().__init__(*args)
        self.quiet = {}

    def opened(self, sock, st):
        # Uncompressed: a body larger than the socket buffers can hold.
        try:
            sock.send(request(self.port, gzip=False))
        except OSError:
            pass
        self.sel.unregister(sock)
        self.quiet[sock] = st

    @staticmethod
    def still_open(sock):
        try:
            info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)
        except OSError:
            return False
        # tcpi_state 1 is ESTABLISHED; CLOSE_WAIT or CLOSE once the server
        # has closed its end or reset the connection.
        return info[0] == 1

    def close(self, sock, by_server):
        if sock in self.quiet:
            del self.quiet[sock]
            sock.close()
            self.open -= 1
            if by_server:
                self.count("closed")
            return
        super().close(sock, by_server)

    def tick(self, now):
        for sock in list(self.quiet):
            if not self.still_open(sock):
                self.close(sock, True)

    def connected(self):
        return super().connected() + len(self.quiet)

    def run(self):
        stats = super().run()
        for sock in self.quiet:
            sock.close()
        return stats


class Hammer(Attack):
    def opened(self, sock, st):
        st["buf"] = b""
        st["need"] = None
        st["sent"] = False
        self.ask(sock, st)

    def ask(self, sock, st):
        try:
            sock.send(request(self.port))
            st["sent"] = True
        except OSError:
            self.count("errors")

    def readable(self, sock, st):
        try:
            data = sock.recv(262144)
        except (BlockingIOError, InterruptedError):
            return True
        except OSError:
            self.count("errors")
            return False
        if not data:
            if st["sent"]:
                self.count("errors")
            return False
        st["buf"] += data
        while True:
            if st["need"] is None:
                head_end = st["buf"].find(b"\r\n\r\n")
                if head_end < 0:
                    return True
                head = st["buf"][:head_end].split(b"\r\n")
                st["status"] = head[0].split()[1].decode()
                length = 0
                for line in head[1:]:
                    k, _, v = line.partition(b":")
                    if k.strip().lower() == b"content-length":
                        length = int(v.strip())
                st["buf"] = st["buf"][head_end + 4:]
                st["need"] = length
            if len(st["buf"]) < st["need"]:
                return True
            st["buf"] = st["buf"][st["need"]:]
            st["need"] = None
            st["sent"] = False
            self.count("status_" + st["status"])
            if time.monotonic() < self.deadline:
                self.ask(sock, st)

MODES = {"idle": Idle, "slowloris": Slowloris, "hammer": Hammer,
         "slowread": SlowRead}


def main(argv):
    if len(argv) == 6 and argv[1] == "scrape":
        scrape(int(argv[2]), argv[3], int(argv[4]), argv[5])
        return 0
    if len(argv) == 7 and argv[1] in MODES:
        port, srcs = int(argv[2]), argv[3].split(",")
        attack = MODES[argv[1]](port, srcs, int(argv[4]), float(argv[5]))
        stats = attack.run()
        with open(argv[6], "w") as f:
            for k in sorted(stats):
                f.write(f"{k} {stats[k]}\n")
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
