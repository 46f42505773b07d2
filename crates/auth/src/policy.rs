use crate::Role;

/// Who may call a method. A method missing from every service's table is denied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, with or without a token (a token, if sent, must still be valid).
    Public,
    /// Only callers with one of these roles.
    Roles(&'static [Role]),
}

/// A service's table: full gRPC method path (`/package.Service/Method`) to its access.
pub type MethodPolicy = &'static [(&'static str, Access)];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// A token is needed and none was sent.
    Unauthenticated,
    Forbidden,
}

impl Access {
    pub fn decide(self, caller: Option<Role>) -> Decision {
        match (self, caller) {
            (Access::Public, _) => Decision::Allow,
            (Access::Roles(_), None) => Decision::Unauthenticated,
            (Access::Roles(roles), Some(role)) if roles.contains(&role) => Decision::Allow,
            (Access::Roles(_), Some(_)) => Decision::Forbidden,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions() {
        let admins = Access::Roles(Role::ADMINS);
        let cases = [
            (Access::Public, None, Decision::Allow),
            (Access::Public, Some(Role::Resident), Decision::Allow),
            (admins, None, Decision::Unauthenticated),
            (admins, Some(Role::Resident), Decision::Forbidden),
            (admins, Some(Role::StationAdmin), Decision::Allow),
            (Access::Roles(&[]), Some(Role::CentreAdmin), Decision::Forbidden),
        ];
        for (access, caller, expected) in cases {
            assert_eq!(access.decide(caller), expected, "{access:?} {caller:?}");
        }
    }
}
