#!/usr/bin/env python3
"""Connection-exhaustion attack on `glyph serve`, with /healthz timed throughout.

Opens CONNECTIONS sockets that either stay idle or trickle a never-ending
header (slowloris: one header line every --drip seconds), reopening each one
the server closes, and asks /healthz on a fresh connection every 0.25 s.
Fails (exit 1) if any /healthz takes longer than --max-healthz seconds or
fails. With --glyph it starts the server itself (on a free port).

  tests/tools/serve_attack.py --glyph build/glyph --mode slowloris --connections 500 --seconds 60
  tests/tools/serve_attack.py --url http://127.0.0.1:8080 --mode idle
"""
import argparse, selectors, socket, subprocess, sys, time, urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def open_attacker(host, port, mode, sel):
    try:
        s = socket.create_connection((host, port), timeout=5)
    except OSError:
        return None
    s.setblocking(False)
    if mode == "slowloris":
        try:
            s.send(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n")
        except OSError:
            pass
    sel.register(s, selectors.EVENT_READ)
    return s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--glyph", help="start this glyph binary's server")
    ap.add_argument("--url", help="attack a running server instead")
    ap.add_argument("--mode", choices=["idle", "slowloris"], default="slowloris")
    ap.add_argument("--connections", type=int, default=500)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--drip", type=float, default=2.0)
    ap.add_argument("--max-healthz", type=float, default=1.0)
    ap.add_argument("--serve-args", default="", help="extra flags for glyph serve")
    a = ap.parse_args()

    server = None
    if a.glyph:
        port = free_port()
        server = subprocess.Popen([a.glyph, "serve", "--port", str(port), "--quiet"] + a.serve_args.split(),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = "http://127.0.0.1:%d" % port
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
    else:
        base = a.url.rstrip("/")
    host, port = base.split("//")[1].split(":")
    port = int(port)

    sel = selectors.DefaultSelector()
    socks = [open_attacker(host, port, a.mode, sel) for _ in range(a.connections)]
    reopened = 0
    latencies, failures = [], 0
    start = last_drip = next_probe = time.time()
    while time.time() - start < a.seconds:
        now = time.time()
        if now >= next_probe:
            t = time.time()
            try:
                urllib.request.urlopen(base + "/healthz", timeout=10).read()
                latencies.append(time.time() - t)
            except Exception:
                failures += 1
            next_probe = t + 0.25
        if a.mode == "slowloris" and now - last_drip >= a.drip:
            last_drip = now
            for s in socks:
                if s:
                    try:
                        s.send(b"X-Drip: 1\r\n")
                    except OSError:
                        pass
        for key, _ in sel.select(timeout=0.05):  # the server closed one: open another
            s = key.fileobj
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data:
                sel.unregister(s)
                s.close()
                i = socks.index(s)
                socks[i] = open_attacker(host, port, a.mode, sel)
                reopened += 1
    for s in socks:
        if s:
            s.close()
    if server:
        server.terminate()
        server.wait(timeout=70)
    latencies.sort()
    worst = latencies[-1] if latencies else float("inf")
    p50 = latencies[len(latencies) // 2] if latencies else float("inf")
    print("%s x%d for %.0f s: /healthz %d answered, %d failed, p50 %.1f ms, max %.1f ms; %d attacker sockets "
          "closed by the server and reopened" % (a.mode, a.connections, a.seconds, len(latencies), failures,
                                                 p50 * 1000, worst * 1000, reopened))
    return 0 if failures == 0 and worst <= a.max_healthz else 1


if __name__ == "__main__":
    sys.exit(main())
