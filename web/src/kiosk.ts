// The kiosk at a police box (城市智能警务亭): provisioned once with its kiosk secret, it shows
// the published experts by speciality, the station's waiting line and free mediators (no names
// or phones), and serves a walk-in resident: their phone code starts a short resident session
// bound to this kiosk, with which they file a case and book a session (in person at the
// station, or by video with a remote expert in the kiosk's own video room), or check in for
// one. Chinese first with an English toggle; after a minute without a touch everything
// personal is dropped and the start screen comes back.
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { clients, messageOf, requestId } from "./api.js";
import { byId, clock, h } from "./dom.js";
import {
  AppointmentStatus,
  CaseOrigin,
  Grade,
  PartyRole,
  type Appointment,
  type Slot,
} from "./gen/mediation/appointments/v1/appointments_pb.js";
import { MediationMode, MediatorKind, type Site, type Specialty } from "./gen/mediation/directory/v1/directory_pb.js";
import { PhoneCodePurpose } from "./gen/mediation/identity/v1/identity_pb.js";
import "./style.css";
import "./kiosk.css";

const TEXT = {
  title: ["自助调解服务", "Self-service mediation"],
  provisionTitle: ["终端开通", "Set up this kiosk"],
  provisionHelp: ["由工作人员输入本终端的编号和密钥（开通时只显示一次）。", "Staff enter this kiosk's id and secret (shown once when it was provisioned)."],
  kioskId: ["终端编号", "Kiosk id"],
  kioskSecret: ["终端密钥", "Kiosk secret"],
  provisionSave: ["开通", "Set up"],
  tileExperts: ["找调解专家", "Find an expert"],
  tileExpertsHelp: ["按纠纷类型查看", "by kind of dispute"],
  tileLine: ["现场排队", "Waiting line"],
  tileLineHelp: ["等候人数与空闲调解员", "who waits, who is free"],
  tileFile: ["登记纠纷并预约", "File a dispute and book"],
  tileFileHelp: ["手机验证码即可办理", "with a code sent to your phone"],
  tileCheckIn: ["预约签到", "Check in"],
  tileCheckInHelp: ["已预约的调解", "for a booked session"],
  position: ["序号", "No."],
  grade: ["等级", "Grade"],
  origin: ["来源", "From"],
  waiting: ["已等候", "Waiting"],
  lineNote: ["为保护隐私，此处不显示当事人信息。", "For privacy, no one's details are shown here."],
  phoneTitle: ["验证手机号", "Prove your phone"],
  phone: ["手机号码", "Mobile number"],
  sendCode: ["发送验证码", "Send code"],
  code: ["短信验证码", "Code from the SMS"],
  confirm: ["确认", "Confirm"],
  fileTitle: ["登记纠纷", "File your dispute"],
  yourName: ["您的姓名", "Your name"],
  category: ["纠纷类型", "Kind of dispute"],
  summary: ["简要情况", "What happened, in brief"],
  otherName: ["对方姓名", "The other party's name"],
  otherPhone: ["对方手机号", "The other party's mobile"],
  amount: ["涉及金额（元）", "Amount in dispute (yuan)"],
  inPerson: ["到派出所面对面调解", "In person at the station"],
  video: ["在本亭远程视频调解", "By video here, with a remote expert"],
  fileSubmit: ["提交并查看可约时间", "File and see free times"],
  slotsTitle: ["选择调解时间", "Choose a time"],
  book: ["预约此时间", "Book this time"],
  noSlots: ["近两周没有可约时间，请咨询窗口工作人员。", "No free time in the next two weeks; please ask at the counter."],
  checkInTitle: ["我的预约", "My sessions"],
  checkIn: ["签到", "Check in"],
  noBookings: ["没有待签到的预约。", "No booked session to check in."],
  booked: ["预约成功", "Booked"],
  checkedIn: ["签到成功", "Checked in"],
  doneNote: ["请记下时间；页面稍后自动回到首页，不保留您的信息。", "Note the time; this screen returns to the start soon and keeps nothing of yours."],
  backHome: ["返回首页", "Back to start"],
  waitingNow: ["正在等候", "waiting"],
  freeNow: ["名调解员空闲", "mediators free"],
  inSession: ["场调解进行中", "sessions under way"],
  minutes: ["分钟", "min"],
  at: ["时间", "Time"],
  room: ["地点", "Where"],
  mediators: ["调解员", "Mediator"],
  caseGrade: ["案件等级", "Case grade"],
  rating: ["评分", "Rating"],
} as const;
type Key = keyof typeof TEXT;

