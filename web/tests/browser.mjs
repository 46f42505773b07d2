// Browser tests of the consoles: headless Chromium (Debian's /usr/bin/chromium, driven with
// playwright-core, which downloads no browser) against a real `mediation serve` started by
// run.sh with the demo district. Each test drives a screen as its user would, checks what it
// shows against the server's own answers, and saves a screenshot under docs/screens/.
//
// Environment (set by run.sh): BASE_URL, DEMO_PASSWORD, KIOSK_ID, KIOSK_SECRET, SMS_FILE,
// SCREENS_DIR, CHROMIUM (default /usr/bin/chromium).
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { chromium } from "playwright-core";
import { connect, login } from "./api.mjs";
import { dayAhead, prepareDay, STATION, VAN } from "./day.mjs";
import { AppointmentStatus, CaseOrigin, OutcomeResult, PartyRole, TaskStatus } from "../src/gen/mediation/appointments/v1/appointments_pb.js";
import { MediationMode, SiteKind } from "../src/gen/mediation/directory/v1/directory_pb.js";
import { VisitStatus } from "../src/gen/mediation/dispatch/v1/dispatch_pb.js";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (run web/tests/run.sh)`);
  return value;
};
const BASE = env("BASE_URL");
const PASSWORD = env("DEMO_PASSWORD");
const SCREENS = env("SCREENS_DIR");
const RESIDENT = "13800000000";
/** How long a screen may take to show what the server answered. */
const WITHIN = 10_000;

function check(condition, message) {
  if (!condition) throw new Error(message);
}

/** The newest one-time code the file sink delivered to `phone` (E.164), waiting for it. */
async function codeFor(phone, after = 0) {
  const deadline = Date.now() + WITHIN;
  while (Date.now() < deadline) {
    const path = env("SMS_FILE");
    if (existsSync(path)) {
      const lines = readFileSync(path, "utf8").trim().split("\n").slice(after).map((line) => JSON.parse(line));
      const mine = lines.filter((m) => m.to === phone && m.code);
      if (mine.length) return mine.at(-1).code;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no code reached ${phone}`);
}

const smsLines = () => (existsSync(env("SMS_FILE")) ? readFileSync(env("SMS_FILE"), "utf8").trim().split("\n").filter(Boolean).length : 0);

// ------------------------------------------------------------------------------------------------

