// Shared by the serve end-to-end scripts: start glyph serve and the OCR test
// server on free loopback ports, stop them, and fail with one clear line.
import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export const SKIP = 77;  // CTest's skip code (SKIP_RETURN_CODE)

export function parseArgs(argv) {
  const args = {};
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) throw new Error("unexpected argument " + a);
    const next = argv[i + 1];
    if (next === undefined || next.startsWith("--")) args[a.slice(2)] = true;
    else {
      args[a.slice(2)] = next;
      i++;
    }
  }
  return args;
}

// Starts `command args`, resolves with { proc, url } once a stdout line
// matches `pattern` (its first group is the URL).
export function startServer(command, args, pattern, label, timeoutMs = 60000) {
  return new Promise((resolve, reject) => {
    const proc = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(label + " did not start within " + timeoutMs + " ms: " + err.slice(-400)));
    }, timeoutMs);
    proc.stdout.on("data", (d) => {
      out += d;
      const m = out.match(pattern);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, url: m[1], stderr: () => err });
      }
    });
    proc.stderr.on("data", (d) => {
      err += d;
      if (err.length > 1 << 20) err = err.slice(-(1 << 19));
    });
    proc.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(label + " exited with " + code + " before it listened: " + err.slice(-400)));
    });
  });
}

export function startGlyph(glyph, extraArgs) {
  return startServer(glyph, ["serve", "--port", "0", ...extraArgs], /listening on (http:\/\/\S+)/, "glyph serve");
}

export function startOcrServer(binary, extraArgs = []) {
  return startServer(binary, ["--port", "0", ...extraArgs], /listening on (http:\/\/\S+)/, "ocr_test_server");
}

export async function stop(server) {
  if (!server || server.proc.exitCode !== null) return;
  const exited = new Promise((r) => server.proc.on("exit", r));
  server.proc.kill("SIGTERM");
  const timer = setTimeout(() => server.proc.kill("SIGKILL"), 15000);
  await exited;
  clearTimeout(timer);
}

// A port nothing listens on: bind one, note it, close it.
export async function deadPort() {
  const net = await import("node:net");
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
}

// The bundled sample with one needle sentence in its middle.
export function needleDocument(repo, key, value) {
  const sample = fs.readFileSync(path.join(repo, "samples/novel_excerpt.txt"), "utf8");
  const cut = sample.indexOf("\n", Math.floor(sample.length / 2)) + 1;
  return sample.slice(0, cut) + "The special magic number for " + key + " is " + value + ".\n" + sample.slice(cut);
}

export function glyphStats(glyph, text, extraArgs = []) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "glyph-stats-"));
  const file = path.join(dir, "input.txt");
  fs.writeFileSync(file, text);
  try {
    return JSON.parse(execFileSync(glyph, ["stats", file, "--json", ...extraArgs], { encoding: "utf8" }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function check(condition, message) {
  if (!condition) throw new Error(message);
}
