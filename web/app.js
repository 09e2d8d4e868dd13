// glyph web app: render a text into pages, show what it costs, ask a VLM.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { info: null, render: null, renderAbort: null, renderSeq: 0, asking: false, pageIndex: 0 };

function formatNumber(n) {
  return Number(n).toLocaleString("en-US");
}

function formatBytes(n) {
  if (n >= 1 << 20) return (n / (1 << 20)).toFixed(n % (1 << 20) ? 1 : 0) + " MiB";
  if (n >= 1 << 10) return Math.round(n / (1 << 10)) + " KiB";
  return n + " B";
}

function apiHeaders(extra = {}) {
  const headers = { ...extra };
  const key = localStorage.getItem("glyph-api-key");
  if (key) headers.Authorization = "Bearer " + key;
  return headers;
}

// fetch, asking once for an API key when the server wants one.
async function apiFetch(path, options = {}) {
  let response = await fetch(path, { ...options, headers: apiHeaders(options.headers) });
  if (response.status === 401) {
    const key = window.prompt("This glyph server needs an API key:");
    if (key) {
      localStorage.setItem("glyph-api-key", key.trim());
      response = await fetch(path, { ...options, headers: apiHeaders(options.headers) });
    }
  }
  return response;
}

async function errorMessage(response) {
  try {
    const body = await response.json();
    if (body && body.error) return typeof body.error === "string" ? body.error : body.error.message;
  } catch (e) {
    // not JSON: fall through to the status line
  }
  return "HTTP " + response.status + " " + response.statusText;
}

function settings() {
  return {
    preset: $("preset").value,
    dpi: Number($("dpi").value),
    newline: $("newline").value,
    profile: $("profile").value,
  };
}

async function loadInfo() {
  const chip = $("endpoint-chip");
  try {
    const response = await fetch("/api/info");
    state.info = await response.json();
  } catch (e) {
    chip.textContent = "server unreachable";
    chip.className = "chip off";
    return;
  }
  const info = state.info;
  $("limit").textContent = formatBytes(info.max_text_bytes);
  const select = $("profile");
  for (const p of info.profiles) {
    const option = document.createElement("option");
    option.value = p.name;
    option.textContent = p.name + " — " + p.family;
    if (p.name === info.default_profile) option.selected = true;
    select.appendChild(option);
  }
  if (info.vlm_endpoint) {
    chip.textContent = info.text_endpoint ? "VLM + text endpoints configured" : "VLM endpoint configured";
    chip.className = "chip ok";
  } else {
    chip.textContent = "no VLM endpoint: render and count only";
    chip.className = "chip off";
    $("no-endpoint").hidden = false;
    $("start-hint").textContent = info.start_commands.join("\n");
    $("ask").disabled = true;
  }
  const compare = $("compare");
  compare.disabled = !info.text_endpoint;
  if (!info.text_endpoint) {
    compare.parentElement.classList.add("disabled");
    compare.parentElement.title = "Start glyph serve with --text-endpoint URL to compare";
  }
}

function showStats(stats) {
  $("s-chars").textContent = formatNumber(stats.characters);
  $("s-text").textContent = formatNumber(stats.text_tokens);
  $("s-vision").textContent = formatNumber(stats.vision_tokens);
  $("s-ratio").textContent = stats.ratio ? stats.ratio.toFixed(2) + "×" : "–";
  $("s-pages").textContent = formatNumber(stats.pages);
  $("s-ms").textContent = stats.cached ? "cached" : Math.round(stats.render_ms) + " ms";
  const most = Math.max(stats.text_tokens, stats.vision_tokens, 1);
  $("bar-text").style.width = (100 * stats.text_tokens / most) + "%";
  $("bar-vision").style.width = (100 * stats.vision_tokens / most) + "%";
  $("bar-text").textContent = formatNumber(stats.text_tokens);
  $("bar-vision").textContent = formatNumber(stats.vision_tokens);
  const saved = stats.text_tokens - stats.vision_tokens;
  const saving = $("saving");
  // A saving over pages of missing-glyph boxes is no saving: say so first.
  saving.className = "saving " + (saved > 0 && !stats.warning ? "good" : "bad");
  saving.textContent = (stats.warning ? "Warning: " + stats.warning + ". " : "") + (saved > 0
    ? "Pages save " + formatNumber(saved) + " tokens: " + Math.round(100 * saved / stats.text_tokens) + "% fewer than the text."
    : "Pages cost " + formatNumber(-saved) + " tokens more than the text: try a lower DPI or a longer text.");
  $("bars").hidden = false;
  $("stats-note").textContent =
    "Vision tokens priced for " + stats.profile + "; text tokens by the Qwen3 tokenizer" +
    (stats.cached ? ". These pages came from the cache." : ".");
}

