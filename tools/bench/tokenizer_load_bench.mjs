// Tokenizer load time, side by side in one run: glyph's Tokenizer::load (first
// load: parse tokenizer.json and write the compiled image; later loads: read
// the image) against Hugging Face's Tokenizer.fromFile (npm "tokenizers",
// Rust) and the JS reference (@lenml/tokenizers). Prints a markdown table for
// docs/benchmarks.md (## Tokenizer load).
//   node tools/bench/tokenizer_load_bench.mjs [--glyph build/glyph] [--runs 9] [TOKENIZER.json|NAME ...]
// Each glyph figure is the median of `runs` processes: the in-process load
// time `glyph tokenize --stats` reports, and the whole process's wall time
// for a 2-character text (start, load, encode, exit). The image of each
// tokenizer is removed first so the cold row really parses the JSON.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { loadReference } from "../../tests/tools/reference_tokenize.mjs";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const require = createRequire(path.join(repo, "package.json"));

function parseArgs(argv) {
  const args = { glyph: path.join(repo, "build", "glyph"), runs: 9, tokenizers: [] };
  for (let i = 0; i < argv.length; ++i) {
    if (argv[i] === "--glyph") args.glyph = argv[++i];
    else if (argv[i] === "--runs") args.runs = Number(argv[++i]);
    else args.tokenizers.push(argv[i]);
  }
  if (args.tokenizers.length === 0) args.tokenizers.push(path.join(repo, "models", "tokenizer.json"));
  return args;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function glyphLoad(args, tokenizer, text) {
  const r = spawnSync(args.glyph, ["tokenize", text, "--tokenizer", tokenizer, "--stats"]);
  if (r.status !== 0) throw new Error(`glyph tokenize failed: ${r.stderr}`);
  const err = r.stderr.toString();
  const m = /load ([0-9.]+) s \(([^)]*)\)/.exec(err);
  return { load: Number(m[1]), how: m[2] };
}

function wallOf(fn) {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "glyph-load-bench-"));
  const text = path.join(dir, "two.txt");
  fs.writeFileSync(text, "hi");
  const { Tokenizer } = require("tokenizers");
  const ms = (s) => (s * 1000).toFixed(1);
  console.log("| tokenizer | JSON MB | glyph first load (parse + write image) ms | glyph load from image ms | glyph whole process ms | HF `Tokenizer.fromFile` ms | @lenml/tokenizers load ms | image MB |");
  console.log("|---|---|---|---|---|---|---|---|");
  for (const spec of args.tokenizers) {
    // Remove the image an earlier run left, so the cold row parses the JSON.
    let cold = glyphLoad(args, spec, text);
    const earlier = /^compiled image (.*)$/.exec(cold.how)?.[1];
    if (earlier) {
      fs.rmSync(earlier);
      cold = glyphLoad(args, spec, text);
    }
    const imagePath = /image written to (.*)$/.exec(cold.how)?.[1];
    const source = imagePath ? imagePath.replace(/\.glyph-cache$/, "") : spec;
    const loads = [], walls = [];
    for (let i = 0; i < args.runs; ++i) {
      let warm;
      walls.push(wallOf(() => { warm = glyphLoad(args, spec, text); }));
      if (!warm.how.startsWith("compiled image")) throw new Error(`warm run did not use the image: ${warm.how}`);
      loads.push(warm.load);
    }
    const hf = [], lenml = [];
    for (let i = 0; i < args.runs; ++i) hf.push(wallOf(() => Tokenizer.fromFile(source)));
    for (let i = 0; i < Math.min(args.runs, 3); ++i) lenml.push(wallOf(() => loadReference(source)));
    const mb = (f) => (fs.statSync(f).size / 1e6).toFixed(1);
    console.log(`| ${path.relative(repo, source)} | ${mb(source)} | ${ms(cold.load)} | **${ms(median(loads))}** | ${ms(median(walls))} | ${ms(median(hf))} | ${ms(median(lenml))} | ${imagePath ? mb(imagePath) : "n/a"} |`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

main();