const GRADES: Record<number, [string, string]> = {
  [Grade.ORDINARY]: ["一般", "Ordinary"],
  [Grade.DIFFICULT]: ["疑难", "Difficult"],
  [Grade.MAJOR]: ["重大", "Major"],
};
const ORIGINS: Record<number, [string, string]> = {
  [CaseOrigin.POLICE_110]: ["110 移交", "110 handover"],
  [CaseOrigin.WALK_IN]: ["现场来访", "walk-in"],
  [CaseOrigin.KIOSK]: ["警务亭", "kiosk"],
  [CaseOrigin.APP]: ["手机", "app"],
};
const KINDS: Record<number, [string, string]> = {
  [MediatorKind.STATION_MEDIATOR]: ["驻所调解员", "Station mediator"],
  [MediatorKind.THINK_TANK_EXPERT]: ["智囊团专家", "Think-tank expert"],
  [MediatorKind.POLICE_LIAISON]: ["警调联络员", "Police liaison"],
  [MediatorKind.PARTNER_MEDIATOR]: ["联调单位调解员", "Partner mediator"],
};

const params = new URLSearchParams(location.search);
/** Seconds without a touch before the start screen returns; a URL parameter lets tests shorten it. */
const IDLE_SECONDS = Number(params.get("idle") ?? 60);
const ZONE = "Asia/Shanghai";
const PROVISION_KEY = "kiosk.credentials";

let lang: 0 | 1 = 0;
const t = (key: Key) => TEXT[key][lang];
const pick = (pair: readonly [string, string] | undefined) => (pair ? pair[lang] : "");

// The kiosk's own session, and the walk-in resident's (in memory only, never stored).
let kioskToken: string | null = null;
let residentToken: string | null = null;
let intent: "file" | "checkin" = "file";
let kioskSite: Site | undefined;
let station: Site | undefined;
let specialties: Specialty[] = [];

const kioskApi = clients(() => kioskToken);
const residentApi = clients(() => residentToken);
const publicApi = clients(() => null);

function translate() {
  document.documentElement.lang = lang === 0 ? "zh-CN" : "en";
  for (const element of document.querySelectorAll<HTMLElement>("[data-t]")) {
    element.textContent = t(element.dataset.t as Key);
  }
  byId("k-lang").textContent = lang === 0 ? "English" : "中文";
  byId("k-site").textContent = kioskSite ? kioskSite.name : "";
}

byId("k-lang").addEventListener("click", () => {
  lang = lang === 0 ? 1 : 0;
  translate();
  // Screens drawn from data follow the language too.
  const current = document.querySelector<HTMLElement>(".k-screen:not(.hidden)")?.id;
  if (current === "s-home" || current === "s-line") void refreshNow();
  if (current === "s-experts") renderSpecialties();
  if (current === "s-file") renderCategories();
});

function show(screen: string) {
  for (const element of document.querySelectorAll(".k-screen")) element.classList.add("hidden");
  byId(`s-${screen}`).classList.remove("hidden");
  byId("k-home").classList.toggle("hidden", screen === "home" || screen === "provision");
}

// --- Provisioning and the kiosk's own sign-in -------------------------------------------------

async function kioskLogin(): Promise<boolean> {
  const stored = localStorage.getItem(PROVISION_KEY);
  if (!stored) return false;
  const { id, secret } = JSON.parse(stored) as { id: string; secret: string };
  const tokens = await publicApi.identity.kioskLogin({ kioskId: id, secret });
  kioskToken = tokens.accessToken;
  // Sign in again before the access token runs out.
  const expires = tokens.accessExpiresAt ? timestampDate(tokens.accessExpiresAt).getTime() : Date.now() + 600_000;
  setTimeout(() => void kioskLogin(), Math.max(30_000, expires - Date.now() - 60_000));
  const me = await kioskApi.identity.getMe({});
  kioskSite = await publicApi.directory.getSite({ id: me.siteId });
  station = await publicApi.directory.getSite({ id: kioskSite.parentId });
  return true;
}

byId("p-save").addEventListener("click", async () => {
  const id = byId<HTMLInputElement>("p-id").value.trim();
  const secret = byId<HTMLInputElement>("p-secret").value.trim();
  localStorage.setItem(PROVISION_KEY, JSON.stringify({ id, secret }));
  try {
    await kioskLogin();
    byId<HTMLInputElement>("p-secret").value = "";
    await home();
  } catch (error) {
    localStorage.removeItem(PROVISION_KEY);
    byId("p-error").textContent = messageOf(error);
  }
});