function clearStats() {
  for (const id of ["s-chars", "s-text", "s-vision", "s-ratio", "s-pages", "s-ms"]) $(id).textContent = "–";
  $("bars").hidden = true;
  $("stats-note").textContent = "";
}

function showPages(result) {
  const gallery = $("gallery");
  gallery.replaceChildren();
  result.pages.forEach((page, index) => {
    const figure = document.createElement("figure");
    figure.className = "page";
    figure.tabIndex = 0;
    figure.dataset.index = index;
    const img = document.createElement("img");
    img.src = page.url;
    img.width = page.width;
    img.height = page.height;
    img.loading = index < 12 ? "eager" : "lazy";
    img.alt = "Page " + page.number;
    const caption = document.createElement("figcaption");
    caption.innerHTML = "<span>Page " + page.number + "</span><span>" + page.width + "×" + page.height +
      " px · " + formatNumber(page.vision_tokens) + " tok</span>";
    figure.append(img, caption);
    figure.addEventListener("click", () => openViewer(index));
    figure.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        openViewer(index);
      }
    });
    gallery.appendChild(figure);
  });
  const widths = new Set(result.pages.map((p) => p.width));
  const heights = new Set(result.pages.map((p) => p.height));
  const size = widths.size === 1 && heights.size === 1 ? [...widths][0] + "×" + [...heights][0] + " px"
    : "up to " + Math.max(...widths) + "×" + Math.max(...heights) + " px";
  const bytes = result.pages.reduce((sum, p) => sum + p.bytes, 0);
  $("page-count").textContent = result.pages.length + (result.pages.length === 1 ? " page" : " pages") +
    " · " + size + " · " + formatBytes(bytes) + " PNG";
  const download = $("download");
  download.href = result.zip;
  download.hidden = false;
}

async function render() {
  const text = $("text").value;
  const status = $("render-status");
  if (!text.trim()) {
    status.textContent = "Paste or open a text first.";
    return;
  }
  if (state.info && new Blob([text]).size > state.info.max_text_bytes) {
    status.innerHTML = "";
    status.className = "error";
    status.textContent = "The text is larger than this server's limit of " + formatBytes(state.info.max_text_bytes) + ".";
    return;
  }
  if (state.renderAbort) state.renderAbort.abort();
  const abort = new AbortController();
  state.renderAbort = abort;
  const seq = ++state.renderSeq;
  status.className = "muted";
  status.textContent = "Rendering…";
  $("render").disabled = true;
  try {
    const response = await apiFetch("/api/render", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ text, ...settings() }),
      signal: abort.signal,
    });
    if (!response.ok) throw new Error(await errorMessage(response));
    const result = await response.json();
    if (seq !== state.renderSeq) return;
    state.render = result;
    showStats(result.stats);
    showPages(result);
    status.textContent = "Rendered " + result.pages.length + (result.pages.length === 1 ? " page." : " pages.");
  } catch (e) {
    if (e.name === "AbortError") return;
    status.className = "error";
    status.textContent = "Render failed: " + e.message;
  } finally {
    if (seq === state.renderSeq) $("render").disabled = false;
  }
}

function scheduleRender() {
  clearTimeout(state.renderTimer);
  if ($("text").value.trim()) state.renderTimer = setTimeout(render, 350);
}

// Reads a text/event-stream body, calling onEvent with each JSON data payload.
async function readEvents(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const data = block.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trimStart()).join("\n");
      if (data) onEvent(JSON.parse(data));
    }
  }
}

// What a failed answer says first, by the server's error kind.
const headlines = {
  unreachable: "Cannot reach the endpoint (is it running?)",
  timeout: "The endpoint did not answer in time",
  "server-error": "The endpoint failed",
  rejected: "The endpoint rejected the request",
  "bad-reply": "The endpoint's reply was not understood",
  "truncated-stream": "The answer stopped before its end",
};

