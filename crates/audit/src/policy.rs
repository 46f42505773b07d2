use mediation_auth::{Access, MethodPolicy, Role};

/// Who may call each AuditService method: centre admins only.
pub const POLICY: MethodPolicy =
    &[("/mediation.audit.v1.AuditService/ListAuditEvents", Access::Roles(&[Role::CentreAdmin]))];