// --- The start screen and the station's live picture -----------------------------------------

async function home() {
  translate();
  show("home");
  await refreshNow();
}

async function refreshNow() {
  if (!station) return;
  const now = await kioskApi.appointments.getStationNow({ siteId: station.id });
  const summary = h(
    "div",
    { "data-now": "" },
    h("strong", { "data-waiting": now.waiting.length }, String(now.waiting.length)),
    t("waitingNow"),
    " · ",
    h("strong", { "data-free": now.freeMediatorIds.length }, String(now.freeMediatorIds.length)),
    t("freeNow"),
    " · ",
    h("strong", {}, String(now.inSession.length)),
    t("inSession"),
  );
  byId("k-now").replaceChildren(summary.cloneNode(true));
  byId("l-summary").replaceChildren(summary);
  const asOf = now.asOf ? timestampDate(now.asOf).getTime() : Date.now();
  byId("l-waiting").replaceChildren(
    ...now.waiting.map((w) =>
      h(
        "tr",
        {},
        h("td", {}, String(w.position)),
        h("td", {}, pick(GRADES[w.grade])),
        h("td", {}, pick(ORIGINS[w.origin])),
        h("td", {}, `${Math.max(0, Math.round((asOf - (w.waitingSince ? timestampDate(w.waitingSince).getTime() : asOf)) / 60_000))} ${t("minutes")}`),
      ),
    ),
  );
}

for (const tile of document.querySelectorAll<HTMLElement>("[data-go]")) {
  tile.addEventListener("click", async () => {
    const screen = tile.dataset.go!;
    show(screen);
    if (screen === "experts") {
      await loadSpecialties();
      renderSpecialties();
    }
    if (screen === "line") await refreshNow();
  });
}
for (const tile of document.querySelectorAll<HTMLElement>("[data-intent]")) {
  tile.addEventListener("click", () => {
    intent = tile.dataset.intent as "file" | "checkin";
    show("phone");
  });
}

// --- Experts by speciality --------------------------------------------------------------------

async function loadSpecialties() {
  if (specialties.length === 0) specialties = (await publicApi.directory.listSpecialties({})).specialties;
}

let expertSpecialty = "";

function renderSpecialties() {
  byId("e-specialties").replaceChildren(
    ...specialties.map((sp) => {
      const chip = h("button", { class: `k-chip${sp.code === expertSpecialty ? " selected" : ""}`, "data-specialty": sp.code }, lang === 0 ? sp.nameZh : sp.nameEn);
      chip.addEventListener("click", () => void experts(sp.code));
      return chip;
    }),
  );
}

async function experts(code: string) {
  expertSpecialty = code;
  renderSpecialties();
  const found = await publicApi.directory.searchMediators({
    specialtyCodes: [code],
    siteId: station?.parentId ?? "",
    includeChildSites: true,
    pageSize: 10,
  });
  const names = new Map(specialties.map((sp) => [sp.code, lang === 0 ? sp.nameZh : sp.nameEn]));
  byId("e-list").replaceChildren(
    ...found.hits.map((hit) => {
      const m = hit.mediator!;
      return h(
        "div",
        { class: "k-card", "data-mediator": m.id },
        h("div", { class: "k-name" }, m.displayName),
        h("div", {}, `${pick(KINDS[m.kind])} · L${m.level} · ${m.specialtyCodes.map((c) => names.get(c) ?? c).join("、")}`),
        hit.rating && hit.rating.count > 0 ? h("div", { class: "muted" }, `${t("rating")} ${hit.rating.mean.toFixed(1)} (${hit.rating.count})`) : null,
        m.bio ? h("div", { class: "muted" }, m.bio) : null,
      );
    }),
  );
}

// --- A walk-in resident's session by phone code ----------------------------------------------

byId("ph-send").addEventListener("click", async () => {
  byId("ph-error").textContent = "";
  try {
    await kioskApi.identity.sendPhoneCode({ phone: byId<HTMLInputElement>("ph-phone").value.trim(), purpose: PhoneCodePurpose.KIOSK_SESSION });
    byId("ph-code-row").classList.remove("hidden");
    byId("ph-start").classList.remove("hidden");
    byId("ph-code").focus();
  } catch (error) {
    byId("ph-error").textContent = messageOf(error);
  }
});

