// Reference token ids for glyph's tokenizer tests: encodes each FILE with
// @lenml/tokenizers (the transformers.js tokenizer, which mirrors Hugging
// Face's) and prints one line of space-separated ids per file.
//   node tests/tools/reference_tokenize.mjs --tokenizer tokenizer.json FILE...
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

function main(argv) {
  const files = [];
  let tokenizerPath = null;
  for (let i = 0; i < argv.length; ++i) {
    if (argv[i] === "--tokenizer") tokenizerPath = argv[++i];
    else files.push(argv[i]);
  }
  if (!tokenizerPath || files.length === 0) {
    process.stderr.write("usage: reference_tokenize.mjs --tokenizer tokenizer.json FILE...\n");
    process.exit(2);
  }
  const tokenizer = loadReference(tokenizerPath);
  for (const file of files) {
    const ids = tokenizer.encode(fs.readFileSync(file, "utf8"), { add_special_tokens: false });
    process.stdout.write(ids.join(" ") + "\n");
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main(process.argv.slice(2));
