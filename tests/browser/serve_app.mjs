// The glyph serve web app in a real browser (Debian chromium driven by
// playwright-core): paste a long text, pages appear, the stats equal
// `glyph stats`, zoom / viewer / zip download work, a question gets its
// streamed answer from the OCR test server (alone and side by side with the
// text-only endpoint), a dead endpoint and a missing one are shown plainly,
// and the layout holds at phone width. Screenshots go to --out.
//   node tests/browser/serve_app.mjs --glyph build/glyph --ocr-server build/tests/ocr_test_server [--out DIR]
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  SKIP, parseArgs, startGlyph, startOcrServer, stop, deadPort, needleDocument, glyphStats, check,
} from "./harness.mjs";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const args = parseArgs(process.argv);
const chromiumPath = "/usr/bin/chromium";
const shots = path.resolve(args.out || "serve-browser-shots");

if (!args.glyph || !args["ocr-server"]) {
  console.error("usage: serve_app.mjs --glyph PATH --ocr-server PATH [--out DIR]");
  process.exit(2);
}
if (!fs.existsSync(chromiumPath)) {
  console.log("SKIP: " + chromiumPath + " is missing (scripts/setup.sh installs it)");
  process.exit(SKIP);
}
let chromium;
try {
  ({ chromium } = await import(path.join(repo, "node_modules/playwright-core/index.mjs")));
} catch (e) {
  console.log("SKIP: playwright-core is not installed (npm install at the repository root)");
  process.exit(SKIP);
}

const NEEDLE_KEY = "Lisbon";
const NEEDLE_VALUE = "4817";
const QUESTION = "What is the special magic number for " + NEEDLE_KEY + "?";
const number = (s) => Number(String(s).replace(/[^0-9.]/g, ""));

const servers = [];
let context;
const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "glyph-chromium-"));
const report = {};

