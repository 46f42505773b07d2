// The resident's tracking page, what the VISIT_EN_ROUTE SMS links to (/track/<token>): the
// visit's status, ETA and the van's coarse position, with no account and nothing else of the
// resident's (GetVisitByTrackingToken answers no address, case or names). It asks again every
// 15 seconds until the visit is over, when the link stops working.
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { clients, Code, codeOf, messageOf, reasonOf } from "./api.js";
import { byId, clock } from "./dom.js";
import { VisitStatus } from "./gen/mediation/dispatch/v1/dispatch_pb.js";
import "./style.css";
import "./track.css";

const STATUS: Partial<Record<VisitStatus, string>> = {
  [VisitStatus.REQUESTED]: "已受理 Requested",
  [VisitStatus.PLANNED]: "已安排 Planned",
  [VisitStatus.EN_ROUTE]: "车辆已出发 On the way",
  [VisitStatus.ARRIVED]: "已到达 Arrived",
};
const api = clients(() => null);
const token = decodeURIComponent(location.pathname.replace(/^\/track\//, "").replace(/\/$/, ""));
let timer: ReturnType<typeof setInterval> | undefined;

/** `12月9日 14:05`: the day too, since a link may arrive the day before. */
function when(at: Date): string {
  const day = at.toLocaleDateString("zh-CN", { timeZone: "Asia/Shanghai", month: "long", day: "numeric" });
  return `${day} ${clock(at, "Asia/Shanghai")}`;
}

async function refresh() {
  try {
    const update = await api.dispatch.getVisitByTrackingToken({ token });
    const status = byId("t-status");
    status.textContent = STATUS[update.status] ?? VisitStatus[update.status];
    status.dataset.status = VisitStatus[update.status];
    byId("t-eta").textContent = update.eta ? when(timestampDate(update.eta)) : "—";
    byId("t-van").textContent = update.vanLocation
      ? `${update.vanLocation.latitude.toFixed(3)}, ${update.vanLocation.longitude.toFixed(3)}`
      : "—";
    byId("t-updated").textContent = `更新于 Updated ${clock(new Date(), "Asia/Shanghai")}`;
    byId("t-error").textContent = "";
  } catch (error) {
    const over = codeOf(error) === Code.FailedPrecondition && reasonOf(error) === "TRACKING_LINK_EXPIRED";
    const unknown = codeOf(error) === Code.NotFound;
    if (over || unknown) {
      clearInterval(timer);
      for (const id of ["t-status", "t-eta", "t-van", "t-updated"]) byId(id).textContent = "";
      byId("t-status").dataset.status = over ? "EXPIRED" : "UNKNOWN";
      byId("t-note").textContent = "";
    }
    byId("t-error").textContent = over
      ? "此次上门已结束，链接已失效。This visit is over and the link no longer works."
      : unknown
        ? "链接无效。This link is not valid."
        : messageOf(error);
  }
}

void refresh();
timer = setInterval(() => void refresh(), 15_000);
