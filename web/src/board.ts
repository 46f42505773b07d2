// The dispatcher's board: a station's day of home visits, its vans with shifts and crews, the
// proposed plan drawn as routes, commit (with a stale plan's refusal explained), manual
// assignment, and the live picture from WatchBoard (server streaming over grpc-web).
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { clients, Code, codeOf, messageOf, reasonOf, Session } from "./api.js";
import { byId, clock, h, instantAt, isoDate, s } from "./dom.js";
import { MediationMode, SiteKind, type Mediator, type Site } from "./gen/mediation/directory/v1/directory_pb.js";
import {
  type BoardEvent,
  type HomeVisit,
  type Plan,
  type Shift,
  type Van,
  VisitStatus,
} from "./gen/mediation/dispatch/v1/dispatch_pb.js";
import { Role } from "./gen/mediation/identity/v1/identity_pb.js";
import "./style.css";
import "./board.css";

const session = new Session("board.token");
const api = clients(() => session.token);
const ROUTE_COLOURS = ["#b3261e", "#1565c0", "#2e7d32", "#6a1b9a", "#ef6c00", "#00838f"];

interface Position {
  latitude: number;
  longitude: number;
  at?: Date;
}

const state = {
  stations: [] as Site[],
  station: undefined as Site | undefined,
  date: "",
  visits: new Map<string, HomeVisit>(),
  vans: [] as Van[],
  positions: new Map<string, Position>(),
  shifts: new Map<string, Shift>(),
  crew: [] as Mediator[],
  plan: undefined as Plan | undefined,
  watch: undefined as AbortController | undefined,
};

const zone = () => state.station?.timeZone || "Asia/Shanghai";
const dateParts = () => {
  const [year, month, day] = state.date.split("-").map(Number);
  return { year, month, day };
};
const statusName = (status: VisitStatus) => VisitStatus[status];

// --- Sign-in ---------------------------------------------------------------------------------

byId<HTMLFormElement>("signin").addEventListener("submit", async (event) => {
  event.preventDefault();
  byId("signin-error").textContent = "";
  try {
    const tokens = await api.identity.login({
      login: byId<HTMLInputElement>("login").value.trim(),
      password: byId<HTMLInputElement>("password").value,
    });
    session.token = tokens.accessToken;
    await start();
  } catch (error) {
    session.token = null;
    byId("signin-error").textContent = `登录失败 Sign-in failed (${messageOf(error)})`;
  }
});

byId("sign-out").addEventListener("click", () => {
  state.watch?.abort();
  session.token = null;
  location.reload();
});

async function start() {
  const me = await api.identity.getMe({});
  if (![Role.DISPATCHER, Role.STATION_ADMIN, Role.CENTRE_ADMIN].includes(me.role)) {
    session.token = null;
    throw new Error("not a dispatcher");
  }
  byId("who").textContent = `${me.displayName} (${me.login})`;
  byId("sign-out").classList.remove("hidden");
  byId("signin").classList.add("hidden");
  byId("board").classList.remove("hidden");

  state.stations = await allStations();
  const select = byId<HTMLSelectElement>("station");
  select.replaceChildren(...state.stations.map((site) => h("option", { value: site.id }, site.name)));
  // A station-bound dispatcher starts at their own station.
  const own = state.stations.find((site) => site.id === me.siteId);
  select.value = (own ?? state.stations[0]).id;
  const params = new URLSearchParams(location.search);
  if (params.get("station")) select.value = params.get("station")!;
  const dateInput = byId<HTMLInputElement>("date");
  dateInput.value = params.get("date") ?? isoDate(new Date(), "Asia/Shanghai");
  await load();
}