async function dispatcherProposesCommitsAndWatchesAVanMove(browser) {
  const date = dayAhead(2);
  const day = await prepareDay(BASE, { password: PASSWORD, residentPhone: RESIDENT, date, visits: 4, shift: false });
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  await page.goto(`${BASE}/board?date=${date}&station=${STATION}`);
  await page.fill("#login", "zhonghe.dispatcher");
  await page.fill("#password", PASSWORD);
  await page.click("#signin-button");
  await page.locator("#visits tr").nth(3).waitFor({ timeout: WITHIN });
  await page.locator('#live[data-state="connected"]').waitFor({ timeout: WITHIN });
  check((await page.locator("#visits tr").count()) === 4, "the board lists the day's four visits");

  // The van's shift and crew for the day, set on the board.
  const van = page.locator(`.van[data-van-id="${VAN}"]`);
  await van.locator('input[aria-label="shift start"]').fill("08:30");
  await van.locator('input[aria-label="shift end"]').fill("17:30");
  await van.locator('select[aria-label="crew"]').selectOption(["mediator-001"]);
  await van.locator(`[data-set-shift="${VAN}"]`).click();
  await page.locator(`.van[data-van-id="${VAN}"] [data-shift]`).waitFor({ timeout: WITHIN });

  // Propose: every visit is drawn on the van's route, numbered in order with its arrival time.
  await page.click("#propose");
  await page.locator("[data-stop]").nth(3).waitFor({ timeout: 30_000 });
  const orders = await page.locator("[data-stop]").evaluateAll((stops) => stops.map((s) => Number(s.getAttribute("data-order"))));
  check(JSON.stringify(orders.sort()) === "[1,2,3,4]", `stops numbered 1..4, got ${orders}`);
  check((await page.locator(`[data-route="${VAN}"]`).count()) === 1, "the van's route is drawn");

  // Another request arrives after the proposal: committing it is refused as stale, and the
  // board says why and offers to propose again.
  await day.resident.dispatch.requestHomeVisit({
    requestId: crypto.randomUUID(),
    caseId: day.caseId,
    address: "宁波市鄞州区中河街道某小区9幢909室",
    location: { latitude: 29.8452, longitude: 121.5611 },
    windowStart: timestampFromDate(new Date(`${date}T14:00:00+08:00`)),
    windowEnd: timestampFromDate(new Date(`${date}T16:30:00+08:00`)),
    duration: { seconds: 2700n },
    reason: 1,
  });
  await page.locator("#visits tr").nth(4).waitFor({ timeout: WITHIN }); // arrived live, from WatchBoard
  await page.click("#commit");
  await page.locator("#stale:not(.hidden)").waitFor({ timeout: WITHIN });
  await page.screenshot({ path: join(SCREENS, "board-stale.png") });
  await page.click("#repropose");
  await page.locator("[data-stop]").nth(4).waitFor({ timeout: 30_000 });
  check(await page.locator("#stale").evaluate((e) => e.classList.contains("hidden")), "re-proposing clears the refusal");
  await page.click("#commit");
  await page.waitForFunction(() => document.querySelectorAll('#visits tr[data-status="PLANNED"]').length === 5, null, { timeout: WITHIN });
  const listed = await day.dispatcher.dispatch.listHomeVisits({ filter: { date: dateParts(date), stationId: STATION } });
  check(listed.homeVisits.every((v) => v.status === VisitStatus.PLANNED && v.vanId === VAN), "the server has every visit PLANNED on the van");

  // By hand: a visit further down the route becomes the van's first stop, on the server and on
  // the map.
  const lastId = listed.homeVisits.find((v) => v.position > 0).id;
  const last = page.locator(`#visits tr[data-visit-id="${lastId}"]`);
  await last.locator("input.place").fill("1");
  await last.locator(`[data-assign="${lastId}"]`).click();
  await page.locator("#notice", { hasText: lastId }).waitFor({ timeout: WITHIN });
  const moved = await day.dispatcher.dispatch.getHomeVisit({ id: lastId });
  check(moved.position === 0 && moved.vanId === VAN, `assigned first on the van, got position ${moved.position}`);
  await page.locator(`[data-stop="${lastId}"][data-order="1"]`).waitFor({ timeout: WITHIN });

  // A crew's position reported by another client moves the van on the board.
  for (const [latitude, longitude] of [[29.8431, 121.5561], [29.8477, 121.5602]]) {
    const reported = Date.now();
    await day.dispatcher.dispatch.reportPosition({ vanId: VAN, location: { latitude, longitude } });
    await page
      .locator(`[data-van-marker="${VAN}"][data-lat="${latitude.toFixed(5)}"][data-lng="${longitude.toFixed(5)}"]`)
      .waitFor({ timeout: 5_000 });
    console.log(`  position ${latitude},${longitude} on the board ${Date.now() - reported} ms after it was reported`);
  }
  await page.screenshot({ path: join(SCREENS, "board.png") });
  await page.close();
}

const dateParts = (date) => {
  const [year, month, day] = date.split("-").map(Number);
  return { year, month, day };
};

// ------------------------------------------------------------------------------------------------

/** The demo resident's session booked ahead at the first station, for the kiosk's check-in. */
async function residentBooking() {
  const resident = connect(BASE, await login(BASE, RESIDENT, PASSWORD));
  const filed = await resident.appointments.createCase({
    requestId: crypto.randomUUID(),
    category: "neighbour",
    summary: "楼上漏水，协商赔偿未果。",
    origin: CaseOrigin.APP,
    siteId: STATION,
    parties: [
      { name: "王小丽", phone: RESIDENT, role: PartyRole.APPLICANT },
      { name: "赵强", phone: "13900000992", role: PartyRole.RESPONDENT },
    ],
    assessment: { amountInDisputeYuan: 3000n, partyCount: 2 },
  });
  const from = new Date();
  const { slots } = await resident.appointments.searchAvailability({
    caseId: filed.id,
    siteId: STATION,
    mode: MediationMode.IN_PERSON,
    from: timestampFromDate(from),
    to: timestampFromDate(new Date(from.getTime() + 14 * 86_400_000)),
    duration: { seconds: 3600n },
    maxSlots: 1,
  });
  const [slot] = slots;
  return resident.appointments.bookAppointment({
    requestId: crypto.randomUUID(),
    caseId: filed.id,
    start: slot.start,
    end: slot.end,
    mediatorIds: slot.mediatorIds,
    roomId: slot.roomId,
    mode: MediationMode.IN_PERSON,
  });
}