byId("ph-start").addEventListener("click", async () => {
  byId("ph-error").textContent = "";
  try {
    const tokens = await kioskApi.identity.startKioskResidentSession({
      phone: byId<HTMLInputElement>("ph-phone").value.trim(),
      code: byId<HTMLInputElement>("ph-code").value.trim(),
    });
    residentToken = tokens.accessToken;
    if (intent === "file") {
      await loadSpecialties();
      renderCategories();
      show("file");
    } else {
      await bookings();
      show("checkin");
    }
  } catch (error) {
    byId("ph-error").textContent = messageOf(error);
  }
});

// --- Filing a case and booking a session -----------------------------------------------------

let category = "";
let mode: "in-person" | "video" = "in-person";

function renderCategories() {
  byId("f-category").replaceChildren(
    ...specialties.map((sp) => {
      const chip = h("button", { class: `k-chip${sp.code === category ? " selected" : ""}`, "data-category": sp.code }, lang === 0 ? sp.nameZh : sp.nameEn);
      chip.addEventListener("click", () => {
        category = sp.code;
        renderCategories();
      });
      return chip;
    }),
  );
}

for (const chip of document.querySelectorAll<HTMLElement>("[data-mode]")) {
  chip.addEventListener("click", () => {
    mode = chip.dataset.mode as typeof mode;
    for (const other of document.querySelectorAll("[data-mode]")) other.classList.toggle("selected", other === chip);
  });
}

let filedCase: { id: string; grade: Grade } | undefined;

byId("f-submit").addEventListener("click", async () => {
  byId("f-error").textContent = "";
  const phone = byId<HTMLInputElement>("ph-phone").value.trim();
  const parties = [{ name: byId<HTMLInputElement>("f-name").value.trim(), phone, role: PartyRole.APPLICANT }];
  const otherName = byId<HTMLInputElement>("f-other-name").value.trim();
  const otherPhone = byId<HTMLInputElement>("f-other-phone").value.trim();
  if (otherName || otherPhone) parties.push({ name: otherName, phone: otherPhone, role: PartyRole.RESPONDENT });
  try {
    const filed = await residentApi.appointments.createCase({
      requestId: requestId(),
      category,
      summary: byId<HTMLTextAreaElement>("f-summary").value.trim(),
      origin: CaseOrigin.KIOSK,
      siteId: station!.id,
      parties,
      assessment: { amountInDisputeYuan: BigInt(Number(byId<HTMLInputElement>("f-amount").value) || 0), partyCount: parties.length },
    });
    filedCase = { id: filed.id, grade: filed.grade };
    await slots();
    show("slots");
  } catch (error) {
    byId("f-error").textContent = messageOf(error);
  }
});

async function slots() {
  byId("sl-error").textContent = "";
  byId("sl-grade").textContent = `${t("caseGrade")}: ${pick(GRADES[filedCase!.grade])}`;
  const from = new Date();
  const video = mode === "video";
  const found = await residentApi.appointments.searchAvailability({
    caseId: filedCase!.id,
    // In person at the station; by video in this kiosk's own video room, with an expert anywhere.
    siteId: video ? kioskSite!.id : station!.id,
    mode: video ? MediationMode.VIDEO : MediationMode.IN_PERSON,
    from: timestampFromDate(from),
    to: timestampFromDate(new Date(from.getTime() + 14 * 86_400_000)),
    duration: { seconds: 3600n },
    maxSlots: 6,
  });
  const names = await mediatorNames(found.slots.flatMap((slot) => slot.mediatorIds));
  byId("sl-list").replaceChildren(
    ...(found.slots.length ? found.slots.map((slot) => slotCard(slot, names, video)) : [h("p", {}, t("noSlots"))]),
  );
}

async function mediatorNames(ids: string[]): Promise<Map<string, string>> {
  const unique = [...new Set(ids)];
  const profiles = await Promise.all(unique.map((id) => publicApi.directory.getMediator({ id })));
  return new Map(profiles.map((m) => [m.id, m.displayName]));
}

const day = (at: Date) =>
  at.toLocaleDateString(lang === 0 ? "zh-CN" : "en-GB", { timeZone: ZONE, month: "long", day: "numeric", weekday: "short" });

function slotCard(slot: Slot, names: Map<string, string>, video: boolean) {
  const start = timestampDate(slot.start!);
  const button = h("button", { "data-book": "" }, t("book"));
  button.addEventListener("click", () => void book(slot, video, names));
  return h(
    "div",
    { class: "k-card", "data-slot": start.toISOString() },
    h("div", { class: "k-name" }, `${day(start)} ${clock(start, ZONE)}–${clock(timestampDate(slot.end!), ZONE)}`),
    h("div", {}, `${t("mediators")}: ${slot.mediatorIds.map((id) => names.get(id) ?? id).join("、")}`),
    button,
  );
}

