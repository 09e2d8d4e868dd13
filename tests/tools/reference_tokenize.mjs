// Reference token ids for glyph's tokenizer tests: encodes each FILE with
// @lenml/tokenizers (the transformers.js tokenizer, which mirrors Hugging
// Face's) and prints one line of space-separated ids per file.
//   node tests/tools/reference_tokenize.mjs [--hf] [--decode] --tokenizer tokenizer.json FILE...
// --hf uses Hugging Face's native tokenizer instead (npm `tokenizers`, the
// Rust library), the reference where transformers.js leaves a setting out
// (Metaspace's `split`, and its prepend_scheme without add_prefix_space).
// --decode adds, after each file's ids, a line with the JSON string that
// decode(ids, skip_special_tokens) gives (no tokenization-space clean-up).
// Files are read as UTF-8 the way Node reads them (invalid bytes -> U+FFFD);
// no special tokens are added (encode(text, {add_special_tokens: false})).
import fs from "node:fs";
import path from "node:path";
import { TokenizerLoader } from "@lenml/tokenizers";

export function loadReference(tokenizerPath) {
  const tokenizerJSON = JSON.parse(fs.readFileSync(tokenizerPath, "utf8"));
  const configPath = path.join(path.dirname(tokenizerPath), "tokenizer_config.json");
  const tokenizerConfig = fs.existsSync(configPath) ? JSON.parse(fs.readFileSync(configPath, "utf8")) : {};
  return TokenizerLoader.fromPreTrained({ tokenizerJSON, tokenizerConfig });
}

// Both references behind one interface: ids of a text, text of ids.
async function loadEngine(tokenizerPath, native) {
  if (!native) {
    const tokenizer = loadReference(tokenizerPath);
    return {
      encode: async (text) => tokenizer.encode(text, { add_special_tokens: false }),
      decode: async (ids) =>
        ids.length === 0 ? "" : tokenizer.decode(ids, { skip_special_tokens: true, clean_up_tokenization_spaces: false }),
    };
  }
  const { Tokenizer } = await import("tokenizers");
  const tokenizer = Tokenizer.fromFile(tokenizerPath);
  return {
    encode: async (text) => Array.from((await tokenizer.encode(text, null, { addSpecialTokens: false })).getIds()),
    decode: async (ids) => tokenizer.decode(ids, true),
  };
}

async function main(argv) {
  const files = [];
  let tokenizerPath = null, native = false, decode = false;
  for (let i = 0; i < argv.length; ++i) {
    if (argv[i] === "--tokenizer") tokenizerPath = argv[++i];
    else if (argv[i] === "--hf") native = true;
    else if (argv[i] === "--decode") decode = true;
    else files.push(argv[i]);
  }
  if (!tokenizerPath || files.length === 0) {
    process.stderr.write("usage: reference_tokenize.mjs [--hf] [--decode] --tokenizer tokenizer.json FILE...\n");
    process.exit(2);
  }
  const engine = await loadEngine(tokenizerPath, native);
  for (const file of files) {
    const ids = await engine.encode(fs.readFileSync(file, "utf8"));
    process.stdout.write(ids.join(" ") + "\n");
    if (decode) process.stdout.write(JSON.stringify(await engine.decode(ids)) + "\n");
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main(process.argv.slice(2));
