use mediation_auth::{Access, MethodPolicy, Role};

const EVERYONE: Access = Access::Roles(&Role::ALL);
const STAFF: Access = Access::Roles(Role::STAFF);
const STAFF_AND_KIOSKS: Access =
    Access::Roles(&[Role::Kiosk, Role::Mediator, Role::Dispatcher, Role::StationAdmin, Role::CentreAdmin]);
const HOURS_KEEPERS: Access = Access::Roles(&[Role::Mediator, Role::StationAdmin, Role::CentreAdmin]);
const ON_THE_SPOT: Access = Access::Roles(&[Role::Mediator, Role::StationAdmin]);
/// Who may call the agreement's reads and the follow-up: everyone but kiosks, which see no case
/// (a walk-in resident acts through their own kiosk session, a RESIDENT).
const IN_THE_CASE: Access =
    Access::Roles(&[Role::Resident, Role::Mediator, Role::Dispatcher, Role::StationAdmin, Role::CentreAdmin]);
/// Drafting: the settled session's mediators, and the station's admin (a clerk typing the
/// agreement for a remote expert); which session and station is checked next to the method.
const DRAFTERS: Access = Access::Roles(&[Role::Mediator, Role::StationAdmin]);
/// Voiding a signed document is the station admin's (or the centre's), not a mediator's.
const VOIDERS: Access = Access::Roles(&[Role::StationAdmin, Role::CentreAdmin]);
const SESSION_RUNNERS: Access = Access::Roles(&[Role::Mediator, Role::StationAdmin, Role::CentreAdmin]);

/// Who may call each AppointmentService method; which case or appointment they may touch is
/// checked next to each method.
pub const POLICY: MethodPolicy = &[
    ("/mediation.appointments.v1.AppointmentService/CreateCase", EVERYONE),
    ("/mediation.appointments.v1.AppointmentService/AssessCase", STAFF),
    ("/mediation.appointments.v1.AppointmentService/OverrideGrade", STAFF),
    ("/mediation.appointments.v1.AppointmentService/GetCase", EVERYONE),
    ("/mediation.appointments.v1.AppointmentService/ListCases", EVERYONE),
    ("/mediation.appointments.v1.AppointmentService/ListCaseEvents", EVERYONE),
    ("/mediation.appointments.v1.AppointmentService/SetWorkingHours", HOURS_KEEPERS),
    ("/mediation.appointments.v1.AppointmentService/AddScheduleException", HOURS_KEEPERS),
    ("/mediation.appointments.v1.AppointmentService/ListWorkingHours", STAFF),
    ("/mediation.appointments.v1.AppointmentService/ListScheduleExceptions", STAFF),
    ("/mediation.appointments.v1.AppointmentService/DeleteScheduleException", HOURS_KEEPERS),
    ("/mediation.appointments.v1.AppointmentService/SearchAvailability", EVERYONE),
    ("/mediation.appointments.v1.AppointmentService/BookAppointment", EVERYONE),
    ("/mediation.appointments.v1.AppointmentService/RescheduleAppointment", EVERYONE),
    ("/mediation.appointments.v1.AppointmentService/CancelAppointment", EVERYONE),
    ("/mediation.appointments.v1.AppointmentService/CheckIn", STAFF_AND_KIOSKS),
    ("/mediation.appointments.v1.AppointmentService/MarkNoShow", STAFF_AND_KIOSKS),
    ("/mediation.appointments.v1.AppointmentService/CompleteAppointment", STAFF),
    ("/mediation.appointments.v1.AppointmentService/GetAppointment", EVERYONE),
    ("/mediation.appointments.v1.AppointmentService/ListAppointments", EVERYONE),
    ("/mediation.appointments.v1.AppointmentService/PostMessage", EVERYONE),
    ("/mediation.appointments.v1.AppointmentService/ListMessages", EVERYONE),
    ("/mediation.appointments.v1.AppointmentService/GetStatistics", STAFF),
    ("/mediation.appointments.v1.AppointmentService/StartSessionNow", ON_THE_SPOT),
    ("/mediation.appointments.v1.AppointmentService/ExtendSession", SESSION_RUNNERS),
    ("/mediation.appointments.v1.AppointmentService/GetStationNow", STAFF_AND_KIOSKS),
    ("/mediation.appointments.v1.AppointmentService/RespondToCase", EVERYONE),
    ("/mediation.appointments.v1.AppointmentService/DraftAgreement", DRAFTERS),
    ("/mediation.appointments.v1.AppointmentService/SignAgreement", Access::Roles(&[Role::Resident])),
    ("/mediation.appointments.v1.AppointmentService/GetAgreement", IN_THE_CASE),
    ("/mediation.appointments.v1.AppointmentService/VoidAgreement", VOIDERS),
    ("/mediation.appointments.v1.AppointmentService/ExportAgreement", IN_THE_CASE),
    ("/mediation.appointments.v1.AppointmentService/RecordFollowUp", IN_THE_CASE),
    ("/mediation.appointments.v1.AppointmentService/ProceedWithCase", SESSION_RUNNERS),
    ("/mediation.appointments.v1.AppointmentService/GetJoinLink", EVERYONE),
];
