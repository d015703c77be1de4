// "Talk to this agent" in headless Chromium (Debian's) with a fake microphone, against a real running server.
// Started by devtools/src/test/java/io/switchboard/app/TalkConsoleEndToEndTest.java, which sets:
//   SWITCHBOARD_URL      the server's base URL (the console is at /console/)
//   SWITCHBOARD_API_KEY  a key of the agent's organisation that may place calls
//   SWITCHBOARD_AGENT_ID the agent to talk to
//   FAKE_MIC_WAV         what the microphone hears (Chromium plays it once from the moment it is opened)
//   SCREENSHOT_DIR       where the screenshot of the finished conversation goes
// Prints CALL_ID=<id> of the stored call and exits 0 when every step passed; else prints the failed step, exits 1.
import { chromium } from "playwright-core";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const env = (name, fallback) => {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`${name} is not set`);
  return v;
};
const base = env("SWITCHBOARD_URL").replace(/\/$/, "");
const apiKey = env("SWITCHBOARD_API_KEY");
const agentId = env("SWITCHBOARD_AGENT_ID");
const wav = env("FAKE_MIC_WAV");
const shots = env("SCREENSHOT_DIR", "target/talk-screenshots");
const browserPath = env("CHROMIUM", "/usr/bin/chromium");
mkdirSync(shots, { recursive: true });

const started = Date.now();
const log = (msg) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${msg}`);
const check = (ok, msg) => {
  if (!ok) throw new Error(msg);
};

const profile = mkdtempSync(join(tmpdir(), "switchboard-talk-chromium-"));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: browserPath,
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required",
    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
    `--use-file-for-fake-audio-capture=${wav}%noloop`],
  viewport: { width: 1366, height: 900 },
});
const page = browser.pages()[0] ?? (await browser.newPage());
page.setDefaultTimeout(15000);
const pageErrors = [];
page.on("pageerror", (e) => pageErrors.push(String(e)));
page.on("console", (m) => m.type() === "error" && !/Failed to load resource/.test(m.text()) && pageErrors.push(m.text()));

// the socket's traffic, summarised, for the log of a failed run
page.on("websocket", (ws) => {
  let down = 0;
  let up = 0;
  log(`socket ${ws.url().replace(/token=.*/, "token=…")}`);
  ws.on("framereceived", (f) => {
    if (typeof f.payload === "string") log(`down ${f.payload.slice(0, 100)}`);
    else if (++down % 50 === 1) log(`down audio frame #${down} (${f.payload.length} bytes)`);
  });
  ws.on("framesent", (f) => {
    if (typeof f.payload === "string") log(`up ${f.payload.slice(0, 100)}`);
    else if (++up % 250 === 1) log(`up audio frame #${up} (${f.payload.length} bytes)`);
  });
  ws.on("close", () => log("socket closed"));
});

let step = "start";
try {
  step = "sign in";
  await page.goto(base + "/console/");
  await page.fill("input[name=apiKey]", apiKey);
  await page.click("button[type=submit]");
  await page.locator("[data-testid=org-name]").waitFor();
  log(step);

  step = "the agent page offers to talk";
  await page.goto(`${base}/console/#/agents/${agentId}`);
  await page.locator("[data-testid=talk-start]").waitFor();
  log(step);

  step = "the call is accepted and the microphone is live";
  await page.click("[data-testid=talk-start]");
  await page.locator("[data-testid=talk-state][data-state=live]").waitFor({ timeout: 20000 });
  // the meter is there; its bar is 0 px wide (so "hidden" to Playwright) while the fake microphone plays silence
  await page.locator("[data-testid=talk-level]").waitFor({ state: "attached" });
  log(step);

  step = "the agent greets and the transcript shows it";
  await page.locator('[data-testid=talk-transcript] [data-speaker=agent]').first().waitFor({ timeout: 30000 });
  log(step);

  step = "the conversation runs until the agent hangs up";
  await page.locator("[data-testid=talk-state][data-state=ended], [data-testid=talk-state][data-state=failed]")
    .waitFor({ timeout: 120000 });
  const state = await page.locator("[data-testid=talk-state]").getAttribute("data-state");
  const lines = await page.locator("[data-testid=talk-transcript] li").allInnerTexts();
  log(`transcript:\n  ${lines.join("\n  ")}`);
  await page.screenshot({ path: join(shots, "talk-ended.png"), fullPage: true });
  check(state === "ended", `the call did not end normally: ${await page.locator("[data-testid=talk-state]").innerText()}`);
  log(`${step}: ${await page.locator("[data-testid=talk-state]").innerText()}`);

  step = "the page links to the stored call";
  const href = await page.locator("[data-testid=talk-call-link]").getAttribute("href");
  const id = href.replace(/^#\/calls\//, "");
  check(/^[0-9a-f-]{36}$/.test(id), `no call id in the link: ${href}`);
  check(pageErrors.length === 0, `errors on the page: ${pageErrors.join(" | ")}`);
  console.log(`CALL_ID=${id}`);
  await browser.close();
  process.exit(0);
} catch (e) {
  console.log(`FAILED at step "${step}": ${e.message}`);
  if (pageErrors.length) console.log(`page errors: ${pageErrors.join(" | ")}`);
  try {
    await page.screenshot({ path: join(shots, "talk-failed.png"), fullPage: true });
  } catch {
    // the browser is gone
  }
  await browser.close();
  process.exit(1);
}
