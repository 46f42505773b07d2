// The board test's day at the demo's first station (中河派出所, depot of van-yinzhou-1): the
// van's shift with a crew, and home visits requested by the demo resident, all through the
// public API. Prints nothing; returns what the test needs.
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { connect, login } from "./api.mjs";
import { CaseOrigin, PartyRole } from "../src/gen/mediation/appointments/v1/appointments_pb.js";
import { VisitReason } from "../src/gen/mediation/dispatch/v1/dispatch_pb.js";

export const STATION = "site-station-zhonghe";
export const VAN = "van-yinzhou-1";
const ZHONGHE = { latitude: 29.8415, longitude: 121.5532 };

/** The date `days` ahead in Asia/Shanghai, as YYYY-MM-DD. */
export function dayAhead(days) {
  return new Date(Date.now() + days * 86_400_000).toLocaleDateString("sv-SE", { timeZone: "Asia/Shanghai" });
}

const at = (date, time) => timestampFromDate(new Date(`${date}T${time}:00+08:00`));
const dateParts = (date) => {
  const [year, month, day] = date.split("-").map(Number);
  return { year, month, day };
};

/** The day's visits, and the van's shift unless `shift` is false (the board then sets it). */
export async function prepareDay(baseUrl, { password, residentPhone, date, visits = 4, shift = true }) {
  const dispatcher = connect(baseUrl, await login(baseUrl, "zhonghe.dispatcher", password));
  if (shift) {
    await dispatcher.dispatch.setVanShift({
      vanId: VAN,
      date: dateParts(date),
      start: at(date, "08:30"),
      end: at(date, "17:30"),
      crewMediatorIds: ["mediator-001"],
    });
  }
  const resident = connect(baseUrl, await login(baseUrl, residentPhone, password));
  const filed = await resident.appointments.createCase({
    requestId: crypto.randomUUID(),
    category: "family_marriage",
    summary: "家庭纠纷，老人行动不便，请上门调解。",
    origin: CaseOrigin.APP,
    siteId: STATION,
    parties: [
      { name: "王秀英", phone: residentPhone, role: PartyRole.APPLICANT },
      { name: "王建国", phone: "13900000991", role: PartyRole.RESPONDENT },
    ],
    assessment: { amountInDisputeYuan: 2000n, partyCount: 2 },
  });
  const requested = [];
  for (let i = 0; i < visits; i++) {
    const angle = i * 2.3;
    const km = 1 + (i % 3);
    const [from, to] = i % 2 === 0 ? ["09:00", "12:00"] : ["13:30", "17:00"];
    requested.push(
      await resident.dispatch.requestHomeVisit({
        requestId: crypto.randomUUID(),
        caseId: filed.id,
        address: `宁波市鄞州区中河街道某小区${i + 1}幢${101 + i}室`,
        location: {
          latitude: ZHONGHE.latitude + (km / 111) * Math.sin(angle),
          longitude: ZHONGHE.longitude + (km / 96) * Math.cos(angle),
        },
        windowStart: at(date, from),
        windowEnd: at(date, to),
        duration: { seconds: 45n * 60n },
        reason: VisitReason.ELDERLY,
      }),
    );
  }
  return { dispatcher, resident, caseId: filed.id, visits: requested };
}