async function shot(page, name) {
  const file = path.join(shots, name + ".png");
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

// Puts the text in the textarea as a paste would and waits for the gallery.
async function pasteAndWaitForPages(page, text) {
  const start = Date.now();
  await page.locator("#text").fill(text);
  await page.locator("#text").dispatchEvent("paste");
  await page.waitForFunction(() => {
    const imgs = [...document.querySelectorAll("#gallery .page img")];
    return imgs.length > 0 && imgs.slice(0, 4).every((i) => i.complete && i.naturalWidth > 0);
  }, null, { timeout: 60000 });
  return Date.now() - start;
}

async function waitForAnswer(page, target) {
  await page.waitForFunction((t) => {
    const box = document.getElementById("a-" + t);
    return box && !box.classList.contains("pending") && box.textContent.length > 0;
  }, target, { timeout: 180000 });
  return {
    text: await page.locator("#a-" + target).textContent(),
    timing: await page.locator("#t-" + target).textContent(),
    error: await page.locator("#a-" + target).evaluate((e) => e.classList.contains("error")),
  };
}

try {
  fs.mkdirSync(shots, { recursive: true });
  const ocr = await startOcrServer(args["ocr-server"], ["--ocr-threads", String(Math.min(4, os.cpus().length))]);
  servers.push(ocr);
  const live = await startGlyph(args.glyph, ["--upstream", ocr.url, "--text-endpoint", ocr.url, "--quiet"]);
  servers.push(live);
  const dead = "http://127.0.0.1:" + (await deadPort()) + "/v1";
  const broken = await startGlyph(args.glyph, ["--upstream", dead, "--text-endpoint", dead, "--quiet"]);
  servers.push(broken);
  const bare = await startGlyph(args.glyph, ["--quiet"]);
  servers.push(bare);

  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1280, height: 900 },
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const docText = needleDocument(repo, NEEDLE_KEY, NEEDLE_VALUE);

  // 1. Paste: pages appear and the stats are glyph stats' numbers.
  const page = context.pages()[0] || (await context.newPage());
  await page.goto(live.url + "/");
  await page.waitForFunction(() => document.getElementById("endpoint-chip").textContent.includes("configured"));
  report.paste_to_pages_ms = await pasteAndWaitForPages(page, docText);
  const expected = glyphStats(args.glyph, docText, ["--preset", "en"]);
  const profile = expected.profiles.find((p) => p.profile === "glm-4.1v");
  const shown = {
    chars: number(await page.locator("#s-chars").textContent()),
    text: number(await page.locator("#s-text").textContent()),
    vision: number(await page.locator("#s-vision").textContent()),
    pages: number(await page.locator("#s-pages").textContent()),
    ratio: (await page.locator("#s-ratio").textContent()).trim(),
  };
  check(shown.chars === expected.chars, `characters: page shows ${shown.chars}, glyph stats says ${expected.chars}`);
  check(shown.text === expected.text_tokens, `text tokens: page ${shown.text}, glyph stats ${expected.text_tokens}`);
  check(shown.vision === profile.vision_tokens, `vision tokens: page ${shown.vision}, glyph stats ${profile.vision_tokens}`);
  check(shown.pages === expected.page_count, `pages: page ${shown.pages}, glyph stats ${expected.page_count}`);
  check(shown.ratio === profile.compression_ratio.toFixed(2) + "×", `ratio: page ${shown.ratio}, glyph stats ${profile.compression_ratio}`);
  check((await page.locator("#gallery .page").count()) === expected.page_count, "gallery page count differs from the stats");
  check((await page.locator("#page-count").textContent()).includes(expected.page_count + " pages"), "page count label missing");
  report.stats = shown;
  await shot(page, "desktop-rendered");

  // 2. Zoom, the page viewer with the keyboard, the zip download.
  const narrow = await page.locator("#gallery .page").first().boundingBox();
  await page.locator("#zoom").fill("600");
  const wide = await page.locator("#gallery .page").first().boundingBox();
  check(wide.width > narrow.width * 1.5, `zoom did not enlarge pages (${narrow.width} -> ${wide.width})`);
  await page.locator("#zoom").fill("220");
  await page.locator("#gallery .page").first().focus();
  await page.keyboard.press("Enter");
  await page.waitForSelector("#viewer[open]");
  await page.keyboard.press("ArrowRight");
  check((await page.locator("#viewer-title").textContent()).startsWith("Page 2 of"), "ArrowRight did not move to page 2");
  await page.waitForFunction(() => document.getElementById("viewer-img").naturalWidth > 0);
  await shot(page, "desktop-viewer");
  await page.keyboard.press("Escape");
  await page.waitForFunction(() => !document.getElementById("viewer").open);
  const [download] = await Promise.all([page.waitForEvent("download"), page.locator("#download").click()]);
  const zipPath = path.join(shots, "pages.zip");
  await download.saveAs(zipPath);
  const zip = fs.readFileSync(zipPath);
  check(zip.subarray(0, 4).toString("latin1") === "PK\x03\x04", "the download is not a zip");
  check(zip.includes(Buffer.from("page_001.png")) && zip.includes(Buffer.from("manifest.json")), "zip lacks pages or manifest");
  report.zip_bytes = zip.length;

  // 3. Ask: the streamed answer from the OCR test server, then side by side.
  // Two pages around the needle keep the OCR reading short.
  const needleAt = docText.indexOf("The special magic number");
  const askText = docText.slice(Math.max(0, needleAt - 6000), needleAt + 3000);
  await pasteAndWaitForPages(page, askText);
  await page.locator("#gallery .page").first().focus();  // "/" outside text fields
  await page.keyboard.press("/");
  check(await page.locator("#question").evaluate((e) => e === document.activeElement), "/ did not focus the question");
  await page.keyboard.type(QUESTION);
  await page.keyboard.press("Enter");
  const alone = await waitForAnswer(page, "vision");
  check(!alone.error && alone.text.includes(NEEDLE_VALUE), "vision answer lacks the needle: " + alone.text);
  check(/first token \d+ ms · total \d+ ms/.test(alone.timing), "timing not shown: " + alone.timing);
  check(await page.locator("#answer-text").isHidden(), "text-only answer shown without side-by-side");
  report.vision_answer = alone;

  await page.locator("#compare").check();
  await page.locator("#ask").click();
  const [vision, text] = await Promise.all([waitForAnswer(page, "vision"), waitForAnswer(page, "text")]);
  check(!vision.error && vision.text.includes(NEEDLE_VALUE), "side-by-side vision answer: " + vision.text);
  check(!text.error && text.text.includes(NEEDLE_VALUE), "side-by-side text answer: " + text.text);
  check(/total \d+ ms/.test(vision.timing) && /total \d+ ms/.test(text.timing), "side-by-side timings missing");
  report.side_by_side = { vision, text };
  await shot(page, "desktop-side-by-side");

  // 4. Phone width: one column, nothing wider than the screen.
  const phone = await context.newPage();
  await phone.setViewportSize({ width: 390, height: 844 });
  await phone.goto(live.url + "/");
  await pasteAndWaitForPages(phone, docText);
  const overflow = await phone.evaluate(() => document.scrollingElement.scrollWidth - window.innerWidth);
  check(overflow <= 1, `page is ${overflow}px wider than a phone screen`);
  await shot(phone, "phone-rendered");
  await phone.close();

  // 5. A dead endpoint: the error is shown in each answer box.
  const deadPage = await context.newPage();
  await deadPage.goto(broken.url + "/");
  await pasteAndWaitForPages(deadPage, docText.slice(0, 5000));
  await deadPage.locator("#compare").check();
  await deadPage.locator("#question").fill(QUESTION);
  await deadPage.keyboard.press("Enter");
  const [deadVision, deadText] = await Promise.all([waitForAnswer(deadPage, "vision"), waitForAnswer(deadPage, "text")]);
  check(deadVision.error && /Error: .*(connect|unreachable|refused)/i.test(deadVision.text), "dead endpoint not reported: " + deadVision.text);
  check(deadText.error, "dead text endpoint not reported: " + deadText.text);
  check(deadVision.timing.startsWith("failed after"), "failure timing missing: " + deadVision.timing);
  report.dead_endpoint = deadVision.text;
  await shot(deadPage, "desktop-dead-endpoint");
  await deadPage.close();

  // 6. No endpoint: rendering and counting work, asking says what to start.
  const barePage = await context.newPage();
  await barePage.goto(bare.url + "/");
  await barePage.waitForSelector("#no-endpoint:not([hidden])");
  check((await barePage.locator("#no-endpoint").textContent()).includes("Asking needs a VLM endpoint"),
    "the no-endpoint notice does not say that asking needs an endpoint");
  check((await barePage.locator("#start-hint").textContent()).includes("glyph serve --upstream"), "start command not shown");
  check(await barePage.locator("#ask").isDisabled(), "Ask is enabled without an endpoint");
  check(await barePage.locator("#compare").isDisabled(), "side-by-side is enabled without a text endpoint");
  await pasteAndWaitForPages(barePage, docText);
  check(number(await barePage.locator("#s-text").textContent()) === expected.text_tokens, "stats differ without an endpoint");
  await shot(barePage, "desktop-no-endpoint");
  await barePage.close();

  console.log(JSON.stringify({ ok: true, screenshots: shots, ...report }, null, 1));
} catch (e) {
  console.error("FAIL: " + e.message);
  process.exitCode = 1;
} finally {
  if (context) await context.close().catch(() => {});
  for (const s of servers.reverse()) await stop(s);
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
