use mediation_auth::{Access, MethodPolicy, Role};

const ADMINS: Access = Access::Roles(Role::ADMINS);

/// Who may call each DirectoryService method: the published directory is open to everyone,
/// as the seed's platform shows its experts on every terminal; admins write.
pub const POLICY: MethodPolicy = &[
    ("/mediation.directory.v1.DirectoryService/ListSites", Access::Public),
    ("/mediation.directory.v1.DirectoryService/GetSite", Access::Public),
    ("/mediation.directory.v1.DirectoryService/ListRooms", Access::Public),
    ("/mediation.directory.v1.DirectoryService/ListSpecialties", Access::Public),
    ("/mediation.directory.v1.DirectoryService/SearchMediators", Access::Public),
    ("/mediation.directory.v1.DirectoryService/GetMediator", Access::Public),
    ("/mediation.directory.v1.DirectoryService/CreateSite", ADMINS),
    ("/mediation.directory.v1.DirectoryService/UpdateSite", ADMINS),
    ("/mediation.directory.v1.DirectoryService/CreateRoom", ADMINS),
    ("/mediation.directory.v1.DirectoryService/UpdateRoom", ADMINS),
    ("/mediation.directory.v1.DirectoryService/CreateMediator", ADMINS),
    ("/mediation.directory.v1.DirectoryService/UpdateMediator", ADMINS),
    ("/mediation.directory.v1.DirectoryService/SetMediatorActive", ADMINS),
];
