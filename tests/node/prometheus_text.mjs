// A strict parser of Prometheus' text exposition format (0.0.4), for tests:
// every line is a comment, a HELP/TYPE line or a sample; metric and label
// names, label-value escapes and numbers are checked; every sample belongs to
// a family declared by TYPE before it (histogram samples by their _bucket /
// _sum / _count suffix), no family is declared twice, and a histogram's
// buckets are cumulative, end with le="+Inf" and agree with its _count.
// Throws an Error naming the line for anything else.
const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

function parseValue(text, where) {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (text === "NaN") return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(where + ": bad value " + JSON.stringify(text));
  return Number(text);
}

function parseLabels(text, where) {
  const labels = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf("=", i);
    if (eq < 0) throw new Error(where + ": label without '='");
    const name = text.slice(i, eq);
    if (!LABEL.test(name)) throw new Error(where + ": bad label name " + JSON.stringify(name));
    if (name in labels) throw new Error(where + ": label " + name + " twice");
    if (text[eq + 1] !== '"') throw new Error(where + ": label value not quoted");
    let value = "";
    let j = eq + 2;
    for (;; j++) {
      if (j >= text.length) throw new Error(where + ": unterminated label value");
      const c = text[j];
      if (c === '"') break;
      if (c === "\\") {
        const n = text[++j];
        if (n === "n") value += "\n";
        else if (n === "\\" || n === '"') value += n;
        else throw new Error(where + ": bad escape \\" + n);
      } else value += c;
    }
    labels[name] = value;
    i = j + 1;
    if (i < text.length) {
      if (text[i] !== ",") throw new Error(where + ": expected ',' between labels");
      i++;
    }
  }
  return labels;
}

export function parsePrometheusText(text) {
  const families = new Map();
  let current = null;
  const family = (name) => {
    for (const suffix of ["_bucket", "_sum", "_count", ""]) {
      if (!name.endsWith(suffix)) continue;
      const f = families.get(name.slice(0, name.length - suffix.length));
      if (f && (suffix === "" || f.type === "histogram" || f.type === "summary")) return f;
    }
    return null;
  };
  if (text.length && !text.endsWith("\n")) throw new Error("the exposition does not end with a newline");
  text.split("\n").slice(0, -1).forEach((line, index) => {
    const where = "line " + (index + 1);
    if (line.startsWith("#")) {
      const m = line.match(/^# (HELP|TYPE) (\S+)(?: (.*))?$/);
      if (!m) return;  // a plain comment
      if (!NAME.test(m[2])) throw new Error(where + ": bad metric name " + m[2]);
      if (m[1] === "TYPE") {
        if (!TYPES.has(m[3])) throw new Error(where + ": bad type " + m[3]);
        if (families.has(m[2]) && families.get(m[2]).type) throw new Error(where + ": " + m[2] + " declared twice");
        const f = families.get(m[2]) || { name: m[2], samples: [] };
        f.type = m[3];
        families.set(m[2], f);
        current = f;
      } else if (!families.has(m[2])) families.set(m[2], { name: m[2], help: m[3] || "", samples: [] });
      return;
    }
    if (line.trim() === "") throw new Error(where + ": empty line");
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/);
    if (!m) throw new Error(where + ": not a sample: " + JSON.stringify(line));
    const f = family(m[1]);
    if (!f || !f.type) throw new Error(where + ": sample " + m[1] + " before its TYPE");
    if (f !== current) throw new Error(where + ": sample " + m[1] + " outside its family's block");
    f.samples.push({ name: m[1], labels: m[2] ? parseLabels(m[2], where) : {}, value: parseValue(m[3], where) });
  });
  for (const f of families.values()) {
    if (f.type === "counter") for (const s of f.samples) if (!(s.value >= 0)) throw new Error(f.name + ": negative counter");
    if (f.type !== "histogram") continue;
    const buckets = f.samples.filter((s) => s.name === f.name + "_bucket");
    const countSample = f.samples.find((s) => s.name === f.name + "_count");
    if (!buckets.length || !countSample || !f.samples.find((s) => s.name === f.name + "_sum"))
      throw new Error(f.name + ": histogram without buckets, _sum or _count");
    let last = -Infinity, lastCount = 0;
    for (const b of buckets) {
      const le = parseValue(b.labels.le, f.name + " le");
      if (!(le > last) || b.value < lastCount) throw new Error(f.name + ": buckets not cumulative in order");
      last = le;
      lastCount = b.value;
    }
    if (last !== Infinity || lastCount !== countSample.value) throw new Error(f.name + ": +Inf bucket differs from _count");
  }
  return families;
}
