// A small OpenAI/vLLM-style upstream for the proxy's end-to-end tests, in
// process: chat completions, completions, responses (each plain and
// streamed), embeddings, models (with max_model_len), tokenize/detokenize,
// health, and fault routes (429 with Retry-After, a chunked body without a
// length). It records every request, and its replies describe what it was
// sent (image parts, text parts), so a test can see what the proxy forwarded.
import http from "node:http";

export function startTestUpstream({ maxModelLen = 32768, model = "test-vlm" } = {}) {
  const requests = [];
  let created = 1700000000;

  // What a chat or responses request carried: images and text parts, in order.
  const describe = (messages) => {
    const seen = { images: 0, texts: [], roles: [] };
    for (const m of messages || []) {
      if (!m || typeof m !== "object") continue;
      seen.roles.push(m.role);
      const parts = typeof m.content === "string" ? [{ type: "text", text: m.content }] : m.content || [];
      for (const p of parts) {
        if (p.type === "image_url" || p.type === "input_image") seen.images++;
        else if (p.type === "text" || p.type === "input_text") seen.texts.push(p.text);
      }
    }
    return seen;
  };
  const summary = (seen) => `images=${seen.images} texts=${JSON.stringify(seen.texts)}`;
  const usage = (n) => ({ prompt_tokens: n, completion_tokens: 3, total_tokens: n + 3 });

  const sse = (res, events, named = false) => {
    res.writeHead(200, { "Content-Type": "text/event-stream", "X-Request-Id": "req-stream" });
    for (const e of events) {
      if (named) res.write(`event: ${e.type}\n`);
      res.write(`data: ${typeof e === "string" ? e : JSON.stringify(e)}\n\n`);
    }
    res.end();
  };
  const json = (res, status, body, headers = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text),
      "X-Request-Id": "req-" + requests.length, ...headers });
    res.end(text);
  };

  const routes = {
    "GET /v1/models": (req, res) => json(res, 200, { object: "list",
      data: [{ id: model, object: "model", created, owned_by: "test", max_model_len: maxModelLen }] }),
    "GET /health": (req, res) => { res.writeHead(200); res.end(); },
    "POST /v1/chat/completions": (req, res, body) => {
      const seen = describe(body.messages);
      const content = summary(seen);
      const id = "chatcmpl-1";
      if (!body.stream) {
        return json(res, 200, { id, object: "chat.completion", created, model: body.model,
          choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
          usage: usage(seen.images * 100 + seen.texts.join("").length) });
      }
      const chunk = (delta, finish = null) => ({ id, object: "chat.completion.chunk", created, model: body.model,
        choices: [{ index: 0, delta, finish_reason: finish }] });
      const events = [chunk({ role: "assistant", content: "" }), chunk({ content: content.slice(0, 8) }),
        chunk({ content: content.slice(8) }, "stop")];
      if (body.stream_options && body.stream_options.include_usage)
        events.push({ id, object: "chat.completion.chunk", created, model: body.model, choices: [], usage: usage(7) });
      events.push("[DONE]");
      sse(res, events);
    },
    "POST /v1/completions": (req, res, body) => {
      const id = "cmpl-1";
      const text = " echo:" + String(body.prompt).slice(0, 40);
      if (!body.stream)
        return json(res, 200, { id, object: "text_completion", created, model: body.model,
          choices: [{ index: 0, text, logprobs: null, finish_reason: "length" }], usage: usage(5) });
      sse(res, [...text].map((c) => ({ id, object: "text_completion", created, model: body.model,
        choices: [{ index: 0, text: c, logprobs: null, finish_reason: null }] })).concat(["[DONE]"]));
    },
    "POST /v1/responses": (req, res, body) => {
      const input = typeof body.input === "string" ? [{ role: "user", content: body.input }] : body.input;
      const text = summary(describe(input));
      const id = "resp_1";
      const response = { id, object: "response", created_at: created, status: "completed", model: body.model,
        output: [{ type: "message", id: "msg_1", status: "completed", role: "assistant",
          content: [{ type: "output_text", text, annotations: [] }] }],
        usage: { input_tokens: 11, output_tokens: 3, total_tokens: 14 } };
      if (!body.stream) return json(res, 200, response);
      sse(res, [
        { type: "response.created", sequence_number: 0, response: { ...response, status: "in_progress", output: [], usage: null } },
        { type: "response.output_text.delta", sequence_number: 1, item_id: "msg_1", output_index: 0, content_index: 0, delta: text },
        { type: "response.completed", sequence_number: 2, response },
      ], true);
    },
    "POST /v1/embeddings": (req, res, body) => {
      const inputs = Array.isArray(body.input) ? body.input : [body.input];
      const data = inputs.map((s, index) => {
        const v = [String(s).length / 100, 0.25, -0.5, 0.125];
        const embedding = body.encoding_format === "base64"
          ? Buffer.from(new Float32Array(v).buffer).toString("base64") : v;
        return { object: "embedding", index, embedding };
      });
      json(res, 200, { object: "list", data, model: body.model, usage: { prompt_tokens: 4, total_tokens: 4 } });
    },
    "POST /tokenize": (req, res, body) => {
      const tokens = [...String(body.prompt || "")].map((c) => c.codePointAt(0));
      json(res, 200, { count: tokens.length, max_model_len: maxModelLen, tokens });
    },
    "POST /detokenize": (req, res, body) =>
      json(res, 200, { prompt: String.fromCodePoint(...(body.tokens || [])) }),
    "GET /busy": (req, res) => json(res, 429, { error: { message: "slow down", type: "rate_limit" } }, { "Retry-After": "7" }),
    "GET /chunked": (req, res) => {
      res.writeHead(200, { "Content-Type": "application/octet-stream" });
      let i = 0;
      const tick = () => {
        if (i === 5) return res.end();
        res.write(`part ${i++};`);
        setTimeout(tick, 20);
      };
      tick();
    },
  };

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      let body = {};
      try {
        body = raw ? JSON.parse(raw) : {};
      } catch {
        body = { unparsed: raw };
      }
      const path = req.url.split("?")[0];
      requests.push({ method: req.method, url: req.url, headers: req.headers, body });
      const route = routes[req.method + " " + path];
      if (!route) return json(res, 404, { error: { message: "no route " + req.method + " " + path, type: "not_found" } });
      route(req, res, body);
    });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const url = "http://127.0.0.1:" + server.address().port;
      resolve({ url, requests, close: () => new Promise((r) => server.close(r)) });
    });
  });
}
