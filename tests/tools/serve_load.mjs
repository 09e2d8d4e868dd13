// Load generator for glyph serve, run as a second process: rounds of
// concurrent requests (plain, streamed, long documents, oversized bodies,
// malformed JSON, clients that hang up mid-stream, and relayed routes:
// embeddings, tokenize, models, streamed completions) against the proxy, each
// reply checked; the server's memory, threads and open files before and
// after; and the latency the proxy adds over its upstream (p50/p99).
//
// The upstream is an in-process stub that answers at once, so that what is
// measured is the proxy, not a model: it checks the images it receives
// decode as PNG signatures and echoes how many came.
//   node tests/tools/serve_load.mjs --glyph build/glyph [--concurrency 200] [--rounds 3] [--latency 400]
// As a soak, rounds go on for a wall-clock time instead of a count, and the
// server's memory must stay flat (the last third of the rounds may not peak
// more than 10% above the first third's peak):
//   node tests/tools/serve_load.mjs --glyph build/glyph --minutes 30 --concurrency 50 --latency 8
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, startGlyph, stop, check } from "../browser/harness.mjs";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const args = parseArgs(process.argv);
if (!args.glyph) {
  console.error("usage: serve_load.mjs --glyph PATH [--concurrency N] [--rounds N | --minutes M] [--latency N] [--workers N] [--queue N] [--cache-mb N]");
  process.exit(2);
}
const concurrency = Number(args.concurrency || 200);
const rounds = Number(args.rounds || 3);
const minutes = Number(args.minutes || 0);  // > 0: a soak of this many minutes; --rounds is ignored
const latencySamples = Number(args.latency || 400);

// ---- the stub upstream ----------------------------------------------------------

function startStub() {
  const server = http.createServer((req, res) => {
    if (req.method === "GET" && req.url === "/v1/models") {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ object: "list", data: [{ id: "stub", object: "model" }] }));
      return;
    }
    const parts = [];
    req.on("data", (d) => parts.push(d));
    req.on("end", () => {
      if (relayed(req, res, Buffer.concat(parts).toString("utf8"))) return;
      let body;
      try {
        body = JSON.parse(Buffer.concat(parts).toString("utf8"));
      } catch (e) {
        res.writeHead(400, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ error: { message: "stub: body is not JSON" } }));
        return;
      }
      let images = 0;
      let bad = 0;
      for (const m of body.messages || [])
        for (const p of Array.isArray(m.content) ? m.content : [])
          if (p.type === "image_url") {
            images++;
            if (!p.image_url.url.startsWith("data:image/png;base64,iVBORw0KGgo")) bad++;
          }
      const text = bad ? "bad images: " + bad : "ok " + images + " images";
      if (!body.stream) {
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(JSON.stringify({
          id: "stub-1", object: "chat.completion", model: "stub",
          choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        }));
        return;
      }
      res.writeHead(200, { "Content-Type": "text/event-stream" });
      const pieces = [text.slice(0, 2), text.slice(2), "", "", ""];
      let i = 0;
      const tick = () => {
        if (res.destroyed) return;
        if (i < pieces.length) {
          res.write("data: " + JSON.stringify({ id: "stub-1", object: "chat.completion.chunk",
            choices: [{ index: 0, delta: { content: pieces[i] } }] }) + "\n\n");
          i++;
          setTimeout(tick, 15);
        } else {
          res.end("data: [DONE]\n\n");
        }
      };
      tick();
    });
  });
  server.keepAliveTimeout = 5000;
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

// The routes the proxy only relays: answers that depend on the request, so
// that a reply given to the wrong client would show.
function relayed(req, res, raw) {
  const reply = (body, type = "application/json") => {
    res.writeHead(200, { "Content-Type": type, "X-Stub-Route": req.url });
    res.end(typeof body === "string" ? body : JSON.stringify(body));
  };
  if (req.url === "/v1/embeddings") {
    const input = JSON.parse(raw).input;
    return reply({ object: "list", data: [{ object: "embedding", index: 0, embedding: [input.length, 1, 2] }], model: "stub" }), true;
  }
  if (req.url === "/tokenize") {
    const prompt = JSON.parse(raw).prompt;
    return reply({ count: prompt.length, tokens: [...prompt].map((c) => c.charCodeAt(0)) }), true;
  }
  if (req.url === "/v1/completions") {
    const prompt = JSON.parse(raw).prompt;
    res.writeHead(200, { "Content-Type": "text/event-stream" });
    for (const c of prompt) res.write("data: " + JSON.stringify({ object: "text_completion", choices: [{ index: 0, text: c }] }) + "\n\n");
    res.end("data: [DONE]\n\n");
    return true;
  }
  return false;
}

