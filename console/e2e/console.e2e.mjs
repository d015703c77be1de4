// End-to-end test of the web console in headless Chromium (Debian's), against a real running server.
// Started by devtools/src/test/java/io/switchboard/app/ConsoleEndToEndTest.java, which sets:
//   SWITCHBOARD_URL          the server's base URL (the console is at /console/)
//   SWITCHBOARD_API_KEY      an owner key of a fresh organisation
//   SWITCHBOARD_CALL_ID      a finished call of that organisation, with recording, transcript and summary
//   SWITCHBOARD_LIVE_CALL_ID (optional) a call still streaming audio while this script runs
//   SWITCHBOARD_TALK_CALL_ID (optional) a finished call an agent spoke on (turns, a cut, latencies, variables)
//   SWITCHBOARD_CAMPAIGN_ID  (optional) the campaign that call belongs to
//   SWITCHBOARD_TEXT_TO      (optional) a contact's number the browser texts (a sender number exists, the carrier
//                            delivers) and SWITCHBOARD_OPTED_OUT a number that texted STOP
//   SWITCHBOARD_SENDER       (optional) that sender number: the agent's send_sms node sends from it
//   SWITCHBOARD_VIEWER_KEY   (optional) a viewer key of the same organisation, refused when it saves settings
//   SCREENSHOT_DIR           where the screenshots of every page go
// Exits 0 when every step passed; otherwise prints the failed step and exits 1.
import { chromium } from "playwright-core";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const env = (name, fallback) => {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`${name} is not set`);
  return v;
};
const base = env("SWITCHBOARD_URL").replace(/\/$/, "");
const apiKey = env("SWITCHBOARD_API_KEY");
const callId = env("SWITCHBOARD_CALL_ID");
const liveCallId = process.env.SWITCHBOARD_LIVE_CALL_ID ?? "";
const talkCallId = process.env.SWITCHBOARD_TALK_CALL_ID ?? "";
const campaignId = process.env.SWITCHBOARD_CAMPAIGN_ID ?? "";
const textTo = process.env.SWITCHBOARD_TEXT_TO ?? "";
const optedOut = process.env.SWITCHBOARD_OPTED_OUT ?? "";
const sender = process.env.SWITCHBOARD_SENDER ?? "";
const viewerKey = process.env.SWITCHBOARD_VIEWER_KEY ?? "";
const shots = env("SCREENSHOT_DIR", "target/console-screenshots");
const browserPath = env("CHROMIUM", "/usr/bin/chromium");
rmSync(shots, { recursive: true, force: true });
mkdirSync(shots, { recursive: true });

