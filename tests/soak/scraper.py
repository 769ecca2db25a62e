#!/usr/bin/env python3
"""The soak's scraper: GET /metrics on 127.0.0.1:PORT, RATE times a second
for SECONDS, on one keep-alive connection (a new one after an error).

    scraper.py PORT RATE SECONDS REPORT.json PROGRESS

A scrape fails when it does not answer 200, its body is not a whole text
exposition (virtmeter_build_info present, last line ended), or it takes
more than 1 s. PROGRESS is rewritten every second with "scrapes failed";
REPORT.json gets the totals and latency percentiles at the end. Exits 0
when no scrape failed, 1 otherwise."""

import http.client
import json
import os
import sys
import time


def scrape(conn):
    """One scrape; returns the reason it failed, or None."""
    conn.request("GET", "/metrics", headers={"Accept": "text/plain;version=0.0.4"})
    resp = conn.getresponse()
    body = resp.read()
    if resp.status != 200:
        return "status %d" % resp.status
    if b"\nvirtmeter_build_info{" not in body or not body.endswith(b"\n"):
        return "incomplete body (%d bytes)" % len(body)
    return None


def main():
    port, rate, secs = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
    report, progress = sys.argv[4], sys.argv[5]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    lat, fails, reasons = [], 0, {}
    start = time.monotonic()
    nxt, shown = start, start
    while time.monotonic() - start < secs:
        t = time.monotonic()
        try:
            why = scrape(conn)
        except (OSError, http.client.HTTPException) as e:
            why = type(e).__name__
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        d = time.monotonic() - t
        lat.append(d)
        if why is None and d > 1.0:
            why = "slower than 1 s"
        if why:
            fails += 1
            reasons[why] = reasons.get(why, 0) + 1
            print("scrape %d at %.1f s failed: %s" % (len(lat), t - start, why), flush=True)
        if t - shown >= 1:
            shown = t
            with open(progress + ".new", "w") as f:
                f.write("%d %d\n" % (len(lat), fails))
            os.replace(progress + ".new", progress)
        nxt += 1.0 / rate
        pause = nxt - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        else:
            nxt = time.monotonic()
    lat.sort()
    n = len(lat)
    out = {
        "scrapes": n, "failed": fails, "reasons": reasons,
        "rate": n / (time.monotonic() - start),
        "p50_ms": 1000 * lat[n // 2] if n else None,
        "p99_ms": 1000 * lat[min(n - 1, int(n * 0.99))] if n else None,
        "max_ms": 1000 * lat[-1] if n else None,
    }
    with open(progress, "w") as f:
        f.write("%d %d\n" % (n, fails))
    with open(report, "w") as f:
        json.dump(out, f)
    print("scraper: %(scrapes)d scrapes (%(rate).1f/s), %(failed)d failed, "
          "p50 %(p50_ms).2f ms, p99 %(p99_ms).2f ms, max %(max_ms).1f ms" % out)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
