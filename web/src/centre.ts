// The centre's dashboard: GetStatistics drawn as charts (cases by grade and origin, outcomes
// and the share settled, on the spot against booked, by station and by month) and each
// mediator's monthly assessment with its pay lines (ListAssessments) and the CSV export
// (ExportAssessments), the cases stations escalated to the centre (ListCases with `escalated`)
// and the tasks dispatched for them to partner bodies and stations (ListTasks), overdue ones
// highlighted.
import { type Timestamp, timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Chart, type ChartConfiguration, registerables } from "chart.js";
import { clients, messageOf, Session } from "./api.js";
import { byId, h } from "./dom.js";
import { Grade, type Statistics, TaskResult, TaskStatus } from "./gen/mediation/appointments/v1/appointments_pb.js";
import { SiteKind, type Site } from "./gen/mediation/directory/v1/directory_pb.js";
import "./style.css";
import "./centre.css";

Chart.register(...registerables);
Chart.defaults.animation = false;
Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;

const session = new Session("centre.token");
const api = clients(() => session.token);
const OFFSET = "+08:00"; // Asia/Shanghai: months are counted in the district's own time.
const COLOURS = ["#b3261e", "#1565c0", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f"];

let stations: Site[] = [];
let centres: Site[] = [];
let siteNames = new Map<string, string>();
const charts = new Map<string, { destroy(): void }>();

byId<HTMLFormElement>("signin").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const tokens = await api.identity.login({ login: byId<HTMLInputElement>("login").value.trim(), password: byId<HTMLInputElement>("password").value });
    session.token = tokens.accessToken;
    await start();
  } catch (error) {
    session.token = null;
    byId("signin-error").textContent = `登录失败 Sign-in failed (${messageOf(error)})`;
  }
});