const started = Date.now();
const log = (msg) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${msg}`);
const check = (ok, msg) => {
  if (!ok) throw new Error(msg);
};

const profile = mkdtempSync(join(tmpdir(), "switchboard-e2e-chromium-"));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: browserPath,
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required"],
  viewport: { width: 1366, height: 900 },
});
const page = browser.pages()[0] ?? (await browser.newPage());
page.setDefaultTimeout(15000);
const pageErrors = [];
page.on("pageerror", (e) => pageErrors.push(String(e)));
page.on("console", (m) => m.type() === "error" && !/Failed to load resource/.test(m.text()) && pageErrors.push(m.text()));
const shot = async (name) => {
  await page.waitForTimeout(150); // let charts and fonts settle
  await page.screenshot({ path: join(shots, name + ".png"), fullPage: true });
  log(`screenshot ${name}.png`);
};
const nav = async (label) => {
  await page.click(`nav.sidebar a:text-is("${label}")`);
};

let step = "start";
try {
  step = "sign-in with a wrong key shows the server's refusal";
  await page.goto(base + "/");
  check(page.url().startsWith(base + "/console/"), `/ should lead to the console, got ${page.url()}`);
  await page.fill("input[name=apiKey]", "sb_wrong_key_123");
  await page.click("button[type=submit]");
  await page.locator('[data-testid=error]:has-text("UNAUTHENTICATED")').waitFor();
  await shot("01-sign-in");
  log(step);

  step = "sign-in with the organisation's key";
  await page.fill("input[name=apiKey]", apiKey);
  await page.click("button[type=submit]");
  await page.locator("[data-testid=org-name]").waitFor();
  log(`${step}: ${await page.locator("[data-testid=org-name]").innerText()}`);

  if (liveCallId) {
    step = "a live call's transcript streams in (WatchCall over grpc-web)";
    await page.goto(`${base}/console/#/calls/${liveCallId}`);
    await page.locator(".page-header .badge:text-is('live')").waitFor();
    await page.locator("[data-testid=transcript-line], [data-testid=transcript-partial]").first().waitFor({ timeout: 25000 });
    await shot("02-live-call");
    log(step);
  }

  step = "create an agent: a bad variable name is refused with its field violation, then saved";
  await nav("Agents");
  await page.click("a:text-is('New agent')");
  await page.fill("input[name=name]", "Renewals (e2e)");
  await page.fill("textarea[name=systemPrompt]", "You remind customers that their plan renews next month.");
  await page.click("[data-testid=add-variable]");
  await page.fill("input[name=var-name-0]", "Renewal Intent");
  await page.selectOption("select[name=var-type-0]", { label: "one of…" });
  await page.fill("input[name=var-enum-0]", "yes, no, maybe");
  await page.click("button:text-is('Create agent')");
  await page.locator('[data-testid=error]:has-text("INVALID_ARGUMENT")').waitFor();
  await page.locator('[data-testid=error]:has-text("agent.variables[0].name")').waitFor();
  await page.locator(".field.invalid .field-error:has-text('snake_case')").waitFor();
  await shot("03-agent-refused");
  await page.fill("input[name=var-name-0]", "renewal_intent");
  await page.click("button:text-is('Create agent')");
  await page.locator("[data-testid=saved]:has-text('version 1')").waitFor();
  await shot("03-agent-saved");
  log(step);

  step = "edit the agent's flow, voice and timing: a missing disposition is refused on its node, then saved";
  await page.locator("select[name=voice] option[value='flite:slt']").waitFor({ state: "attached" });
  await page.selectOption("select[name=voice]", "flite:slt");
  await page.fill("input[name=previewText]", "Your plan renews next month.");
  await page.click("[data-testid=voice-preview]");
  await page.waitForFunction(() => {
    const a = document.querySelector("audio[data-testid=voice-preview-audio]");
    return a && a.duration > 0.5;
  }, null, { timeout: 20000 });
  await page.click("[data-testid=add-node-ask]");
  await page.fill("input[name=node-prompt-0]", "Would you like to renew your plan?");
  await page.selectOption("select[name=node-variable-0]", "renewal_intent");
  await page.fill("textarea[name=node-choice-0-yes]", "sure\nof course");
  await page.click("[data-testid=add-node-end]");
  await page.selectOption("select[name=node-next-0]", "end_2");
  await page.fill("input[name=node-end-text-1]", "Thank you, goodbye.");
  await page.fill("input[name=minSilence]", "600");
  await page.click("[data-testid=add-node-say]"); // nothing leads to it
  await page.fill("textarea[name=node-say-2]", "Nobody hears this.");
  await page.selectOption("select[name=node-next-2]", "end_2");
  await page.click("button:text-is('Save new version')");
  await page.locator("[data-testid=flow-node][data-node-id=end_2].invalid .field-error:has-text('is required')").waitFor();
  await page.fill("input[name=node-disposition-1]", "renewal_answered");
  await page.click("button:text-is('Save new version')"); // the graph is checked once every node is complete
  await page.locator("[data-testid=flow-node][data-node-id=say_3].invalid [data-testid=node-problems]:has-text('unreachable')").waitFor();
  await shot("03b-agent-flow-refused");
  await page.click("[data-testid=flow-node][data-node-id=say_3] button:text-is('Remove')");
  await page.click("button:text-is('Save new version')");
  await page.locator("[data-testid=saved]:has-text('version 2')").waitFor();
  check(await page.locator("[data-testid=flow-node]").count() === 2, "two nodes after saving");
  check(await page.inputValue("input[name=minSilence]") === "600", "the endpointing setting was kept");
  await shot("03c-agent-flow");
  log(step);

  step = "the agent's texts: a template made in place, one listed twice is refused on its row, a send_sms node picks it";
  await page.click("[data-testid=new-sms-template]");
  const editor = page.locator("[data-testid=sms-template-editor]");
  await editor.locator("input[name=templateName]").fill("renewal_link");
  await editor.locator("textarea[name=templateBody]").fill("Hi {{first_name}}, renew your plan here: https://example.com/renew");
  await editor.locator("button:text-is('Create template')").click();
  const linkRow = page.locator("[data-testid=sms-template-row][data-template=renewal_link]");
  await linkRow.locator("[data-testid=sms-template-segments]:text-is('1 segment · GSM-7')").waitFor();
  await page.click("[data-testid=add-sms-template]");
  await page.selectOption("select[name=sms-template-1]", "renewal_link");
  await page.click("[data-testid=add-node-sendSms]");
  check(await page.locator("select[name=node-sms-template-2] optgroup[label=\"This agent's texts\"] option").allInnerTexts()
    .then((o) => o.join() === "renewal_link"), "the send_sms node offers the agent's own texts first");
  await page.selectOption("select[name=node-sms-template-2]", "renewal_link");
  if (sender) await page.selectOption("select[name=node-sms-from-2]", sender);
  await page.selectOption("select[name=node-sms-next-2]", "end_2");
  await page.selectOption("select[name=node-next-0]", "sendSms_3");
  await page.locator("[data-testid=flow-node][data-node-id=sendSms_3] [data-testid=node-sms-body]:has-text('renew your plan')").waitFor();
  await page.click("button:text-is('Save new version')");
  await page.locator("[data-testid=sms-template-row] .field.invalid .field-error:has-text('listed twice')").waitFor();
  check(await page.locator("[data-testid=sms-template-row] .field.invalid").count() === 1, "only the second row is refused");
  await shot("03d-agent-texts-refused");
  await page.locator("[data-testid=sms-template-row]").nth(1).locator("button:text-is('Remove')").click();
  await linkRow.locator("button:text-is('Edit')").click();
  await editor.locator("textarea[name=templateBody]").fill("Hi {{first_name}}, renew your plan here: https://example.com/renew 🙂");
  await shot("03e-agent-template-edit");
  await editor.locator("button:text-is('Save')").click();
  await linkRow.locator("[data-testid=sms-template-segments]:text-is('1 segment · UCS-2')").waitFor();
  await page.click("button:text-is('Save new version')");
  await page.locator("[data-testid=saved]:has-text('version 3')").waitFor();
  check(await page.locator("[data-testid=sms-template-row]").count() === 1, "one text after saving");
  await shot("03e-agent-texts");
  log(step);

  step = "the agents list";
  await nav("Agents");
  await page.locator("[data-testid=agents-table] tbody tr").first().waitFor();
  await shot("11-agents");
  log(step);

  step = "create a contact list and import a CSV with one bad row";
  await nav("Contacts");
  await page.fill("input[name=listName]", "E2E renewals");
  await page.click("[data-testid=new-list-form] button[type=submit]");
  await page.locator("[data-testid=contact-lists] a.active:has-text('E2E renewals')").waitFor();
  const csv = [
    "external_id,phone_number,first_name,last_name,email,tags,plan",
    "e2e-1,(415) 555-0132,Ada,Lovelace,ada@example.com,vip;renewal,gold",
    "e2e-2,+1 212 555 0199,Alan,Turing,,renewal,silver",
    "e2e-3,not a number,Grace,Hopper,,,bronze",
    "e2e-4,+44 20 7946 0958,Tim,Berners-Lee,tim@example.org,,gold",
  ].join("\n");
  await page.setInputFiles("input[name=csvFile]", { name: "contacts.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
  await page.click("[data-testid=import-form] button[type=submit]");
  await page.locator("[data-testid=import-progress]:has-text('done')").waitFor();
  const progress = await page.locator("[data-testid=import-progress]").innerText();
  check(/3\s+created/.test(progress) && /1\s+failed/.test(progress), `import counts: ${progress}`);
  const errorRow = await page.locator("[data-testid=import-errors] tbody tr").first().innerText();
  check(/^4\s/.test(errorRow) && errorRow.includes("phone_number"), `per-row error names line 4 and phone_number: ${errorRow}`);
  await page.locator("[data-testid=contacts-table] tbody tr").nth(2).waitFor();
  const rows = await page.locator("[data-testid=contacts-table] tbody tr").count();
  check(rows === 3, `three contacts in the list, saw ${rows}`);
  await shot("04-contacts-import");
  log(`${step}: ${progress.replace(/\s+/g, " ")}`);

  step = "create a campaign, start and pause it";
  await nav("Campaigns");
  await page.click("a:text-is('New campaign')");
  await page.fill("input[name=name]", "Q3 renewals (e2e)");
  await page.fill("input[name=callerId]", "+14155550100");
  await page.selectOption("select[name=agentId]", { label: "Renewals (e2e)" });
  await page.locator("select[name=contactListId] option", { hasText: "E2E renewals" }).waitFor({ state: "attached" });
  const listValue = await page.locator("select[name=contactListId] option", { hasText: "E2E renewals" }).getAttribute("value");
  await page.selectOption("select[name=contactListId]", listValue);
  await page.click("button:text-is('Create campaign')");
  await page.locator("[data-testid=campaign-stats]").waitFor();
  await page.locator(".page-header .badge:text-is('draft')").waitFor();
  await page.click("[data-testid=campaign-start]");
  await page.locator(".page-header .badge:text-is('running')").waitFor();
  await page.click("[data-testid=campaign-pause]");
  await page.locator(".page-header .badge:text-is('paused')").waitFor();
  await shot("05-campaign");
  log(step);

  if (campaignId) {
    step = "a campaign's outcomes by disposition and its agent's reply latency distribution";
    await page.goto(`${base}/console/#/campaigns/${campaignId}`);
    await page.locator("[data-testid=campaign-dispositions] li").first().waitFor();
    await page.locator("[data-testid=campaign-latency] .hist-col").first().waitFor();
    const p50 = await page.locator("[data-testid=campaign-latency-p50] .stat-value").innerText();
    check(/^\d+(\.\d)? m?s$/.test(p50), `the campaign's p50 reply latency: ${p50}`);
    await shot("05b-campaign-outcomes");
    log(`${step}: p50 ${p50}`);
  }

  step = "the campaigns list";
  await nav("Campaigns");
  await page.locator("[data-testid=campaigns-table] tbody tr").first().waitFor();
  await shot("12-campaigns");
  log(step);

  step = "the calls list shows the processed call";
  await nav("Calls");
  await page.locator(`[data-testid=calls-table] tr[data-call-id="${callId}"]`).waitFor();
  await shot("06-calls");
  log(step);

  step = "the processed call shows its transcript with speakers and timestamps, and its summary";
  await page.click(`[data-testid=calls-table] tr[data-call-id="${callId}"] a`);
  await page.locator("[data-testid=transcript-line]").first().waitFor();
  const lines = await page.locator("[data-testid=transcript-line]").evaluateAll((els) => els.map((el) => ({
    who: el.querySelector(".who")?.textContent ?? "", at: el.querySelector(".at")?.textContent ?? "", text: el.querySelector(".text")?.textContent ?? "",
  })));
  check(lines.length > 0 && lines.every((l) => /^(Agent|Caller|Speaker)$/.test(l.who) && /^\d+:\d\d\.\d$/.test(l.at) && l.text.trim()),
    `transcript lines with speaker and timestamp: ${JSON.stringify(lines)}`);
  check(lines.some((l) => l.who === "Caller") && lines.some((l) => l.who === "Agent"), `both speakers: ${JSON.stringify(lines)}`);
  const summary = (await page.locator("[data-testid=summary]").innerText()).trim();
  check(summary.length > 10, `summary shown: "${summary}"`);
  log(`${step}: ${lines.length} lines, e.g. [${lines[0].who} ${lines[0].at}] ${lines[0].text.slice(0, 60)}`);

  step = "the recording plays";
  const audio = page.locator("audio[data-testid=recording]");
  await audio.waitFor();
  await page.locator("[data-testid=transcript-line] .at").first().click(); // seeks there and plays
  await page.waitForFunction(() => {
    const a = document.querySelector("audio[data-testid=recording]");
    return a && !a.paused && a.currentTime > 0.5;
  }, null, { timeout: 15000 });
  const t = await audio.evaluate((a) => ({ currentTime: a.currentTime, duration: a.duration, paused: a.paused }));
  check(t.duration > 1, `the recording has a duration: ${JSON.stringify(t)}`);
  await shot("07-call");
  await audio.evaluate((a) => a.pause());
  log(`${step}: at ${t.currentTime.toFixed(2)} s of ${t.duration.toFixed(2)} s`);

  if (talkCallId) {
    step = "a conversation the agent held: turns, the cut, each reply's latency, p50/p95, variables with their turn";
    await page.goto(`${base}/console/#/calls/${talkCallId}`);
    await page.locator("[data-testid=turn-latency]").first().waitFor();
    await page.locator("[data-testid=interrupted]").first().waitFor();
    const p50 = await page.locator("[data-testid=latency-p50] .stat-value").innerText();
    check(/^\d+(\.\d)? m?s$/.test(p50), `the call's p50 reply latency: ${p50}`);
    await page.locator("[data-testid=turn-filled]").first().waitFor();
    const filledBy = await page.locator("[data-testid=filled-by]").count();
    check(filledBy >= 1, "a captured variable links to the turn that filled it");
    const callerTurn = page.locator("[data-testid=transcript-line].speaker-customer").last();
    const startMs = Number(await callerTurn.getAttribute("data-start-ms"));
    await callerTurn.click(); // plays the recording from that turn
    await page.waitForFunction((ms) => {
      const a = document.querySelector("audio[data-testid=recording]");
      return a && !a.paused && a.currentTime * 1000 >= ms - 100;
    }, startMs, { timeout: 15000 });
    await page.locator("audio[data-testid=recording]").evaluate((a) => a.pause());
    await page.locator("[data-testid=transcript-line].current").first().waitFor();
    await shot("07b-conversation");
    log(`${step}: p50 ${p50}, ${await page.locator("[data-testid=transcript-line]").count()} turns`);
  }

  step = "the contacts page";
  await nav("Contacts");
  await page.locator("[data-testid=contact-lists] a").first().waitFor();
  await shot("13-contacts");
  log(step);

  step = "plan and retention: effective policy, expiries, a legal hold on the call";
  await nav("Plan & retention");
  await page.locator("[data-testid=plan-name]").waitFor();
  await page.locator("[data-testid=retention-rules] tbody tr").nth(5).waitFor();
  await page.locator("[data-testid=expiry-totals]").waitFor();
  await page.locator("[data-testid=expiry-chart] svg rect").first().waitFor(); // the call's data, due in 90 days (Growth)
  await page.selectOption("[data-testid=hold-form] select[name=scope]", { label: "Call" });
  await page.fill("[data-testid=hold-form] input[name=resourceId]", callId);
  await page.fill("[data-testid=hold-form] input[name=reason]", "Matter E2E-1");
  await page.click("[data-testid=hold-form] button[type=submit]");
  await page.locator(`[data-testid=holds-table] td:text-is("${callId}")`).waitFor();
  await shot("08-retention");
  log(step);

  step = "audit log: search and chain verification";
  await nav("Audit log");
  await page.locator("[data-testid=audit-table] tbody tr").first().waitFor();
  await page.fill("[data-testid=audit-filter] input[name=action]", "agent.");
  await page.click("[data-testid=audit-filter] button[type=submit]");
  await page.waitForFunction(() => {
    const cells = [...document.querySelectorAll("[data-testid=audit-table] tbody tr td:nth-child(3)")];
    return cells.length > 0 && cells.every((c) => c.textContent.startsWith("agent."));
  });
  await page.click("[data-testid=verify-chain]");
  await page.locator("[data-testid=chain-result]:has-text('Chain intact')").waitFor();
  await shot("09-audit");
  log(`${step}: ${await page.locator("[data-testid=chain-result]").innerText()}`);

  step = "usage by day";
  await nav("Usage");
  await page.locator("[data-testid=usage-chart] svg rect").first().waitFor();
  const totals = await page.locator("[data-testid=usage-totals]").innerText();
  await shot("10-usage");
  log(`${step}: ${totals.replace(/\s+/g, " ")}`);

  if (textTo && optedOut) {
    step = "messages: the segment count follows the text, a text to a contact is delivered";
    await nav("Messages");
    await page.locator(`[data-testid=threads] a[data-phone="${optedOut}"] .badge:text-is('opted out')`).waitFor();
    await page.click("[data-testid=new-text]");
    await page.fill("input[name=to]", "555-01");
    await page.fill("textarea[name=body]", "Hello");
    await page.click("[data-testid=composer] button[type=submit]");
    await page.locator("[data-testid=composer] [data-testid=error]:has-text('INVALID_ARGUMENT'):has-text('E.164')").waitFor();
    log(`a bad number is refused: ${(await page.locator("[data-testid=composer] [data-testid=error]").innerText()).replace(/\s+/g, " ")}`);
    await page.fill("input[name=to]", textTo);
    await page.fill("textarea[name=body]", "x".repeat(161));
    await page.locator("[data-testid=segments]:has-text('2 segments · GSM-7')").waitFor();
    await page.fill("textarea[name=body]", "Hi Ada, your plan renews next month 🙂");
    await page.locator("[data-testid=segments]:has-text('1 segment · UCS-2')").waitFor();
    await page.fill("textarea[name=body]", "Hi Ada, your plan renews next month. Reply STOP to opt out.");
    await page.locator("[data-testid=segments]:has-text('1 segment · GSM-7')").waitFor();
    await page.click("[data-testid=composer] button[type=submit]");
    await page.locator(`[data-testid=threads] a.active[data-phone="${textTo}"]`).waitFor();
    await page.locator("[data-testid=message][data-direction=outbound][data-status=delivered]:has-text('renews next month')")
      .waitFor({ timeout: 30000 });
    await page.locator("[data-testid=thread-contact]:has-text('Ada')").waitFor();
    await shot("14-messages-thread");
    log(step);

    step = "messages: the opted-out number's thread shows the carrier's refusal, and a new text is refused with OPTED_OUT";
    await page.click(`[data-testid=threads] a[data-phone="${optedOut}"]`);
    await page.locator("[data-testid=message][data-direction=inbound]:has-text('STOP')").waitFor();
    await page.locator("[data-testid=message][data-status=failed] [data-testid=message-error]:has-text('21610')").waitFor({ timeout: 30000 });
    await page.fill("textarea[name=body]", "One more thing");
    await page.click("[data-testid=composer] button[type=submit]");
    await page.locator("[data-testid=refusal][data-reason=OPTED_OUT]").waitFor();
    await shot("14b-messages-refused");
    log(step);

    step = "message templates: create one with a variable, send it filled in";
    await page.click("[data-testid=message-tabs] a:text-is('Templates')");
    await page.fill("input[name=templateName]", "renewal_reminder");
    await page.fill("textarea[name=templateBody]", "Hi {{first_name}}, your plan renews on {{renewal_date}}.");
    await page.check("input[name=marketing]");
    await page.click("[data-testid=template-form] button[type=submit]");
    await page.locator("[data-testid=templates-table] tr[data-template=renewal_reminder] .badge:text-is('marketing')").waitFor();
    await page.uncheck("input[name=marketing]");
    await page.click("[data-testid=template-form] button:text-is('Save')");
    await page.locator("[data-testid=templates-table] tr[data-template=renewal_reminder] td:text-is('transactional')").waitFor();
    await shot("15-message-templates");
    await page.click("[data-testid=message-tabs] a:text-is('Inbox')");
    await page.click(`[data-testid=threads] a[data-phone="${textTo}"]`);
    await page.selectOption("select[name=mode]", "template");
    await page.selectOption("select[name=templateId]", { label: "renewal_reminder" });
    await page.fill("input[name=var-renewal_date]", "1 July");
    await page.click("[data-testid=composer] button[type=submit]");
    await page.locator("[data-testid=message][data-status=delivered]:has-text('Hi Ada, your plan renews on 1 July.')").waitFor({ timeout: 30000 });
    log(step);

    step = "opt-outs with their consent events";
    await page.click("[data-testid=message-tabs] a:text-is('Opt-outs')");
    await page.click(`[data-testid=opt-outs-table] tr[data-phone="${optedOut}"]`);
    await page.locator("[data-testid=consent-events] td:text-is('STOP')").waitFor();
    await shot("16-opt-outs");
    log(step);

    step = "messaging settings: a HELP answer too long is refused on its field, then saved with STOP confirmations off";
    await page.click("[data-testid=message-tabs] a:text-is('Settings')");
    await page.fill("textarea[name=helpText]", "{organization}: " + "for help call us on 415 555 0100. ".repeat(10));
    await page.click("[data-testid=messaging-settings] button[type=submit]");
    await page.locator("[data-testid=messaging-settings] .field.invalid .field-error:has-text('at most 320 characters')").waitFor();
    await page.fill("textarea[name=helpText]", "{organization}: for help call 415 555 0100 or visit example.com/help. Reply STOP to opt out.");
    await page.locator("[data-testid=help-preview]:has-text('Console: for help call')").waitFor();
    await page.uncheck("input[name=confirmOptOut]");
    await page.click("[data-testid=messaging-settings] button[type=submit]");
    await page.locator("[data-testid=settings-saved]").waitFor();
    await page.reload();
    await page.locator("textarea[name=helpText]").waitFor();
    check(!(await page.isChecked("input[name=confirmOptOut]")), "STOP confirmations stay off after a reload");
    await shot("17-messaging-settings");
    log(step);

    if (viewerKey) {
      step = "a viewer sees the messaging settings, and saving them is refused";
      await page.click("button.signout");
      await page.fill("input[name=apiKey]", viewerKey);
      await page.click("button[type=submit]");
      await page.locator("[data-testid=org-name]").waitFor();
      await page.goto(`${base}/console/#/messages/settings`);
      await page.locator("textarea[name=helpText]").waitFor();
      await page.check("input[name=confirmOptOut]");
      await page.click("[data-testid=messaging-settings] button[type=submit]");
      await page.locator("[data-testid=messaging-settings] ~ [data-testid=error]:has-text('PERMISSION_DENIED')").waitFor();
      log(step);
    }
  }

  check(pageErrors.length === 0, `errors in the page: ${pageErrors.join(" | ")}`);
  log(`all steps passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (e) {
  console.error(`FAILED at step "${step}": ${e?.message ?? e}`);
  if (pageErrors.length) console.error(`errors in the page: ${pageErrors.join(" | ")}`);
  await page.screenshot({ path: join(shots, "failure.png"), fullPage: true }).catch(() => undefined);
  console.error(`page: ${page.url()} (screenshot: ${join(shots, "failure.png")})`);
  process.exitCode = 1;
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
