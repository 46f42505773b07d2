use mediation_auth::{Access, MethodPolicy, Role};

const EVERYONE: Access = Access::Roles(&Role::ALL);
const STAFF: Access = Access::Roles(Role::STAFF);
const DISPATCHERS: Access = Access::Roles(&[Role::Dispatcher, Role::StationAdmin, Role::CentreAdmin]);
/// Van crews are mediators; dispatchers may report for them.
const CREWS: Access = Access::Roles(&[Role::Mediator, Role::Dispatcher, Role::StationAdmin, Role::CentreAdmin]);
const RESIDENTS: Access = Access::Roles(&[Role::Resident]);

/// Who may call each DispatchService method; which visit, van or station they may touch is
/// checked next to each method.
pub const POLICY: MethodPolicy = &[
    ("/mediation.dispatch.v1.DispatchService/RequestHomeVisit", EVERYONE),
    ("/mediation.dispatch.v1.DispatchService/CancelHomeVisit", EVERYONE),
    ("/mediation.dispatch.v1.DispatchService/GetHomeVisit", EVERYONE),
    ("/mediation.dispatch.v1.DispatchService/ListHomeVisits", EVERYONE),
    ("/mediation.dispatch.v1.DispatchService/RegisterVan", DISPATCHERS),
    ("/mediation.dispatch.v1.DispatchService/UpdateVan", DISPATCHERS),
    ("/mediation.dispatch.v1.DispatchService/SetVanStatus", DISPATCHERS),
    ("/mediation.dispatch.v1.DispatchService/ListVans", STAFF),
    ("/mediation.dispatch.v1.DispatchService/SetVanShift", DISPATCHERS),
    ("/mediation.dispatch.v1.DispatchService/ProposePlan", DISPATCHERS),
    ("/mediation.dispatch.v1.DispatchService/CommitPlan", DISPATCHERS),
    ("/mediation.dispatch.v1.DispatchService/GetPlan", DISPATCHERS),
    ("/mediation.dispatch.v1.DispatchService/AssignVisit", DISPATCHERS),
    ("/mediation.dispatch.v1.DispatchService/ReportPosition", CREWS),
    ("/mediation.dispatch.v1.DispatchService/UpdateVisitStatus", CREWS),
    ("/mediation.dispatch.v1.DispatchService/WatchVisit", RESIDENTS),
    ("/mediation.dispatch.v1.DispatchService/WatchBoard", DISPATCHERS),
    ("/mediation.dispatch.v1.DispatchService/SuggestVisitWindows", EVERYONE),
    // The tracking link works without an account; anonymous calls are limited per client address.
    ("/mediation.dispatch.v1.DispatchService/GetVisitByTrackingToken", Access::Public),
];
