// glyph serve as a drop-in in front of an OpenAI/vLLM server: the official
// openai npm client uses chat (plain and streamed), completions, responses,
// embeddings and models through the proxy and directly against the same
// upstream (tests/node/test_upstream.mjs) and gets identical results for
// everything not compressed; other routes (tokenize, errors with
// Retry-After, a chunked body) come back byte for byte; a document in a
// system message, or with its question in one message, is compressed as the
// policy says and every reply states its decision; /metrics parses as
// Prometheus text and its counters match the requests sent.
//   node tests/node/openai_passthrough.mjs --glyph build/glyph
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { SKIP, parseArgs, startServer, stop, check } from "../browser/harness.mjs";
import { startTestUpstream } from "./test_upstream.mjs";
import { parsePrometheusText } from "./prometheus_text.mjs";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const args = parseArgs(process.argv);
if (!args.glyph) {
  console.error("usage: openai_passthrough.mjs --glyph PATH");
  process.exit(2);
}
let OpenAI;
try {
  ({ default: OpenAI } = await import(path.join(repo, "node_modules/openai/index.mjs")));
} catch (e) {
  console.log("SKIP: the openai package is not installed (npm install at the repository root)");
  process.exit(SKIP);
}

const CLIENT_KEY = "client-key-for-upstream";
const documentText = fs.readFileSync(path.join(repo, "samples/novel_excerpt.txt"), "utf8").slice(0, 9000);
const sent = {};  // requests sent through the proxy, by route
const count = (route, n = 1) => { sent[route] = (sent[route] || 0) + n; };
// The proxy's only additions to a compressed route's body.
const withoutGlyph = (x) => JSON.parse(JSON.stringify(x, (k, v) => (k === "glyph" ? undefined : v)));
const same = (a, b, what) => check(JSON.stringify(a) === JSON.stringify(b),
  what + " differs through the proxy:\n direct: " + JSON.stringify(a).slice(0, 400) + "\n proxy:  " + JSON.stringify(b).slice(0, 400));
const collect = async (stream) => {
  const out = [];
  for await (const e of stream) out.push(e);
  return out;
};