async function allStations(): Promise<Site[]> {
  const sites: Site[] = [];
  let pageToken = "";
  do {
    const page = await api.directory.listSites({ kind: SiteKind.STATION, pageSize: 100, pageToken });
    sites.push(...page.sites);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return sites;
}

byId("station").addEventListener("change", () => void load());
byId("date").addEventListener("change", () => void load());

// --- Loading the day -------------------------------------------------------------------------

async function load() {
  state.station = state.stations.find((site) => site.id === byId<HTMLSelectElement>("station").value);
  state.date = byId<HTMLInputElement>("date").value;
  if (!state.station || !state.date) return;
  state.visits.clear();
  state.positions.clear();
  state.plan = undefined;
  hideStale();
  byId("plan-error").textContent = "";
  const stationId = state.station.id;
  const [vans, crew] = await Promise.all([
    api.dispatch.listVans({ depotSiteId: stationId, pageSize: 50 }),
    api.directory.searchMediators({ siteId: stationId, mode: MediationMode.HOME_VISIT, pageSize: 50 }),
  ]);
  state.vans = vans.vans;
  state.crew = crew.hits.flatMap((hit) => (hit.mediator ? [hit.mediator] : []));
  for (const van of state.vans) {
    if (van.location) {
      state.positions.set(van.id, {
        latitude: van.location.latitude,
        longitude: van.location.longitude,
        at: van.locationAt && timestampDate(van.locationAt),
      });
    }
  }
  let pageToken = "";
  do {
    const page = await api.dispatch.listHomeVisits({
      filter: { date: dateParts(), stationId },
      pageSize: 100,
      pageToken,
    });
    for (const visit of page.homeVisits) state.visits.set(visit.id, visit);
    pageToken = page.nextPageToken;
  } while (pageToken);
  render();
  watch();
}

// --- Live updates ----------------------------------------------------------------------------

function watch() {
  state.watch?.abort();
  const controller = new AbortController();
  state.watch = controller;
  const stationId = state.station!.id;
  const date = dateParts();
  const live = byId("live");
  const run = async () => {
    while (!controller.signal.aborted) {
      try {
        live.textContent = "实时 Live: 连接中 connecting";
        const stream = api.dispatch.watchBoard({ date, stationId }, { signal: controller.signal });
        live.textContent = "实时 Live: 已连接 connected";
        live.dataset.state = "connected";
        for await (const event of stream) {
          onEvent(event.event);
        }
      } catch (error) {
        if (controller.signal.aborted) return;
        live.dataset.state = "retrying";
        live.textContent = `实时 Live: 重连中 reconnecting (${codeOf(error) === undefined ? error : Code[codeOf(error)!]})`;
      }
      // The stream ended (a restart, an expired token): open it again after a pause.
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  };
  void run();
}

function onEvent(event: BoardEvent["event"]) {
  switch (event.case) {
    case "visit":
      state.visits.set(event.value.id, event.value);
      break;
    case "vanPosition": {
      const position = event.value;
      if (position.location) {
        state.positions.set(position.vanId, {
          latitude: position.location.latitude,
          longitude: position.location.longitude,
          at: position.at && timestampDate(position.at),
        });
      }
      break;
    }
    case "planCommitted":
      notice(`方案已确认 Plan committed: ${event.value}`);
      void api.dispatch.getPlan({ planId: event.value }).then((plan) => {
        state.plan = plan;
        render();
      });
      break;
    case "planProposed":
      notice(`有新的自动方案 A new plan was proposed: ${event.value}`);
      break;
    default:
      return;
  }
  render();
}

function notice(text: string) {
  byId("notice").textContent = text;
}

// --- Plans -----------------------------------------------------------------------------------

async function propose() {
  byId("plan-error").textContent = "";
  hideStale();
  const button = byId<HTMLButtonElement>("propose");
  button.disabled = true;
  try {
    state.plan = await api.dispatch.proposePlan({ date: dateParts(), stationId: state.station!.id });
    notice(`方案已生成 Plan proposed: ${state.plan.id}`);
  } catch (error) {
    byId("plan-error").textContent = `无法生成方案 Could not propose: ${messageOf(error)}`;
  } finally {
    button.disabled = false;
  }
  render();
}

async function commit() {
  if (!state.plan) return;
  byId("plan-error").textContent = "";
  try {
    state.plan = await api.dispatch.commitPlan({ planId: state.plan.id });
    notice(`方案已确认 Plan committed: ${state.plan.id}`);
    await refreshVisits();
  } catch (error) {
    if (codeOf(error) === Code.FailedPrecondition && reasonOf(error) === "PLAN_STALE") {
      byId("stale").classList.remove("hidden");
    } else {
      byId("plan-error").textContent = `无法确认 Could not commit: ${messageOf(error)}`;
    }
  }
  render();
}

function hideStale() {
  byId("stale").classList.add("hidden");
}

byId("propose").addEventListener("click", () => void propose());
byId("repropose").addEventListener("click", () => void propose());
byId("commit").addEventListener("click", () => void commit());

async function refreshVisits() {
  const page = await api.dispatch.listHomeVisits({ filter: { date: dateParts(), stationId: state.station!.id }, pageSize: 100 });
  for (const visit of page.homeVisits) state.visits.set(visit.id, visit);
}

async function assign(visitId: string, vanId: string, position: number) {
  byId("plan-error").textContent = "";
  try {
    const visit = await api.dispatch.assignVisit({ visitId, vanId, position });
    state.visits.set(visit.id, visit);
    notice(`已人工指派 Assigned by hand: ${visitId} → ${vanId}`);
  } catch (error) {
    byId("plan-error").textContent = `无法指派 Could not assign: ${messageOf(error)}`;
  }
  render();
}

async function setShift(vanId: string, start: string, end: string, crew: string[]) {
  byId("plan-error").textContent = "";
  try {
    const shift = await api.dispatch.setVanShift({
      vanId,
      date: dateParts(),
      start: timestampFromDate(instantAt(state.date, start)),
      end: timestampFromDate(instantAt(state.date, end)),
      crewMediatorIds: crew,
    });
    state.shifts.set(vanId, shift);
    notice(`班次已设定 Shift set: ${vanId}`);
  } catch (error) {
    byId("plan-error").textContent = `无法设定班次 Could not set the shift: ${messageOf(error)}`;
  }
  render();
}

// --- Drawing ---------------------------------------------------------------------------------

function render() {
  renderVisits();
  renderVans();
  renderMap();
  const plan = state.plan;
  byId<HTMLButtonElement>("commit").disabled = !plan || plan.committed;
  byId("plan-summary").textContent = plan
    ? `${plan.committed ? "已确认 committed" : "待确认 proposed"} · ${plan.routes.length} 条路线 routes · ${(plan.totalDistanceM / 1000).toFixed(1)} km`
    : "";
  byId("unassigned").replaceChildren(
    ...(plan?.unassigned ?? []).map((u) => h("li", {}, `${shortId(u.visitId)}: ${u.reason}`)),
  );
}

const shortId = (id: string) => id.slice(-6);

function sortedVisits(): HomeVisit[] {
  return [...state.visits.values()].sort(
    (a, b) => Number(a.windowStart?.seconds ?? 0n) - Number(b.windowStart?.seconds ?? 0n) || a.id.localeCompare(b.id),
  );
}

function renderVisits() {
  const visits = sortedVisits();
  byId("visit-count").textContent = `${visits.length}`;
  const plate = (vanId: string) => state.vans.find((van) => van.id === vanId)?.plate ?? vanId;
  byId("visits").replaceChildren(
    ...visits.map((visit, index) => {
      const status = statusName(visit.status);
      const window = `${clock(visit.windowStart && timestampDate(visit.windowStart), zone())}–${clock(visit.windowEnd && timestampDate(visit.windowEnd), zone())}`;
      const assignable = visit.status === VisitStatus.REQUESTED || visit.status === VisitStatus.PLANNED;
      let cell: HTMLElement = h("span", { class: "muted" }, "—");
      if (assignable && state.vans.length) {
        const van = h("select", { "aria-label": "van" }, ...state.vans.map((v) => h("option", { value: v.id, selected: v.id === visit.vanId }, v.plate)));
        // The stop's place on the route, from 1; empty puts it last.
        const place = h("input", { type: "number", min: 1, class: "place", placeholder: "末 end", "aria-label": "stop number" });
        const button = h("button", { class: "secondary", "data-assign": visit.id }, "指派 Assign");
        button.addEventListener("click", () => void assign(visit.id, van.value, place.value ? Number(place.value) - 1 : 1_000));
        cell = h("span", {}, van, " ", place, " ", button);
      }
      return h(
        "tr",
        { "data-visit-id": visit.id, "data-status": status },
        h("td", {}, String(index + 1)),
        h("td", {}, window),
        h("td", {}, visit.address),
        h("td", {}, h("span", { class: `badge status-${status}` }, status)),
        h("td", {}, visit.vanId ? `${plate(visit.vanId)} ${clock(visit.eta && timestampDate(visit.eta), zone())}` : ""),
        h("td", {}, cell),
      );
    }),
  );
}

function renderVans() {
  const routes = new Map((state.plan?.routes ?? []).map((route) => [route.vanId, route]));
  byId("vans").replaceChildren(
    ...state.vans.map((van, index) => {
      const shift = state.shifts.get(van.id);
      const route = routes.get(van.id);
      const position = state.positions.get(van.id);
      const colour = ROUTE_COLOURS[index % ROUTE_COLOURS.length];
      const crewNames = (ids: string[]) =>
        ids.map((id) => state.crew.find((m) => m.id === id)?.displayName ?? id).join("、");
      const start = h("input", { type: "time", value: shift ? clock(timestampDate(shift.start!), zone()) : "09:00", "aria-label": "shift start" });
      const end = h("input", { type: "time", value: shift ? clock(timestampDate(shift.end!), zone()) : "17:00", "aria-label": "shift end" });
      const crew = h(
        "select",
        { multiple: true, "aria-label": "crew" },
        ...state.crew.map((m) => h("option", { value: m.id, selected: shift?.crewMediatorIds.includes(m.id) }, `${m.displayName} (${m.id})`)),
      );
      const save = h("button", { class: "secondary", "data-set-shift": van.id }, "设定班次 Set shift");
      save.addEventListener("click", () =>
        void setShift(van.id, start.value, end.value, [...crew.selectedOptions].map((o) => o.value)),
      );
      return h(
        "div",
        { class: "van", "data-van-id": van.id },
        h("strong", { style: `color:${colour}` }, `■ ${van.plate}`),
        " ",
        h("span", { class: "badge" }, van.status === 2 ? "停运 out of service" : "可用 available"),
        h("div", { class: "muted" }, `${van.seats} 座 seats · ${van.id}`),
        shift
          ? h("div", { "data-shift": van.id }, `班次 Shift ${clock(timestampDate(shift.start!), zone())}–${clock(timestampDate(shift.end!), zone())} · 随车 Crew: ${crewNames(shift.crewMediatorIds)}`)
          : null,
        route
          ? h("div", {}, `路线 Route ${clock(route.departDepot && timestampDate(route.departDepot), zone())} 出发 depart → ${clock(route.returnDepot && timestampDate(route.returnDepot), zone())} 返回 return · ${route.stops.length} 站 stops · ${(route.distanceM / 1000).toFixed(1)} km`)
          : null,
        h(
          "div",
          { class: "muted", "data-position": van.id },
          position
            ? `位置 Position ${position.latitude.toFixed(4)}, ${position.longitude.toFixed(4)} ${clock(position.at, zone())}`
            : "位置 Position —",
        ),
        h("div", { class: "row" }, start, "–", end),
        h("div", { class: "row" }, crew),
        h("div", { class: "row" }, save),
      );
    }),
  );
}

interface DrawnRoute {
  vanId: string;
  stops: { visit: HomeVisit; arrival?: Date }[];
}

/**
 * A proposal is drawn as proposed; otherwise the routes are what the visits say now (their van,
 * place on its route and ETA), so a commit, a manual assignment or a crew's report shows at once.
 */
function drawnRoutes(): DrawnRoute[] {
  const plan = state.plan;
  if (plan && !plan.committed) {
    return plan.routes.map((route) => ({
      vanId: route.vanId,
      stops: route.stops.flatMap((stop) => {
        const visit = state.visits.get(stop.visitId);
        return visit ? [{ visit, arrival: stop.arrival && timestampDate(stop.arrival) }] : [];
      }),
    }));
  }
  const onRoute = [VisitStatus.PLANNED, VisitStatus.EN_ROUTE, VisitStatus.ARRIVED, VisitStatus.COMPLETED];
  return state.vans.map((van) => ({
    vanId: van.id,
    stops: [...state.visits.values()]
      .filter((visit) => visit.vanId === van.id && onRoute.includes(visit.status))
      .sort((a, b) => (a.position ?? 0) - (b.position ?? 0))
      .map((visit) => ({ visit, arrival: visit.eta && timestampDate(visit.eta) })),
  })).filter((route) => route.stops.length > 0);
}

function renderMap() {
  const svg = byId("map") as unknown as SVGSVGElement;
  const depot = state.station?.location;
  const points: Position[] = [];
  if (depot) points.push(depot);
  for (const visit of state.visits.values()) if (visit.location) points.push(visit.location);
  for (const position of state.positions.values()) points.push(position);
  svg.replaceChildren();
  if (points.length === 0) return;
  const [W, H, pad] = [1000, 760, 60];
  const lats = points.map((p) => p.latitude);
  const lngs = points.map((p) => p.longitude);
  const midLat = (Math.min(...lats) + Math.max(...lats)) / 2;
  const kx = Math.cos((midLat * Math.PI) / 180);
  const spanX = Math.max((Math.max(...lngs) - Math.min(...lngs)) * kx, 0.005);
  const spanY = Math.max(Math.max(...lats) - Math.min(...lats), 0.005);
  const scale = Math.min((W - 2 * pad) / spanX, (H - 2 * pad) / spanY);
  const cx = (Math.min(...lngs) + Math.max(...lngs)) / 2;
  const cy = midLat;
  const xy = (p: Position): [number, number] => [W / 2 + (p.longitude - cx) * kx * scale, H / 2 - (p.latitude - cy) * scale];

  // A scale bar instead of map tiles: 1 km at this latitude.
  const km = (1 / 111.32) * scale;
  svg.append(
    s("line", { x1: 30, y1: H - 25, x2: 30 + km, y2: H - 25, stroke: "#5b6675", "stroke-width": 3 }),
    s("text", { x: 30, y: H - 32, "font-size": 14, fill: "#5b6675" }, "1 km"),
  );

  const routed = new Set<string>();
  drawnRoutes().forEach((route, index) => {
    const colour = ROUTE_COLOURS[state.vans.findIndex((v) => v.id === route.vanId) % ROUTE_COLOURS.length] ?? ROUTE_COLOURS[index];
    const stops = route.stops.filter((stop) => stop.visit.location);
    const path = [depot, ...stops.map((x) => x.visit.location), depot].filter(Boolean) as Position[];
    svg.append(
      s("polyline", {
        points: path.map((p) => xy(p).join(",")).join(" "),
        fill: "none",
        stroke: colour,
        "stroke-width": 4,
        "stroke-opacity": 0.75,
        "data-route": route.vanId,
      }),
    );
    stops.forEach(({ visit, arrival }, order) => {
      routed.add(visit.id);
      const [x, y] = xy(visit.location!);
      const group = s("g", { "data-stop": visit.id, "data-order": order + 1 });
      group.append(
        s("circle", { cx: x, cy: y, r: 15, fill: "#fff", stroke: colour, "stroke-width": 3 }),
        s("text", { x, y: y + 5, "text-anchor": "middle", "font-size": 15, "font-weight": 700, fill: colour }, String(order + 1)),
        s("text", { x: x + 20, y: y + 5, "font-size": 14, fill: "#1b2430" }, `${clock(arrival, zone())} 到达`),
      );
      svg.append(group);
    });
  });
  for (const visit of state.visits.values()) {
    if (routed.has(visit.id) || !visit.location) continue;
    const [x, y] = xy(visit.location);
    const group = s("g", { "data-visit-dot": visit.id });
    group.append(
      s("circle", { cx: x, cy: y, r: 10, fill: "#c7ccd3", stroke: "#5b6675", "stroke-width": 2 }),
      s("text", { x: x + 14, y: y + 5, "font-size": 13, fill: "#5b6675" }, statusName(visit.status)),
    );
    svg.append(group);
  }
  if (depot) {
    const [x, y] = xy(depot);
    svg.append(
      s("rect", { x: x - 12, y: y - 12, width: 24, height: 24, fill: "#1b2430" }),
      s("text", { x: x + 18, y: y - 14, "font-size": 15, "font-weight": 600 }, state.station?.name ?? "depot"),
    );
  }
  state.vans.forEach((van, index) => {
    const position = state.positions.get(van.id);
    if (!position) return;
    const [x, y] = xy(position);
    const colour = ROUTE_COLOURS[index % ROUTE_COLOURS.length];
    const marker = s("g", {
      "data-van-marker": van.id,
      "data-lat": position.latitude.toFixed(5),
      "data-lng": position.longitude.toFixed(5),
      transform: `translate(${x.toFixed(1)},${y.toFixed(1)})`,
    });
    marker.append(
      s("path", { d: "M0,-22 L14,0 L0,-6 L-14,0 Z", fill: colour, stroke: "#fff", "stroke-width": 2 }),
      s("text", { x: 0, y: 18, "text-anchor": "middle", "font-size": 13, "font-weight": 700, fill: colour }, van.plate),
    );
    svg.append(marker);
  });
}

// A token from earlier in this tab signs in again without the form.
if (session.token) {
  start().catch(() => {
    session.token = null;
  });
}
