// Tokenizer throughput, side by side in one run on the same ~10 MB text:
// glyph (`glyph tokenize --stats`), the node reference (@lenml/tokenizers,
// transformers.js) and, when installed, Hugging Face's native tokenizers
// binding (npm "tokenizers", Rust). Prints a markdown table for
// docs/benchmarks.md (## Tokenizer) and checks that all ids agree.
//   node tools/bench/tokenizer_bench.mjs --glyph build/glyph [--tokenizer models/tokenizer.json] [--runs 3]
// The text: corpus.py novel (7M chars) + mixed Chinese/English (1M chars) +
// code (570K chars), seed 1. Times exclude loading the tokenizer and the file;
// the ratio is by CPU time, which a busy shared machine distorts less than wall time.
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { loadReference } from "../../tests/tools/reference_tokenize.mjs";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const require = createRequire(path.join(repo, "package.json"));

function parseArgs(argv) {
  const args = { glyph: path.join(repo, "build", "glyph"), tokenizer: path.join(repo, "models", "tokenizer.json"), runs: 3 };
  for (let i = 0; i < argv.length; ++i) {
    if (argv[i] === "--glyph") args.glyph = argv[++i];
    else if (argv[i] === "--tokenizer") args.tokenizer = argv[++i];
    else if (argv[i] === "--runs") args.runs = Number(argv[++i]);
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  return args;
}

function corpusText() {
  const corpus = path.join(repo, "tools", "parity", "corpus.py");
  const run = (...a) => execFileSync("python3", [corpus, ...a], { maxBuffer: 1 << 30 }).toString("utf8");
  return run("novel", "--chars", "7000000", "--seed", "1") + run("text", "mixed", "--chars", "1000000", "--seed", "1") +
    run("text", "code", "--chars", "570000", "--seed", "1");
}

// Best of `runs` by CPU seconds (user + system of this process, all threads:
// the native binding encodes on a worker thread); wall seconds of that run too.
async function best(runs, fn) {
  let result = { cpu: Infinity, wall: Infinity, ids: null };
  for (let i = 0; i < runs; ++i) {
    const wall0 = process.hrtime.bigint(), cpu0 = process.cpuUsage();
    const ids = await fn();
    const cpu = process.cpuUsage(cpu0), wall = Number(process.hrtime.bigint() - wall0) / 1e9;
    const seconds = (cpu.user + cpu.system) / 1e6;
    if (seconds < result.cpu) result = { cpu: seconds, wall, ids };
  }
  return result;
}

function glyphRun(args, file) {
  let result = { cpu: Infinity, wall: Infinity, ids: null };
  for (let i = 0; i < args.runs; ++i) {
    const r = spawnSync(args.glyph, ["tokenize", file, "--tokenizer", args.tokenizer, "--ids", "--stats"],
                        { maxBuffer: 1 << 30 });
    if (r.status !== 0) throw new Error(`glyph tokenize failed: ${r.stderr}`);
    const m = /encode ([0-9.]+) s \(cpu ([0-9.]+) s\)/.exec(r.stderr.toString());
    const cpu = Number(m[2]);
    if (cpu < result.cpu) result = { cpu, wall: Number(m[1]), ids: r.stdout.toString().trim().split(" ").map(Number) };
  }
  return result;
}

function sameIds(a, b) {
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; ++i) if (a[i] !== b[i]) return false;
  return true;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const text = corpusText();
  const bytes = Buffer.byteLength(text, "utf8");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "glyph-tokbench-"));
  const file = path.join(dir, "text.txt");
  fs.writeFileSync(file, text);

  const rows = [];
  const ours = glyphRun(args, file);
  rows.push({ name: "**glyph** (C++, PCRE2 JIT)", ...ours });

  let hf = null;
  try {
    const { Tokenizer } = require("tokenizers");
    const tokenizer = Tokenizer.fromFile(args.tokenizer);
    hf = await best(args.runs, async () =>
      Array.from((await tokenizer.encode(text, null, { addSpecialTokens: false })).getIds()));
    rows.push({ name: "HF tokenizers (Rust, npm native binding)", ...hf });
    // HF's kinder case: many short inputs, encoded on its thread pool. Cutting at
    // line ends changes a few tokens (a "\n\n" pair becomes two), so ids are not compared.
    const lines = text.split(/(?<=\n)/);
    const batch = await best(args.runs, async () =>
      (await tokenizer.encodeBatch(lines, { addSpecialTokens: false })).flatMap((e) => Array.from(e.getIds())));
    rows.push({ name: `HF tokenizers, encodeBatch of the ${lines.length} lines`, ...batch, compare: false });
  } catch (e) {
    console.error(`HF tokenizers binding not usable: ${e.message.split("\n")[0]}`);
  }

  const reference = loadReference(args.tokenizer);
  // The reference is slow; one warm-up-free run keeps the benchmark under a few minutes.
  const ref = await best(1, () => reference.encode(text, { add_special_tokens: false }));
  rows.push({ name: "@lenml/tokenizers (JS reference)", ...ref });

  console.log(`Text: ${(bytes / 1e6).toFixed(2)} MB, ${text.length} UTF-16 units; tokenizer ${path.basename(args.tokenizer)}; ` +
              `best of ${args.runs} (reference: 1 run); ${os.cpus()[0].model}, node ${process.version}\n`);
  console.log("| tokenizer | CPU s | wall s | MB/s (CPU) | tokens/s (CPU) | glyph is faster by | ids equal glyph's |");
  console.log("|---|---:|---:|---:|---:|---:|---|");
  for (const r of rows) {
    console.log(`| ${r.name} | ${r.cpu.toFixed(3)} | ${r.wall.toFixed(3)} | ${(bytes / 1e6 / r.cpu).toFixed(2)} | ` +
                `${Math.round(r.ids.length / r.cpu).toLocaleString("en-US")} | ` +
                `${(r.cpu / ours.cpu).toFixed(1)}x | ${r.compare === false ? "n/a" : sameIds(r.ids, ours.ids) ? "yes" : "NO"} (${r.ids.length} tokens) |`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

await main();