async function sites(kind: SiteKind): Promise<Site[]> {
  const out: Site[] = [];
  let pageToken = "";
  do {
    const page = await api.directory.listSites({ kind, pageSize: 100, pageToken });
    out.push(...page.sites);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return out;
}

async function start() {
  const me = await api.identity.getMe({});
  byId("who").textContent = `${me.displayName} (${me.login})`;
  byId("signin").classList.add("hidden");
  byId("dashboard").classList.remove("hidden");
  const partners = await sites(SiteKind.PARTNER).catch(() => []);
  [stations, centres] = await Promise.all([sites(SiteKind.STATION), sites(SiteKind.CENTRE)]);
  siteNames = new Map([...stations, ...centres, ...partners].map((s) => [s.id, s.name]));
  // Station staff see their own station; centre-wide staff every site.
  const own = stations.find((s) => s.id === me.siteId);
  if (own) stations = [own];
  const site = byId<HTMLSelectElement>("site");
  site.replaceChildren(
    ...(own ? [] : [h("option", { value: "" }, "全区 All sites")]),
    ...stations.map((s) => h("option", { value: s.id }, s.name)),
  );
  byId<HTMLSelectElement>("assess-site").replaceChildren(
    ...[...(own ? [] : centres), ...stations].map((s) => h("option", { value: s.id }, s.name)),
  );
  const params = new URLSearchParams(location.search);
  byId<HTMLInputElement>("month").value = params.get("month") ?? new Date().toLocaleDateString("sv-SE", { timeZone: "Asia/Shanghai" }).slice(0, 7);
  await refresh();
  await Promise.all([assessments(), escalated(), tasks()]);
}

/** [from, to) of the month `offset` months after `yyyy-mm`. */
function monthRange(month: string, offset = 0): { from: Date; to: Date; label: string } {
  const [year, m] = month.split("-").map(Number);
  const first = new Date(Date.UTC(year, m - 1 + offset, 1));
  const next = new Date(Date.UTC(year, m + offset, 1));
  const iso = (d: Date) => d.toISOString().slice(0, 10);
  return {
    from: new Date(`${iso(first)}T00:00:00${OFFSET}`),
    to: new Date(`${iso(next)}T00:00:00${OFFSET}`),
    label: iso(first).slice(0, 7),
  };
}

function statistics(siteId: string, range: { from: Date; to: Date }): Promise<Statistics> {
  return api.appointments.getStatistics({ siteId, from: timestampFromDate(range.from), to: timestampFromDate(range.to) });
}

const percent = (x: number) => `${(x * 100).toFixed(1)}%`;

function figures(s: Statistics) {
  const median = s.medianHandoverToSession ? `${Math.round(Number(s.medianHandoverToSession.seconds) / 60)} min` : "—";
  const items: [string, string, string][] = [
    ["cases", "新收案件 Cases filed", String(s.cases)],
    ["sessions_completed", "完成调解 Sessions completed", String(s.sessionsCompleted)],
    ["settled", "调解成功 Settled", String(s.settled)],
    ["settlement_rate", "成功率 Share settled", percent(s.settlementRate)],
    ["on_the_spot_sessions", "现场调解 On the spot", String(s.onTheSpotSessions)],
    ["booked_sessions", "预约调解 Booked", String(s.bookedSessions)],
    ["police_110_cases", "110 移交 Police 110 cases", String(s.police110Cases)],
    ["police_110_on_the_spot_settlement_rate", "110 就地化解率 110 settled on the spot", percent(s.police110OnTheSpotSettlementRate)],
    ["median_handover_to_session", "移交至调解（中位）Handover to session", median],
    ["no_shows", "未到场 No-shows", String(s.noShows)],
  ];
  byId("figures").replaceChildren(
    ...items.map(([key, label, value]) =>
      h("div", { class: "figure", "data-figure": key }, h("div", { class: "value" }, value), h("div", { class: "label" }, label)),
    ),
  );
}

function draw(id: string, config: ChartConfiguration) {
  charts.get(id)?.destroy();
  charts.set(id, new Chart(byId<HTMLCanvasElement>(id), config));
}

const doughnut = (labels: string[], data: number[]) => ({
  type: "doughnut" as const,
  data: { labels, datasets: [{ data, backgroundColor: COLOURS }] },
  options: { plugins: { legend: { position: "right" as const } } },
});

async function refresh() {
  const status = byId("status");
  status.textContent = "加载中 Loading…";
  const month = byId<HTMLInputElement>("month").value;
  const siteId = byId<HTMLSelectElement>("site").value;
  try {
    const range = monthRange(month);
    const s = await statistics(siteId, range);
    figures(s);
    const n = (x: bigint) => Number(x);
    draw("c-grade", doughnut(["一般 Ordinary", "疑难 Difficult", "重大 Major"], [n(s.ordinary), n(s.difficult), n(s.major)]));
    draw("c-origin", doughnut(["110 移交 Police 110", "其他 Other (app, kiosk, walk-in)"], [n(s.police110Cases), n(s.cases - s.police110Cases)]));
    draw("c-outcome", {
      type: "bar",
      data: {
        labels: ["成功 Settled", "未成功 Not settled", "转办 Referred", "未到场 No-show", "取消 Cancelled"],
        datasets: [{ label: "场次 sessions", data: [n(s.settled), n(s.notSettled), n(s.referred), n(s.noShows), n(s.cancelled)], backgroundColor: COLOURS }],
      },
      options: { plugins: { legend: { display: false } } },
    });
    draw("c-spot", doughnut(["现场 On the spot", "预约 Booked"], [n(s.onTheSpotSessions), n(s.bookedSessions)]));

    const shown = siteId ? stations.filter((st) => st.id === siteId) : stations;
    const perStation = await Promise.all(shown.map((st) => statistics(st.id, range)));
    draw("c-station", {
      type: "bar",
      data: {
        labels: shown.map((st) => st.name.replace("派出所", "")),
        datasets: [
          { label: "案件 Cases", data: perStation.map((x) => n(x.cases)), backgroundColor: COLOURS[1] },
          { label: "成功 Settled", data: perStation.map((x) => n(x.settled)), backgroundColor: COLOURS[2] },
        ],
      },
    });
    const months = [-5, -4, -3, -2, -1, 0].map((offset) => monthRange(month, offset));
    const perMonth = await Promise.all(months.map((m) => statistics(siteId, m)));
    draw("c-month", {
      type: "line",
      data: {
        labels: months.map((m) => m.label),
        datasets: [
          { label: "案件 Cases", data: perMonth.map((x) => n(x.cases)), borderColor: COLOURS[1], yAxisID: "y" },
          { label: "成功率 Share settled (%)", data: perMonth.map((x) => Math.round(x.settlementRate * 1000) / 10), borderColor: COLOURS[0], yAxisID: "rate" },
        ],
      },
      options: { scales: { y: { beginAtZero: true }, rate: { position: "right", min: 0, max: 100 } } },
    });
    status.textContent = `${range.label} · ${siteId ? shown[0]?.name : "全区 all sites"}`;
    status.dataset.loaded = month;
  } catch (error) {
    status.textContent = messageOf(error);
  }
}

function period() {
  const [year, month] = byId<HTMLInputElement>("month").value.split("-").map(Number);
  return { year, month };
}

async function assessments() {
  const siteId = byId<HTMLSelectElement>("assess-site").value;
  const status = byId("assess-status");
  try {
    const rows = [];
    let pageToken = "";
    do {
      const page = await api.ratings.listAssessments({ siteId, period: period(), pageSize: 100, pageToken });
      rows.push(...page.assessments);
      pageToken = page.nextPageToken;
    } while (pageToken);
    const names = new Map(
      (await Promise.all([...new Set(rows.map((a) => a.mediatorId))].map((id) => api.directory.getMediator({ id })))).map((m) => [m.id, m.displayName]),
    );
    byId("assessments").replaceChildren(
      ...rows.map((a) =>
        h(
          "tr",
          { "data-assessment": a.mediatorId },
          h("td", {}, names.get(a.mediatorId) ?? a.mediatorId),
          h("td", {}, a.score.toFixed(1)),
          h("td", {}, String(a.level)),
          h("td", {}, String(a.inputs?.sessionsHeld ?? 0)),
          h("td", {}, percent(a.inputs?.settlementRate ?? 0)),
          h("td", {}, a.inputs && a.inputs.ratingsCount > 0 ? `${a.inputs.ratingsBayesianMean.toFixed(2)} (${a.inputs.ratingsCount})` : "—"),
          h("td", {}, String(a.totalYuan)),
          h("td", { class: "lines" }, ...a.lines.map((line) => h("div", {}, `${line.kind} ¥${line.amountYuan}: ${line.explanation}`))),
        ),
      ),
    );
    status.textContent = `${rows.length} 人 mediators`;
  } catch (error) {
    status.textContent = messageOf(error);
  }
}

const GRADES: Record<number, string> = {
  [Grade.ORDINARY]: "一般 Ordinary",
  [Grade.DIFFICULT]: "疑难 Difficult",
  [Grade.MAJOR]: "重大 Major",
};
const TASK_STATUSES: Record<number, string> = {
  [TaskStatus.OPEN]: "待接收 Open",
  [TaskStatus.ACKNOWLEDGED]: "已接收 Acknowledged",
  [TaskStatus.REPORTED]: "已报到 Reported",
  [TaskStatus.OVERDUE]: "已逾期 Overdue",
};
const TASK_RESULTS: Record<number, string> = {
  [TaskResult.DONE]: "完成 Done",
  [TaskResult.PARTLY_DONE]: "部分完成 Partly done",
  [TaskResult.NOT_DONE]: "未完成 Not done",
};
const when = (t: Timestamp | undefined) =>
  t ? timestampDate(t).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", dateStyle: "short", timeStyle: "short" }) : "—";
const shortId = (id: string) => id.slice(0, 8);

/** The centre's work list: cases their stations escalated (EscalateCase), oldest first. */
async function escalated() {
  const status = byId("escalated-status");
  try {
    const { cases } = await api.appointments.listCases({ escalated: true, pageSize: 500 });
    byId("escalated").replaceChildren(
      ...cases.map((c) =>
        h(
          "tr",
          { "data-case": c.id },
          h("td", { title: c.id }, shortId(c.id), h("div", { class: "lines" }, siteNames.get(c.siteId) ?? c.siteId)),
          h("td", {}, GRADES[c.grade] ?? "—"),
          h("td", { "data-reason": "" }, c.escalationReason),
          h("td", {}, when(c.escalatedAt)),
        ),
      ),
    );
    status.textContent = `${cases.length} 件 cases`;
  } catch (error) {
    status.textContent = messageOf(error);
  }
}

/** The tasks dispatched for escalated cases, in dispatch order; overdue ones highlighted. */
async function tasks() {
  const status = byId("tasks-status");
  try {
    const rows = [];
    let pageToken = "";
    do {
      const page = await api.appointments.listTasks({ pageSize: 500, pageToken });
      rows.push(...page.tasks);
      pageToken = page.nextPageToken;
    } while (pageToken);
    byId("tasks").replaceChildren(
      ...rows.map((t) =>
        h(
          "tr",
          { "data-task": t.id, class: t.status === TaskStatus.OVERDUE ? "overdue" : undefined },
          h("td", { title: t.caseId }, shortId(t.caseId), h("div", { class: "lines" }, t.instructions)),
          h("td", { "data-assignee": t.assigneeSiteId }, siteNames.get(t.assigneeSiteId) ?? t.assigneeSiteId),
          h("td", { "data-status": TaskStatus[t.status] }, TASK_STATUSES[t.status] ?? "—"),
          h("td", {}, when(t.dueAt)),
          h("td", {}, TASK_RESULTS[t.result] ?? "—", t.note ? h("div", { class: "lines" }, t.note) : null),
        ),
      ),
    );
    const overdue = rows.filter((t) => t.status === TaskStatus.OVERDUE).length;
    status.textContent = `${rows.length} 项 tasks${overdue ? ` · ${overdue} 项逾期 overdue` : ""}`;
  } catch (error) {
    status.textContent = messageOf(error);
  }
}

byId("export").addEventListener("click", async () => {
  const siteId = byId<HTMLSelectElement>("assess-site").value;
  try {
    const { csv } = await api.ratings.exportAssessments({ siteId, period: period() });
    const { year, month } = period();
    const link = h("a", { href: URL.createObjectURL(new Blob([csv], { type: "text/csv" })), download: `assessments-${siteId}-${year}-${String(month).padStart(2, "0")}.csv` });
    link.click();
    URL.revokeObjectURL(link.href);
  } catch (error) {
    byId("assess-status").textContent = messageOf(error);
  }
});

byId("refresh").addEventListener("click", () => void refresh().then(() => Promise.all([escalated(), tasks()])));
byId("month").addEventListener("change", () => void refresh().then(assessments));
byId("site").addEventListener("change", () => void refresh());
byId("assess-load").addEventListener("click", () => void assessments());

if (session.token) start().catch(() => (session.token = null));