async function kioskServesAWalkInFromPhoneCodeToABookedSession(browser) {
  const booked = await residentBooking();
  const page = await browser.newPage({ viewport: { width: 1080, height: 1920 } });
  const IDLE = 8;
  await page.goto(`${BASE}/kiosk?idle=${IDLE}`);

  // Provisioned once with the kiosk's secret; then the start screen with the station's line.
  await page.locator("#s-provision:not(.hidden)").waitFor({ timeout: WITHIN });
  await page.fill("#p-id", env("KIOSK_ID"));
  await page.fill("#p-secret", env("KIOSK_SECRET"));
  await page.click("#p-save");
  await page.locator("#k-now [data-waiting]").waitFor({ timeout: WITHIN });
  check((await page.textContent("#k-site")).includes("中河"), "the kiosk names its police box");
  await page.screenshot({ path: join(SCREENS, "kiosk.png") });

  // Experts by speciality, from the public directory.
  await page.click('[data-go="experts"]');
  await page.click('[data-specialty="neighbour"]');
  await page.locator("#e-list [data-mediator]").first().waitFor({ timeout: WITHIN });
  await page.click("#k-lang");
  check((await page.textContent('#s-experts h1')) === "Find an expert", "English on request");
  await page.screenshot({ path: join(SCREENS, "kiosk-experts-en.png") });
  await page.click("#k-lang");
  await page.click("#k-home");

  // A walk-in resident proves their phone with a code and files a dispute.
  const phone = "13700000123";
  await page.click('[data-intent="file"]');
  const before = smsLines();
  await page.fill("#ph-phone", phone);
  await page.click("#ph-send");
  await page.fill("#ph-code", await codeFor(`+86${phone}`, before));
  await page.click("#ph-start");
  await page.locator("#s-file:not(.hidden)").waitFor({ timeout: WITHIN });
  await page.fill("#f-name", "李建华");
  await page.click('[data-category="neighbour"]');
  await page.fill("#f-summary", "邻居装修噪音，协商不成。");
  await page.fill("#f-other-name", "周敏");
  await page.fill("#f-other-phone", "13900000993");
  await page.fill("#f-amount", "2000");
  await page.click("#f-submit");
  await page.locator("#sl-list [data-book]").first().waitFor({ timeout: WITHIN });
  await page.locator("#sl-list [data-book]").first().click();
  const confirmation = page.locator('#d-body [data-status="BOOKED"]');
  await confirmation.waitFor({ timeout: WITHIN });
  const appointmentId = await confirmation.getAttribute("data-appointment");
  await page.screenshot({ path: join(SCREENS, "kiosk-booked.png") });
  const admin = connect(BASE, await login(BASE, "zhonghe.admin", PASSWORD));
  const held = await admin.appointments.getAppointment({ id: appointmentId });
  check(held.status === AppointmentStatus.BOOKED && held.siteId === STATION, "the server holds the booked session at the station");

  // A harder dispute, by video in the kiosk's booth with an expert at the centre.
  await page.click("#k-home");
  const caller = "13700000124";
  await page.click('[data-intent="file"]');
  const before3 = smsLines();
  await page.fill("#ph-phone", caller);
  await page.click("#ph-send");
  await page.fill("#ph-code", await codeFor(`+86${caller}`, before3));
  await page.click("#ph-start");
  await page.fill("#f-name", "陈志强");
  await page.click('[data-category="labour_wages"]');
  await page.fill("#f-summary", "工地拖欠工资六万元。");
  await page.fill("#f-amount", "60000");
  await page.click('[data-mode="video"]');
  await page.click("#f-submit");
  await page.locator("#sl-list [data-book]").first().click({ timeout: WITHIN });
  const byVideo = page.locator('#d-body [data-status="BOOKED"]');
  await byVideo.waitFor({ timeout: WITHIN });
  const video = await admin.appointments.getAppointment({ id: await byVideo.getAttribute("data-appointment") });
  check(video.mode === MediationMode.VIDEO && video.siteId === "site-kiosk-zhonghe", `a video session in the kiosk's booth, got ${video.siteId}`);

  // Left alone, the kiosk returns to the start with nothing of the resident on it.
  await page.locator("#s-home:not(.hidden)").waitFor({ timeout: (IDLE + 5) * 1000 });
  const leftovers = await page.evaluate(() =>
    [...document.querySelectorAll(".k-screen input, .k-screen textarea")]
      .filter((e) => !e.closest("#s-provision") && e.id !== "f-amount" && e.value)
      .map((e) => e.id)
      .concat(document.querySelector("#d-body").textContent ? ["d-body"] : []),
  );
  check(leftovers.length === 0, `nothing personal left after the idle minute, found ${leftovers}`);
  const content = await page.content();
  check(![phone, caller, "李建华", "陈志强"].some((personal) => content.includes(personal)), "no phone or name stays in the page");

  // The demo resident checks in for the session they booked on their phone.
  await page.click('[data-intent="checkin"]');
  const before2 = smsLines();
  await page.fill("#ph-phone", RESIDENT);
  await page.click("#ph-send");
  await page.fill("#ph-code", await codeFor(`+86${RESIDENT}`, before2));
  await page.click("#ph-start");
  await page.locator(`[data-check-in="${booked.id}"]`).click({ timeout: WITHIN });
  await page.locator('#d-body [data-status="CHECKED_IN"]').waitFor({ timeout: WITHIN });
  const checked = await admin.appointments.getAppointment({ id: booked.id });
  check(checked.status === AppointmentStatus.CHECKED_IN, "the server has the session CHECKED_IN");
  await page.close();
}