const servers = [];
let upstream;
try {
  upstream = await startTestUpstream();
  const proxy = await startServer(args.glyph,
    ["serve", "--port", "0", "--upstream", upstream.url + "/v1", "--min-tokens", "500", "--quiet"],
    /listening on (http:\/\/\S+)/, "glyph serve");
  servers.push(proxy);
  const opts = { apiKey: CLIENT_KEY, maxRetries: 0, timeout: 60000 };
  const direct = new OpenAI({ ...opts, baseURL: upstream.url + "/v1" });
  const viaProxy = new OpenAI({ ...opts, baseURL: proxy.url + "/v1" });
  const both = async (what, call, route, normalize = (x) => x) => {
    const a = await call(direct);
    const b = await call(viaProxy);
    count(route);
    same(normalize(a), normalize(b), what);
    return b;
  };

  // Pass-through routes: identical results.
  const models = await both("models.list", (c) => c.models.list().then((p) => p.data), "/v1/models");
  check(models[0].max_model_len === 32768, "max_model_len lost: " + JSON.stringify(models));
  await both("completions", (c) => c.completions.create({ model: "test-vlm", prompt: "Once upon a time" }), "/v1/completions");
  await both("completions stream", (c) => c.completions.create({ model: "test-vlm", prompt: "Hello", stream: true }).then(collect),
    "/v1/completions");
  await both("embeddings", (c) => c.embeddings.create({ model: "test-vlm", input: ["one", "two words"] }), "/v1/embeddings");
  await both("embeddings (floats)", (c) => c.embeddings.create({ model: "test-vlm", input: "x", encoding_format: "float" }),
    "/v1/embeddings");
  // Compressed routes with nothing to compress: identical but for usage.glyph.
  const chat = await both("chat", (c) => c.chat.completions.create({ model: "test-vlm", messages: [{ role: "user", content: "Hi?" }] }),
    "/v1/chat/completions", withoutGlyph);
  check(chat.usage.glyph && chat.usage.glyph.decision === "below-threshold", "chat usage.glyph: " + JSON.stringify(chat.usage));
  const chunks = await both("chat stream", (c) => c.chat.completions.create({ model: "test-vlm", stream: true,
    stream_options: { include_usage: true }, messages: [{ role: "user", content: "Hi?" }] }).then(collect),
  "/v1/chat/completions", withoutGlyph);
  check(chunks.at(-1).usage.glyph.decision === "below-threshold", "streamed usage lacks the decision");
  const responses = await both("responses", (c) => c.responses.create({ model: "test-vlm", input: "Say hi." }), "/v1/responses", withoutGlyph);
  check(responses.usage.glyph.decision === "below-threshold", "responses usage.glyph: " + JSON.stringify(responses.usage));
  const events = await both("responses stream", (c) => c.responses.create({ model: "test-vlm", input: "Say hi.", stream: true }).then(collect),
    "/v1/responses", withoutGlyph);
  check(events.at(-1).response.usage.glyph.decision === "below-threshold", "streamed responses lack the decision");

  // A stream without usage gets one last chunk that carries the decision.
  const bare = await collect(await viaProxy.chat.completions.create({ model: "test-vlm", stream: true,
    messages: [{ role: "user", content: "Hi?" }] }));
  count("/v1/chat/completions");
  check(bare.at(-1).usage && bare.at(-1).usage.glyph.decision === "below-threshold" && bare.at(-1).choices.length === 0,
    "no final decision chunk: " + JSON.stringify(bare.at(-1)));

  // The client's Authorization reaches the upstream (the proxy has no key of its own).
  check(upstream.requests.at(-1).headers.authorization === "Bearer " + CLIENT_KEY,
    "Authorization not forwarded: " + upstream.requests.at(-1).headers.authorization);

  // Raw HTTP: status, headers and bytes as the upstream sent them.
  const raw = async (target, init) => {
    const a = await fetch(upstream.url + target, init);
    const b = await fetch(proxy.url + target, init);
    const [ta, tb] = [await a.text(), await b.text()];
    check(a.status === b.status && ta === tb, `${target}: ${a.status} ${ta.slice(0, 200)} vs ${b.status} ${tb.slice(0, 200)}`);
    return b;
  };
  const post = (body) => ({ method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  const tok = await raw("/tokenize", post({ model: "test-vlm", prompt: "héllo" }));
  count("/tokenize");
  check(tok.headers.get("x-request-id"), "upstream header X-Request-Id not relayed");
  await raw("/detokenize", post({ tokens: [104, 105] }));
  count("/detokenize");
  const busy = await raw("/busy");
  count("other");
  check(busy.status === 429 && busy.headers.get("retry-after") === "7", "429 without Retry-After: " + busy.headers.get("retry-after"));
  const chunked = await raw("/chunked");
  count("other");
  check((await fetch(upstream.url + "/chunked").then((r) => r.text())) === "part 0;part 1;part 2;part 3;part 4;", "chunked body");
  await raw("/v1/no-such-route", post({}));
  count("other");

  // What gets rendered: a document in a system message (system is on by default).
  const sys = await viaProxy.chat.completions.create({ model: "test-vlm", messages: [
    { role: "system", content: documentText }, { role: "user", content: "Who is the letter from?" }] }).withResponse();
  count("/v1/chat/completions");
  check(sys.response.headers.get("x-glyph-decision") === "rendered", "system document not rendered: " + sys.response.headers.get("x-glyph-decision"));
  check(/^images=[1-9]\d* texts=\["Who is the letter from\?"\]$/.test(sys.data.choices[0].message.content),
    "upstream saw: " + sys.data.choices[0].message.content);
  // A document and its question in one message with no blank line: the question stays text.
  const flat = documentText.replace(/\n+/g, " ");
  const oneLine = flat.slice(0, flat.lastIndexOf(".") + 1) + " Who wrote the letter?";
  const mixed = await viaProxy.chat.completions.create({ model: "test-vlm", messages: [{ role: "user", content: oneLine }] });
  count("/v1/chat/completions");
  check(mixed.usage.glyph.decision === "rendered" && / texts=\["Who wrote the letter\?"\]$/.test(mixed.choices[0].message.content),
    "question not kept: " + mixed.choices[0].message.content);
  // The same, marked explicitly.
  const marked = await viaProxy.chat.completions.create({ model: "test-vlm", messages: [{ role: "user", content: documentText + " Summarize it." }],
    glyph: { question: "Summarize it." } });
  count("/v1/chat/completions");
  check(/ texts=\["Summarize it\."\]$/.test(marked.choices[0].message.content), "explicit question: " + marked.choices[0].message.content);
  // The Responses API's input text parts are compressed too.
  const resp = await viaProxy.responses.create({ model: "test-vlm", input: [{ role: "user", content: [
    { type: "input_text", text: documentText + "\n\nWho wrote the letter?" }] }] });
  count("/v1/responses");
  check(resp.usage.glyph.decision === "rendered" && /^images=[1-9]\d* texts=\["Who wrote the letter\?"\]$/.test(resp.output_text),
    "responses input not compressed: " + resp.output_text + " " + JSON.stringify(resp.usage));

  // Every reason a request is not compressed, stated.
  const decision = async (body) => {
    const r = await viaProxy.chat.completions.create({ model: "test-vlm", ...body }).withResponse();
    count("/v1/chat/completions");
    const header = r.response.headers.get("x-glyph-decision");
    check(header === r.data.usage.glyph.decision, "header and usage disagree: " + header);
    return header;
  };
  const doc = [{ role: "system", content: documentText }, { role: "user", content: "Question?" }];
  check(await decision({ messages: doc, glyph: { enabled: false } }) === "disabled-by-request", "disabled-by-request");
  check(await decision({ messages: doc, glyph: { roles: ["user"] } }) === "role-not-enabled", "role-not-enabled");
  check(await decision({ messages: [{ role: "user", content: "Short?" }] }) === "below-threshold", "below-threshold");
  check(await decision({ messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } }] }] }) === "no-text-part", "no-text-part");
  check(await decision({ messages: [{ role: "user", content: "tiny" }], glyph: { min_tokens: 0 } }) === "no-saving", "no-saving");

  // /metrics: Prometheus text format, counters that match what was sent.
  const metricsText = await fetch(proxy.url + "/metrics").then((r) => r.text());
  const families = parsePrometheusText(metricsText);
  const value = (name, labels = {}) => {
    const f = families.get(name) || families.get(name.replace(/_(count|sum|bucket)$/, ""));
    check(f, "metric " + name + " missing");
    const s = f.samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
    return s ? s.value : 0;
  };
  const byRoute = {};
  for (const s of families.get("glyph_requests_total").samples) byRoute[s.labels.route] = (byRoute[s.labels.route] || 0) + s.value;
  for (const [route, n] of Object.entries(sent))
    check(byRoute[route] === n, `glyph_requests_total for ${route}: ${byRoute[route]}, sent ${n}`);
  check(value("glyph_compression_decisions_total", { decision: "rendered" }) === 4, "rendered decisions");
  check(value("glyph_compression_decisions_total", { decision: "no-saving" }) === 1, "no-saving decisions");
  check(value("glyph_pages_total") >= 4, "pages counter");
  check(value("glyph_text_tokens_replaced_total") > value("glyph_vision_tokens_sent_total"), "tokens counters");
  check(value("glyph_render_seconds_count") === 4, "render histogram count: " + value("glyph_render_seconds_count"));
  check(value("glyph_upstream_latency_seconds_count") >= Object.values(sent).reduce((a, b) => a + b, 0) - 1,
    "upstream latency count");

  // /health reports the proxy and the upstream.
  const health = await fetch(proxy.url + "/health").then(async (r) => [r.status, await r.json()]);
  check(health[0] === 200 && health[1].proxy.status === "ok" && health[1].upstream.status === "ok", "health: " + JSON.stringify(health));
  // The context limit (the upstream reports max_model_len 32768): never sent when it cannot fit.
  const sample = fs.readFileSync(path.join(repo, "samples/novel_excerpt.txt"), "utf8");
  const chatsUpstream = () => upstream.requests.filter((r) => r.url === "/v1/chat/completions").length;
  const refused = async (body, what) => {
    const before = chatsUpstream();
    try {
      await viaProxy.chat.completions.create({ model: "test-vlm", ...body });
      throw new Error(what + ": sent although it cannot fit");
    } catch (e) {
      check(e instanceof OpenAI.BadRequestError && e.code === "context_length_exceeded" && /32768/.test(e.message),
        what + ": " + e.message);
      check(chatsUpstream() === before, what + ": reached the upstream");
      return e.message;
    }
  };
  // About 63K vision tokens at the preset (101 pages): no legible rung gets it under 32768.
  const huge = await refused({ messages: [{ role: "user", content: sample.repeat(13) + "\n\nWho wrote the letter?" }] }, "63K-token pages");
  for (const rung of ["as rendered by the preset", "8 pt font", "newline marker", "60 dpi: ", "60 dpi + newline marker: not legible"])
    check(huge.includes(rung), "the refusal does not say it tried " + rung + ": " + huge);
  // Text alone with max_tokens over the context: refused as well.
  await refused({ messages: [{ role: "user", content: "Hi?" }], max_tokens: 40000 }, "max_tokens");
  // About 34K at the preset, 28.5K in the 8 pt rung: sent denser.
  const denser = await viaProxy.chat.completions.create({ model: "test-vlm",
    messages: [{ role: "user", content: sample.repeat(7) + "\n\nWho wrote the letter?" }] }).withResponse();
  check(denser.response.headers.get("x-glyph-rendering") === "8 pt font" && denser.data.usage.glyph.rendering === "8 pt font",
    "not re-rendered denser: " + denser.response.headers.get("x-glyph-rendering"));
  check(denser.data.usage.glyph.vision_tokens < 32768 && /^images=4\d texts=\["Who wrote the letter\?"\]$/.test(denser.data.choices[0].message.content),
    "denser request: " + JSON.stringify(denser.data.usage.glyph) + " " + denser.data.choices[0].message.content);
  // glyph ask makes the same check before sending.
  const { execFile } = await import("node:child_process");
  const ask = (doc, extra = []) => new Promise((resolve) => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "glyph-ask-")), "doc.txt");
    fs.writeFileSync(file, doc);
    execFile(args.glyph, ["ask", "--doc", file, "--question", "Who wrote the letter?", "--endpoint", upstream.url + "/v1",
      "--model", "test-vlm", "--no-stream", "--retries", "0", ...extra], (error, stdout, stderr) =>
      resolve({ code: error ? error.code : 0, stdout, stderr }));
  });
  const beforeAsk = chatsUpstream();
  const tooLong = await ask(sample.repeat(7));
  check(tooLong.code === 6 && /not sent: .*32768 tokens \(max_model_len at /.test(tooLong.stderr) && /8 pt font: --set/.test(tooLong.stderr),
    "glyph ask over max_model_len: exit " + tooLong.code + " " + tooLong.stderr.slice(-400));
  check(chatsUpstream() === beforeAsk, "glyph ask sent a request that cannot fit");
  const small = await ask(sample.slice(0, 6000), ["--max-context", "3000", "--max-tokens", "100"]);
  check(small.code === 0 && chatsUpstream() === beforeAsk + 1, "glyph ask within --max-context: " + small.code + " " + small.stderr.slice(-300));
  const tight = await ask(sample.slice(0, 6000), ["--max-context", "500", "--max-tokens", "100"]);
  check(tight.code === 6 && /--max-context/.test(tight.stderr), "glyph ask over --max-context: " + tight.code + " " + tight.stderr.slice(-300));

  console.log(JSON.stringify({ ok: true, sent, decisions: families.get("glyph_compression_decisions_total").samples.length,
    refusal: huge, denser: denser.data.usage.glyph }));
} catch (e) {
  console.error("FAIL: " + e.message);
  process.exitCode = 1;
} finally {
  for (const s of servers.reverse()) await stop(s);
  if (upstream) await upstream.close();
}