async function book(slot: Slot, video: boolean, names: Map<string, string>) {
  try {
    const appointment = await residentApi.appointments.bookAppointment({
      requestId: requestId(),
      caseId: filedCase!.id,
      start: slot.start,
      end: slot.end,
      mediatorIds: slot.mediatorIds,
      roomId: slot.roomId,
      mode: video ? MediationMode.VIDEO : MediationMode.IN_PERSON,
    });
    done(t("booked"), appointment, names);
  } catch (error) {
    byId("sl-error").textContent = messageOf(error);
    await slots();
  }
}

function done(title: string, appointment: Appointment, names: Map<string, string>) {
  byId("d-title").textContent = title;
  const start = timestampDate(appointment.start!);
  const where = appointment.siteId === kioskSite?.id ? kioskSite.name : station?.name ?? appointment.siteId;
  byId("d-body").replaceChildren(
    h("div", { "data-appointment": appointment.id, "data-status": AppointmentStatus[appointment.status] }, `${t("at")}: ${day(start)} ${clock(start, ZONE)}–${clock(timestampDate(appointment.end!), ZONE)}`),
    h("div", {}, `${t("room")}: ${where}`),
    h("div", {}, `${t("mediators")}: ${appointment.mediatorIds.map((id) => names.get(id) ?? id).join("、")}`),
  );
  show("done");
}

// --- Checking in -------------------------------------------------------------------------------

async function bookings() {
  byId("c-error").textContent = "";
  const list = await residentApi.appointments.listAppointments({ status: AppointmentStatus.BOOKED, pageSize: 20 });
  const names = await mediatorNames(list.appointments.flatMap((a) => a.mediatorIds));
  byId("c-list").replaceChildren(
    ...(list.appointments.length
      ? list.appointments.map((appointment) => {
          const start = timestampDate(appointment.start!);
          const button = h("button", { "data-check-in": appointment.id }, t("checkIn"));
          button.addEventListener("click", async () => {
            try {
              // The kiosk checks the resident in with its own credentials.
              const checked = await kioskApi.appointments.checkIn({ appointmentId: appointment.id });
              done(t("checkedIn"), checked, names);
            } catch (error) {
              byId("c-error").textContent = messageOf(error);
            }
          });
          return h(
            "div",
            { class: "k-card" },
            h("div", { class: "k-name" }, `${day(start)} ${clock(start, ZONE)}`),
            h("div", {}, `${t("mediators")}: ${appointment.mediatorIds.map((id) => names.get(id) ?? id).join("、")}`),
            button,
          );
        })
      : [h("p", {}, t("noBookings"))]),
  );
}

// --- Back to the start, with nothing personal left --------------------------------------------

function forget() {
  residentToken = null;
  filedCase = undefined;
  category = "";
  expertSpecialty = "";
  mode = "in-person";
  for (const input of document.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>(".k-screen input, .k-screen textarea")) {
    if (input.closest("#s-provision")) continue;
    input.value = input.id === "f-amount" ? "0" : "";
  }
  for (const id of ["e-list", "sl-list", "c-list", "d-body", "e-specialties", "f-category"]) byId(id).replaceChildren();
  for (const id of ["ph-error", "f-error", "sl-error", "c-error", "d-title", "sl-grade"]) byId(id).textContent = "";
  byId("ph-code-row").classList.add("hidden");
  byId("ph-start").classList.add("hidden");
  for (const chip of document.querySelectorAll("[data-mode]")) chip.classList.toggle("selected", chip.getAttribute("data-mode") === "in-person");
  lang = 0;
}

async function startOver() {
  forget();
  if (kioskToken) await home();
}

byId("k-home").addEventListener("click", () => void startOver());

let idle: ReturnType<typeof setTimeout> | undefined;
function touched() {
  clearTimeout(idle);
  idle = setTimeout(() => void startOver(), IDLE_SECONDS * 1000);
}
for (const kind of ["pointerdown", "keydown", "input"]) document.addEventListener(kind, touched, { capture: true });

// --- Start --------------------------------------------------------------------------------------

translate();
kioskLogin()
  .then((provisioned) => {
    touched();
    if (provisioned) return home();
    show("provision");
  })
  .catch((error) => {
    byId("p-error").textContent = messageOf(error);
    show("provision");
  });
// The waiting line changes by itself: refresh the start screen every 20 seconds.
setInterval(() => {
  if (!byId("s-home").classList.contains("hidden")) void refreshNow().catch(() => undefined);
}, 20_000);
