// The official openai npm client, pointed at glyph serve's proxy with the OCR
// test server upstream: needle questions over a long document get correct
// answers streamed and not, the saving is reported (header and
// usage.glyph), a growing conversation re-renders nothing old, the API key
// is enforced and bad requests come back as the client's typed errors.
//   node tests/node/openai_proxy.mjs --glyph build/glyph --ocr-server build/tests/ocr_test_server
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { SKIP, parseArgs, startServer, startOcrServer, stop, check } from "../browser/harness.mjs";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const args = parseArgs(process.argv);
if (!args.glyph || !args["ocr-server"]) {
  console.error("usage: openai_proxy.mjs --glyph PATH --ocr-server PATH");
  process.exit(2);
}
let OpenAI;
try {
  ({ default: OpenAI } = await import(path.join(repo, "node_modules/openai/index.mjs")));
} catch (e) {
  console.log("SKIP: the openai package is not installed (npm install at the repository root)");
  process.exit(SKIP);
}

const KEY = "glyph-test-key";
const sample = fs.readFileSync(path.join(repo, "samples/novel_excerpt.txt"), "utf8");
// The whole sample (about 12K text tokens, 8 pages) with a needle at one
// third and one at two thirds: each is found only by reading its page.
const third = (k) => sample.indexOf("\n", Math.floor((k * sample.length) / 3)) + 1;
const documentText = sample.slice(0, third(1)) + "The special magic number for Oslo is 6623.\n" +
  sample.slice(third(1), third(2)) + "The special magic number for Quito is 1958.\n" + sample.slice(third(2));
const ask = (key) => "What is the special magic number for " + key + "?";

const servers = [];
const report = {};
try {
  const ocr = await startOcrServer(args["ocr-server"], ["--ocr-threads", String(Math.min(4, os.cpus().length))]);
  servers.push(ocr);
  const keyFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "glyph-key-")), "key");
  fs.writeFileSync(keyFile, KEY + "\n");
  const proxy = await startServer(args.glyph,
    ["serve", "--port", "0", "--upstream", ocr.url, "--min-tokens", "500", "--api-key-file", keyFile, "--quiet"],
    /listening on (http:\/\/\S+)/, "glyph serve");
  servers.push(proxy);
  const client = new OpenAI({ baseURL: proxy.url + "/v1", apiKey: KEY, maxRetries: 0, timeout: 240000 });

  const models = await client.models.list();
  check(models.data.length > 0, "no models listed through the proxy");
  const model = models.data[0].id;

  // Non-streamed: document + question in one user message.
  const first = [{ role: "user", content: documentText + "\n\n" + ask("Oslo") }];
  const { data: plain, response } = await client.chat.completions.create({ model, messages: first }).withResponse();
  const answer = plain.choices[0].message.content;
  check(answer.includes("6623"), "non-streamed answer lacks the needle: " + answer);
  const saved = Number(response.headers.get("x-glyph-tokens-saved"));
  check(saved > 0, "no X-Glyph-Tokens-Saved header: " + response.headers.get("x-glyph-tokens-saved"));
  check(plain.usage.glyph && plain.usage.glyph.tokens_saved === saved, "usage.glyph missing or differs from the header");
  check(plain.usage.glyph.segments_rendered === 1 && plain.usage.glyph.pages >= 4, "expected one rendered segment of several pages");
  check(plain.usage.glyph.text_tokens > 10000, "the document is not long: " + plain.usage.glyph.text_tokens + " tokens");
  // The upstream's own count of what it was sent (images by GLM-4.1V's rule
  // plus the question) is what the saving claims it would be.
  check(plain.usage.prompt_tokens < plain.usage.glyph.text_tokens - saved / 2,
    `upstream counted ${plain.usage.prompt_tokens} prompt tokens for a ${plain.usage.glyph.text_tokens}-token document`);
  report.non_streamed = { answer, usage: plain.usage };

  // Streamed, a growing conversation: the document's pages come from the cache.
  const second = [...first, { role: "assistant", content: answer }, { role: "user", content: ask("Quito") }];
  const stream = await client.chat.completions.create({
    model, messages: second, stream: true, stream_options: { include_usage: true },
  });
  let streamed = "";
  let chunks = 0;
  let usage = null;
  for await (const chunk of stream) {
    chunks++;
    if (chunk.choices.length && chunk.choices[0].delta.content) streamed += chunk.choices[0].delta.content;
    if (chunk.usage) usage = chunk.usage;
  }
  check(streamed.includes("1958"), "streamed answer lacks the needle: " + streamed);
  check(chunks > 2, "the answer did not arrive in several chunks");
  check(usage && usage.glyph && usage.glyph.tokens_saved > 0, "streamed usage lacks glyph: " + JSON.stringify(usage));
  check(usage.glyph.segments_rendered === 0 && usage.glyph.segments_cached === 1,
    "the grown conversation re-rendered its document: " + JSON.stringify(usage.glyph));
  report.streamed = { answer: streamed, chunks, usage };

  // Per-request policy: rendering off sends the text as it is.
  const off = await client.chat.completions.create({ model, messages: first, glyph: { enabled: false } });
  check(off.usage.glyph.pages === 0 && off.usage.glyph.tokens_saved === 0, "glyph.enabled=false still rendered");
  check(off.choices[0].message.content.includes("6623"), "text-only answer lacks the needle");
  check(off.usage.prompt_tokens > plain.usage.prompt_tokens + saved / 2,
    `as text the upstream counted ${off.usage.prompt_tokens} prompt tokens, as pages ${plain.usage.prompt_tokens}`);
  report.prompt_tokens_upstream = { pages: plain.usage.prompt_tokens, text: off.usage.prompt_tokens };

  // Errors arrive as the client's typed errors.
  try {
    await client.chat.completions.create({ model, messages: first, glyph: { min_tokens: "many" } });
    throw new Error("a bad glyph field was accepted");
  } catch (e) {
    check(e instanceof OpenAI.BadRequestError && /min_tokens/.test(e.message), "bad field: " + e.message);
  }
  const stranger = new OpenAI({ baseURL: proxy.url + "/v1", apiKey: "wrong", maxRetries: 0 });
  try {
    await stranger.models.list();
    throw new Error("a wrong API key was accepted");
  } catch (e) {
    check(e instanceof OpenAI.AuthenticationError, "wrong key: " + e.message);
  }
  console.log(JSON.stringify({ ok: true, ...report }, null, 1));
} catch (e) {
  console.error("FAIL: " + e.message);
  process.exitCode = 1;
} finally {
  for (const s of servers.reverse()) await stop(s);
}