// ------------------------------------------------------------------------------------------------

/** A dispute handed over by the police and settled on the spot, so the month has figures. */
async function settledOnTheSpot() {
  const admin = connect(BASE, await login(BASE, "zhonghe.admin", PASSWORD));
  const mediator = connect(BASE, await login(BASE, "mediator.002", PASSWORD));
  const filed = await admin.appointments.createCase({
    requestId: crypto.randomUUID(),
    category: "neighbour",
    summary: "停车位纠纷，110 转来。",
    origin: CaseOrigin.POLICE_110,
    siteId: STATION,
    policeIncidentId: `110-${Date.now()}`,
    handedOverBy: "李警官（警号 012345）",
    parties: [
      { name: "钱伟", phone: "13900000994", role: PartyRole.APPLICANT },
      { name: "孙丽", phone: "13900000995", role: PartyRole.RESPONDENT },
    ],
    assessment: { amountInDisputeYuan: 500n, partyCount: 2 },
  });
  const session = await mediator.appointments.startSessionNow({
    requestId: crypto.randomUUID(),
    caseId: filed.id,
    mediatorIds: ["mediator-002"],
    roomId: "room-zhonghe-mediation-2",
    duration: { seconds: 1800n },
  });
  await mediator.appointments.completeAppointment({
    appointmentId: session.id,
    outcome: { result: OutcomeResult.SETTLED, agreementSummary: "双方同意错时使用车位。" },
  });
}

/**
 * A case the station cannot solve alone: its admin escalates it (吹哨) and the centre's admin
 * dispatches a task for it (派单) to a partner body, which the demo district has none of, so the
 * centre's admin creates one first.
 */
async function escalatedAndDispatched() {
  const station = connect(BASE, await login(BASE, "zhonghe.admin", PASSWORD));
  const centre = connect(BASE, await login(BASE, "yinzhou.admin", PASSWORD));
  const filed = await station.appointments.createCase({
    requestId: crypto.randomUUID(),
    category: "neighbour",
    summary: "小区加装电梯纠纷，涉及多户，需司法所协助。",
    origin: CaseOrigin.WALK_IN,
    siteId: STATION,
    parties: [
      { name: "周强", phone: "13900000996", role: PartyRole.APPLICANT },
      { name: "吴敏", phone: "13900000997", role: PartyRole.RESPONDENT },
    ],
    assessment: { amountInDisputeYuan: 500n, partyCount: 2 },
  });
  const reason = `涉及多户业主，需法院指导 ${Date.now()}`;
  const escalated = await station.appointments.escalateCase({ caseId: filed.id, reason });
  check(escalated.escalationReason === reason && escalated.escalatedAt, "EscalateCase shows the reason and the time");
  const partner = await centre.directory.createSite({
    requestId: crypto.randomUUID(),
    site: { name: `区人民法院 District court ${Date.now() % 10000}`, kind: SiteKind.PARTNER, parentId: "site-yinzhou-centre" },
  });
  const task = await centre.appointments.dispatchTask({
    requestId: crypto.randomUUID(),
    caseId: filed.id,
    assigneeSiteId: partner.id,
    dueAt: timestampFromDate(new Date(Date.now() + 3 * 86_400_000)),
    instructions: "请派法官到场指导调解。",
  });
  check(task.status === TaskStatus.OPEN, `a new task is OPEN, got ${TaskStatus[task.status]}`);
  return { caseId: filed.id, reason, task, partner };
}

