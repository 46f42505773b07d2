use mediation_auth::{Access, MethodPolicy, Role};

const STAFF_CREATORS: &[Role] = Role::ADMINS;

/// Who may call each IdentityService method.
pub const POLICY: MethodPolicy = &[
    ("/mediation.identity.v1.IdentityService/RegisterResident", Access::Public),
    ("/mediation.identity.v1.IdentityService/SendPhoneCode", Access::Public),
    ("/mediation.identity.v1.IdentityService/VerifyPhone", Access::Public),
    ("/mediation.identity.v1.IdentityService/Login", Access::Public),
    ("/mediation.identity.v1.IdentityService/Refresh", Access::Public),
    ("/mediation.identity.v1.IdentityService/Logout", Access::Public),
    ("/mediation.identity.v1.IdentityService/KioskLogin", Access::Public),
    ("/mediation.identity.v1.IdentityService/GetMe", Access::Roles(&Role::ALL)),
    ("/mediation.identity.v1.IdentityService/CreateStaffAccount", Access::Roles(STAFF_CREATORS)),
    ("/mediation.identity.v1.IdentityService/ProvisionKiosk", Access::Roles(STAFF_CREATORS)),
    ("/mediation.identity.v1.IdentityService/StartKioskResidentSession", Access::Roles(&[Role::Kiosk])),
    ("/mediation.identity.v1.IdentityService/SetAccountDisabled", Access::Roles(Role::ADMINS)),
];