// ---- requests --------------------------------------------------------------------

const sample = fs.readFileSync(path.join(repo, "samples/novel_excerpt.txt"), "utf8");
const documents = [0, 1, 2, 3].map((i) => sample.slice(i * 5000, i * 5000 + 20000));
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency + 8 });

// A kept-alive socket the server closed for idleness (5 s) just as the client
// reused it fails with "socket hang up" before any reply: the client-side
// race every HTTP client retries. It is retried once and counted, so a client
// starved for seconds between rounds (as a niced soak can be) is not
// reported as a wrong reply.
let staleRetries = 0;

function post(url, payload, options = {}) {
  return postOnce(url, payload, options).then((r) => {
    if (!(r.error && r.reused && !r.status)) return r;
    staleRetries++;
    return postOnce(url, payload, options);
  });
}

function postOnce(url, payload, { abortAfterFirstChunk = false, timeoutMs = 120000 } = {}) {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    const data = typeof payload === "string" || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload);
    const req = http.request(url, {
      method: "POST", agent, headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(data) },
    }, (res) => {
      const chunks = [];
      res.on("data", (d) => {
        chunks.push(d);
        if (abortAfterFirstChunk) {
          req.destroy();
          resolve({ status: res.statusCode, aborted: true });
        }
      });
      res.on("end", () => resolve({
        status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString("utf8"),
        ms: Number(process.hrtime.bigint() - start) / 1e6,
      }));
      res.on("error", () => resolve({ status: res.statusCode, aborted: true }));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error("timeout")));
    req.on("error", (e) => resolve({ error: e.message, reused: req.reusedSocket, ms: Number(process.hrtime.bigint() - start) / 1e6 }));
    req.end(data);
  });
}

const chat = (content, extra = {}) => ({ model: "stub", messages: [{ role: "user", content }], ...extra });
// The proxy's root, from its chat URL.
const root = (url) => url.slice(0, url.length - "/v1/chat/completions".length);