async function dashboardShowsWhatGetStatisticsReturns(browser) {
  await settledOnTheSpot();
  const whistle = await escalatedAndDispatched();
  const month = new Date().toLocaleDateString("sv-SE", { timeZone: "Asia/Shanghai" }).slice(0, 7);
  const [year, m] = month.split("-").map(Number);
  const next = new Date(Date.UTC(year, m, 1)).toISOString().slice(0, 10);
  const admin = connect(BASE, await login(BASE, "yinzhou.admin", PASSWORD));
  const direct = await admin.appointments.getStatistics({
    from: timestampFromDate(new Date(`${month}-01T00:00:00+08:00`)),
    to: timestampFromDate(new Date(`${next}T00:00:00+08:00`)),
  });
  check(direct.cases >= 3n && direct.settled >= 1n, `the tests' cases are counted: ${direct.cases} cases, ${direct.settled} settled`);

  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  await page.goto(`${BASE}/centre?month=${month}`);
  await page.fill("#login", "yinzhou.admin");
  await page.fill("#password", PASSWORD);
  await page.click('#signin button[type="submit"]');
  await page.locator(`#status[data-loaded="${month}"]`).waitFor({ timeout: WITHIN });
  const shown = async (key) => (await page.textContent(`[data-figure="${key}"] .value`)).trim();
  const percent = (x) => `${(x * 100).toFixed(1)}%`;
  const expected = {
    cases: String(direct.cases),
    settled: String(direct.settled),
    sessions_completed: String(direct.sessionsCompleted),
    settlement_rate: percent(direct.settlementRate),
    on_the_spot_sessions: String(direct.onTheSpotSessions),
    booked_sessions: String(direct.bookedSessions),
    police_110_cases: String(direct.police110Cases),
    police_110_on_the_spot_settlement_rate: percent(direct.police110OnTheSpotSettlementRate),
    no_shows: String(direct.noShows),
  };
  for (const [key, value] of Object.entries(expected)) {
    const onScreen = await shown(key);
    check(onScreen === value, `${key}: the dashboard shows ${onScreen}, GetStatistics says ${value}`);
  }
  // The station's mediators' assessment, and its CSV export.
  await page.selectOption("#assess-site", STATION);
  await page.click("#assess-load");
  await page.locator('[data-assessment="mediator-002"]').waitFor({ timeout: WITHIN });
  const [download] = await Promise.all([page.waitForEvent("download", { timeout: WITHIN }), page.click("#export")]);
  const csv = readFileSync(await download.path(), "utf8");
  check(csv.includes("mediator-002"), "the CSV export lists the station's mediator");
  // The escalated case on the centre's list, with its short id, grade and reason, as ListCases says.
  const listed = await admin.appointments.listCases({ escalated: true, pageSize: 500 });
  check(listed.cases.some((c) => c.id === whistle.caseId), "ListCases with escalated lists the escalated case");
  const caseRow = page.locator(`#escalated [data-case="${whistle.caseId}"]`);
  await caseRow.waitFor({ timeout: WITHIN });
  check((await page.locator("#escalated tr").count()) === listed.cases.length, "the dashboard lists every escalated case");
  const caseText = await caseRow.textContent();
  check(caseText.includes(whistle.caseId.slice(0, 8)), `the case row shows the short id: ${caseText}`);
  check((await caseRow.locator("[data-reason]").textContent()).trim() === whistle.reason, `the case row shows the reason: ${caseText}`);
  check(caseText.includes("一般 Ordinary"), `the case row shows the grade: ${caseText}`);
  // The task dispatched to the partner body, OPEN, due in three days, no result yet.
  const taskRow = page.locator(`#tasks [data-task="${whistle.task.id}"]`);
  await taskRow.waitFor({ timeout: WITHIN });
  check((await taskRow.locator(`[data-assignee="${whistle.partner.id}"]`).textContent()).trim() === whistle.partner.name, "the task row names the partner body");
  check((await taskRow.locator('[data-status="OPEN"]').count()) === 1, "the task row shows the task OPEN");
  check(!(await taskRow.getAttribute("class"))?.includes("overdue"), "an open task is not highlighted as overdue");
  await page.screenshot({ path: join(SCREENS, "centre.png"), fullPage: true });
  await page.close();
}