async function askOne(target, question, text) {
  const box = $("a-" + target);
  const timing = $("t-" + target);
  $("answer-" + target).hidden = false;
  box.textContent = "";
  box.className = "answer-text pending";
  timing.textContent = "waiting…";
  const start = performance.now();
  let first = null;
  let finished = false;
  try {
    const response = await apiFetch("/api/ask", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ text, question, target, ...settings() }),
    });
    if (!response.ok) throw new Error(await errorMessage(response));
    await readEvents(response, (event) => {
      if (event.delta !== undefined) {
        if (first === null) {
          first = performance.now() - start;
          timing.textContent = "first token " + Math.round(first) + " ms";
        }
        box.textContent += event.delta;
      } else if (event.error) {
        if (event.kind === "unreachable") {
          $("endpoint-chip").textContent = (target === "vision" ? "VLM" : "text") + " endpoint unreachable";
          $("endpoint-chip").className = "chip bad";
        }
        throw Object.assign(new Error(event.error), { headline: headlines[event.kind] || "The endpoint failed" });
      } else if (event.done) {
        finished = true;
      }
    });
    if (!finished) throw new Error("the answer stopped before its end");
    const total = performance.now() - start;
    timing.textContent = "first token " + (first === null ? "–" : Math.round(first) + " ms") +
      " · total " + Math.round(total) + " ms";
    box.className = "answer-text";
    if (!box.textContent) box.textContent = "(empty answer)";
  } catch (e) {
    box.className = "answer-text error";
    const head = document.createElement("strong");
    head.textContent = "Error: " + (e.headline || e.message);
    if (box.textContent) box.append("\n\n");
    box.append(head);
    if (e.headline) {
      const detail = document.createElement("span");
      detail.className = "error-detail";
      detail.textContent = e.message;
      box.append(detail);
    }
    timing.textContent = "failed after " + Math.round(performance.now() - start) + " ms";
  }
}

async function ask(event) {
  event.preventDefault();
  const question = $("question").value.trim();
  const text = $("text").value;
  if (state.info && !state.info.vlm_endpoint) {
    $("no-endpoint").hidden = false;
    return;
  }
  if (!question || !text.trim() || state.asking) {
    if (!text.trim()) $("render-status").textContent = "Paste or open a text first.";
    return;
  }
  state.asking = true;
  $("ask").disabled = true;
  const compare = $("compare").checked && !$("compare").disabled;
  $("answers").hidden = false;
  $("answers").classList.toggle("pair", compare);
  $("answer-text").hidden = !compare;
  const jobs = [askOne("vision", question, text)];
  if (compare) jobs.push(askOne("text", question, text));
  await Promise.all(jobs);
  state.asking = false;
  $("ask").disabled = false;
}

async function openFile() {
  const file = $("file").files[0];
  if (!file) return;
  const status = $("render-status");
  if (state.info && file.size > state.info.max_text_bytes) {
    status.className = "error";
    status.textContent = file.name + " is " + formatBytes(file.size) + "; the limit is " +
      formatBytes(state.info.max_text_bytes) + ".";
    return;
  }
  $("text").value = await file.text();
  $("file-note").textContent = file.name + " · " + formatBytes(file.size);
  render();
}

function openViewer(index) {
  if (!state.render) return;
  const pages = state.render.pages;
  state.pageIndex = Math.max(0, Math.min(index, pages.length - 1));
  const page = pages[state.pageIndex];
  $("viewer-img").src = page.url;
  $("viewer-img").alt = "Page " + page.number;
  $("viewer-title").textContent = "Page " + page.number + " of " + pages.length + " · " + page.width + "×" + page.height + " px";
  $("viewer-prev").disabled = state.pageIndex === 0;
  $("viewer-next").disabled = state.pageIndex === pages.length - 1;
  const dialog = $("viewer");
  if (!dialog.open) dialog.showModal();
}

function setup() {
  $("render").addEventListener("click", render);
  $("text").addEventListener("paste", () => setTimeout(scheduleRender, 0));
  $("text").addEventListener("input", () => {
    if (!$("text").value.trim()) clearStats();
  });
  for (const id of ["preset", "dpi", "newline", "profile"]) $(id).addEventListener("change", scheduleRender);
  $("file").addEventListener("change", openFile);
  $("ask-form").addEventListener("submit", ask);
  $("zoom").addEventListener("input", (e) => $("gallery").style.setProperty("--thumb", e.target.value + "px"));
  $("viewer-close").addEventListener("click", () => $("viewer").close());
  $("viewer-prev").addEventListener("click", () => openViewer(state.pageIndex - 1));
  $("viewer-next").addEventListener("click", () => openViewer(state.pageIndex + 1));
  $("viewer").addEventListener("click", (e) => {
    if (e.target === $("viewer")) $("viewer").close();
  });
  document.addEventListener("keydown", (e) => {
    const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName);
    if ((e.ctrlKey || e.metaKey) && e.key === "Enter") {
      e.preventDefault();
      render();
    } else if ($("viewer").open && (e.key === "ArrowRight" || e.key === "ArrowLeft")) {
      e.preventDefault();
      openViewer(state.pageIndex + (e.key === "ArrowRight" ? 1 : -1));
    } else if (e.key === "/" && !typing) {
      e.preventDefault();
      $("question").focus();
    }
  });
  loadInfo();
}

setup();