function get(url) {
  return new Promise((resolve) => {
    const req = http.request(url, { method: "GET", agent }, (res) => {
      const chunks = [];
      res.on("data", (d) => chunks.push(d));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", (e) => resolve({ error: e.message }));
    req.end();
  });
}

// Each kind: how to make the request and what counts as a correct reply.
const kinds = {
  small: {
    make: (url) => post(url, chat("hello there")),
    ok: (r) => r.status === 200 && JSON.parse(r.body).choices[0].message.content === "ok 0 images",
  },
  stream: {
    make: (url) => post(url, chat("hello stream", { stream: true })),
    ok: (r) => r.status === 200 && r.body.includes('"content":"ok"') && r.body.trimEnd().endsWith("data: [DONE]"),
  },
  document: {
    make: (url, i) => post(url, chat(documents[i % documents.length] + "\n\nWhat happened?", { glyph: { min_tokens: 200 } })),
    ok: (r) => {
      if (r.status !== 200) return false;
      const j = JSON.parse(r.body);
      return /^ok [1-9]\d* images$/.test(j.choices[0].message.content) && j.usage.glyph.tokens_saved > 0;
    },
  },
  // A document never sent before: rendered every time, so a long run fills
  // the segment cache and keeps it evicting (a soak's memory must stay flat).
  fresh: {
    make: (url, i) => post(url, chat(`[${Date.now()}-${i}] ` + documents[i % documents.length] + "\n\nWhat happened?",
                                     { glyph: { min_tokens: 200 } })),
    ok: (r) => r.status === 200 && /^ok [1-9]\d* images$/.test(JSON.parse(r.body).choices[0].message.content),
  },
  oversized: {
    make: (url) => post(url, chat("x".repeat(3 << 20))),
    ok: (r) => r.status === 413 || (r.error && /EPIPE|ECONNRESET/.test(r.error)),
  },
  malformed: {
    make: (url) => post(url, '{"model": "stub", "messages": [{"role": "user", "content": "unterminated'),
    ok: (r) => r.status === 400 && JSON.parse(r.body).error.message.includes("JSON"),
  },
  hangup: {
    make: (url) => post(url, chat("hang up on me", { stream: true }), { abortAfterFirstChunk: true }),
    ok: (r) => r.aborted === true || r.status === 503,
  },
  embeddings: {
    make: (url, i) => post(root(url) + "/v1/embeddings", { model: "stub", input: "x".repeat(i % 50) })
      .then((r) => ({ ...r, expect: i % 50 })),
    ok: (r) => r.status === 200 && JSON.parse(r.body).data[0].embedding[0] === r.expect,
  },
  tokenize: {
    make: (url, i) => post(root(url) + "/tokenize", { model: "stub", prompt: "t" + i }).then((r) => ({ ...r, expect: "t" + i })),
    ok: (r) => r.status === 200 && r.headers["x-stub-route"] === "/tokenize" &&
      String.fromCharCode(...JSON.parse(r.body).tokens) === r.expect,
  },
  models: {
    make: (url) => get(root(url) + "/v1/models"),
    ok: (r) => r.status === 200 && JSON.parse(r.body).data[0].id === "stub",
  },
  completions: {
    make: (url, i) => post(root(url) + "/v1/completions", { model: "stub", prompt: "c" + i, stream: true })
      .then((r) => ({ ...r, expect: "c" + i })),
    ok: (r) => r.status === 200 && r.body.trimEnd().endsWith("data: [DONE]") &&
      r.body.split("\n\n").filter((e) => e.startsWith("data: {")).map((e) => JSON.parse(e.slice(6)).choices[0].text).join("") === r.expect,
  },
};
const mix = args.mix ? String(args.mix).split(",")
  : ["small", "small", "small", "stream", "stream", "document", "fresh", "oversized", "malformed", "hangup", "hangup",
     "embeddings", "tokenize", "models", "completions"];

function isBusy(r) {
  return r.status === 503 && r.headers && r.headers["retry-after"] && JSON.parse(r.body).error;
}

async function round(url, n) {
  const jobs = [];
  for (let i = 0; i < n; i++) {
    const kind = mix[i % mix.length];
    jobs.push(kinds[kind].make(url, i).then((r) => ({ kind, r })));
  }
  const results = await Promise.all(jobs);
  const tally = {};
  const failures = [];
  for (const { kind, r } of results) {
    const t = (tally[kind] ||= { ok: 0, busy: 0, wrong: 0 });
    let good = false;
    try {
      good = kinds[kind].ok(r);
    } catch (e) {
      good = false;
    }
    if (good) t.ok++;
    else if (isBusy(r)) t.busy++;
    else {
      t.wrong++;
      failures.push({ kind, status: r.status, error: r.error, reused: r.reused, ms: r.ms, body: (r.body || "").slice(-300) });
    }
  }
  return { tally, failures };
}

function procStats(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name) => Number(status.match(new RegExp("^" + name + ":\\s+(\\d+)", "m"))[1]);
  return { rss_kib: field("VmRSS"), threads: field("Threads"), fds: fs.readdirSync(`/proc/${pid}/fd`).length };
}

function percentile(values, p) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

// Same request straight to the upstream and through the proxy, interleaved, 8 at a time.
async function latency(proxyUrl, upstreamUrl, payload) {
  const direct = [];
  const proxied = [];
  for (let i = 0; i < latencySamples; i += 8) {
    const batch = [];
    for (let k = 0; k < 8; k++) {
      batch.push(post(upstreamUrl, payload).then((r) => r.status === 200 && direct.push(r.ms)));
      batch.push(post(proxyUrl, payload).then((r) => r.status === 200 && proxied.push(r.ms)));
    }
    await Promise.all(batch);
  }
  const summary = (v) => ({ n: v.length, p50: percentile(v, 50), p99: percentile(v, 99) });
  const d = summary(direct);
  const p = summary(proxied);
  return { direct: d, proxy: p, added_p50_ms: p.p50 - d.p50, added_p99_ms: p.p99 - d.p99 };
}

const stub = await startStub();
const upstream = "http://127.0.0.1:" + stub.address().port + "/v1";
let glyph;
try {
  glyph = await startGlyph(args.glyph, [
    "--upstream", upstream, "--max-body", "2", "--quiet",
    "--workers", String(args.workers || 16), "--queue", String(args.queue || 64),
    "--cache-mb", String(args["cache-mb"] || 64),
  ]);
  const url = glyph.url + "/v1/chat/completions";
  const pid = glyph.proc.pid;

  // Idle keep-alive connections hold a descriptor until the server's 5 s
  // keep-alive timeout closes them: counts are taken after it.
  const settle = () => new Promise((r) => setTimeout(r, 6500));
  // Warm-up: caches, thread stacks, allocator arenas, and connection threads
  // (started as connections need them, up to --connections, and kept).
  await round(url, concurrency);
  await settle();
  const before = procStats(pid);
  const results = [];
  const rssByRound = [];
  const startAll = Date.now();
  const soakEnd = startAll + minutes * 60000;
  const statsByRound = [];
  for (let i = 0; minutes > 0 ? Date.now() < soakEnd : i < rounds; i++) {
    results.push(await round(url, concurrency));
    const s = procStats(pid);
    rssByRound.push(s.rss_kib);
    statsByRound.push(s);
    if (minutes > 0 && i % 20 === 0)
      console.error(`soak: ${((Date.now() - startAll) / 60000).toFixed(1)} min, round ${i + 1}, ` +
                    `rss ${s.rss_kib} KiB, threads ${s.threads}, fds ${s.fds}`);
  }
  const loadSeconds = (Date.now() - startAll) / 1000;
  await settle();
  const after = procStats(pid);
  const health = await fetch(glyph.url + "/healthz").then((r) => r.json());

  const small = chat("hello there");
  const lat = {
    small: await latency(url, upstream + "/chat/completions", small),
    document_cached: await latency(url, upstream + "/chat/completions",
      chat(documents[0] + "\n\nWhat happened?", { glyph: { min_tokens: 200 } })),
  };
  const tally = {};
  for (const r of results)
    for (const [k, t] of Object.entries(r.tally)) {
      const a = (tally[k] ||= { ok: 0, busy: 0, wrong: 0 });
      a.ok += t.ok; a.busy += t.busy; a.wrong += t.wrong;
    }
  const failures = results.flatMap((r) => r.failures).slice(0, 10);
  const third = Math.floor(rssByRound.length / 3);
  const rssTrend = third > 0 ? {
    first_third_max_kib: Math.max(...rssByRound.slice(0, third)),
    last_third_max_kib: Math.max(...rssByRound.slice(-third)),
    max_threads: Math.max(...statsByRound.map((s) => s.threads)),
    max_fds: Math.max(...statsByRound.map((s) => s.fds)),
  } : null;
  const summary = {
    concurrency, rounds: results.length, load_seconds: loadSeconds, outcomes: tally, failures,
    stale_keepalive_retries: staleRetries,
    server_before: before, server_after: after, rss_trend: rssTrend,
    rss_kib_after_each_round: minutes > 0 ? undefined : rssByRound, healthz_after: health, latency_ms: lat,
  };
  console.log(JSON.stringify(summary, null, 1));
  check(glyph.proc.exitCode === null, "the server died under load");
  check(failures.length === 0, "some replies were wrong: " + JSON.stringify(failures[0]));
  check(after.threads === before.threads, `threads ${before.threads} -> ${after.threads}`);
  check(after.fds <= before.fds + 2, `open files ${before.fds} -> ${after.fds}`);
  if (minutes > 0 && rssTrend)
    check(rssTrend.last_third_max_kib <= rssTrend.first_third_max_kib * 1.1,
          `memory grew: peak ${rssTrend.first_third_max_kib} KiB in the first third, ${rssTrend.last_third_max_kib} KiB in the last`);
} catch (e) {
  console.error("FAIL: " + e.message);
  process.exitCode = 1;
} finally {
  await stop(glyph);
  stub.close();
  agent.destroy();
}