// ------------------------------------------------------------------------------------------------

/** The tracking token in the VISIT_EN_ROUTE notice sent to `phone` (E.164), waiting for it. */
async function trackingToken(phone, after) {
  const deadline = Date.now() + WITHIN;
  while (Date.now() < deadline) {
    const lines = existsSync(env("SMS_FILE")) ? readFileSync(env("SMS_FILE"), "utf8").trim().split("\n").slice(after) : [];
    const notice = lines.map((line) => JSON.parse(line)).find((m) => m.to === phone && m.kind === "VISIT_EN_ROUTE");
    const token = notice?.text.match(/\/track\/([A-Za-z0-9_-]+)/)?.[1];
    if (token) return token;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no tracking link reached ${phone}`);
}

async function trackingPageShowsTheEtaUntilTheVisitEnds(browser) {
  const date = dayAhead(3);
  const day = await prepareDay(BASE, { password: PASSWORD, residentPhone: RESIDENT, date, visits: 1 });
  const plan = await day.dispatcher.dispatch.proposePlan({ date: dateParts(date), stationId: STATION });
  await day.dispatcher.dispatch.commitPlan({ planId: plan.id });
  const [visit] = day.visits;
  const before = smsLines();
  await day.dispatcher.dispatch.updateVisitStatus({ visitId: visit.id, status: VisitStatus.EN_ROUTE });
  await day.dispatcher.dispatch.reportPosition({ vanId: VAN, location: { latitude: 29.84723, longitude: 121.55871 } });
  const token = await trackingToken(`+86${RESIDENT}`, before);

  // The SMS link opens on a phone, with no account.
  const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
  await page.goto(`${BASE}/track/${token}`);
  await page.locator('#t-status[data-status="EN_ROUTE"]').waitFor({ timeout: WITHIN });
  const seen = await day.dispatcher.dispatch.getHomeVisit({ id: visit.id });
  const eta = timestampDate(seen.eta).toLocaleTimeString("zh-CN", { timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit", hour12: false });
  check((await page.textContent("#t-eta")).endsWith(` ${eta}`), `the page shows the ETA ${eta}`);
  check((await page.textContent("#t-van")) === "29.850, 121.560", "the van's position, rounded to about a kilometre");
  const content = await page.content();
  check(!content.includes(visit.address) && !content.includes("王秀英"), "no address or name on the page");
  await page.screenshot({ path: join(SCREENS, "track.png") });

  // Once the visit is over the link stops working.
  await day.dispatcher.dispatch.updateVisitStatus({ visitId: visit.id, status: VisitStatus.ARRIVED });
  await day.dispatcher.dispatch.updateVisitStatus({
    visitId: visit.id,
    status: VisitStatus.COMPLETED,
    outcome: { result: OutcomeResult.SETTLED, agreementSummary: "双方同意分担赡养费用。" },
  });
  await page.reload();
  await page.locator('#t-status[data-status="EXPIRED"]').waitFor({ state: "attached", timeout: WITHIN });
  check((await page.textContent("#t-error")).includes("link no longer works"), "the page says the link has ended");
  check((await page.textContent("#t-eta")) === "", "nothing of the visit is left on the page");
  await page.screenshot({ path: join(SCREENS, "track-expired.png") });
  await page.close();
}

// ------------------------------------------------------------------------------------------------

const tests = [
  ["the dispatcher proposes, commits and watches a van move", dispatcherProposesCommitsAndWatchesAVanMove],
  ["the kiosk serves a walk-in from phone code to a booked session", kioskServesAWalkInFromPhoneCodeToABookedSession],
  ["the dashboard shows what GetStatistics returns", dashboardShowsWhatGetStatisticsReturns],
  ["the tracking page shows the ETA until the visit ends", trackingPageShowsTheEtaUntilTheVisitEnds],
];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-dev-shm-usage", "--font-render-hinting=none"],
});
let failed = 0;
for (const [name, test] of tests) {
  const started = Date.now();
  try {
    await test(browser);
    console.log(`ok    ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (error) {
    failed++;
    console.log(`FAIL  ${name}: ${error.stack ?? error}`);
  }
}
await browser.close();
process.exit(failed ? 1 : 0);
