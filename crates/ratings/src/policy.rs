use mediation_auth::{Access, MethodPolicy, Role};

const ASSESSORS: Access = Access::Roles(&[Role::Mediator, Role::StationAdmin, Role::CentreAdmin]);

/// Who may call each RatingService method. Summaries and lists are published like the
/// directory; who may rate or read an assessment is checked next to each method.
pub const POLICY: MethodPolicy = &[
    ("/mediation.ratings.v1.RatingService/SubmitRating", Access::Roles(&[Role::Resident])),
    ("/mediation.ratings.v1.RatingService/UpdateRating", Access::Roles(&[Role::Resident])),
    ("/mediation.ratings.v1.RatingService/GetMediatorSummary", Access::Public),
    ("/mediation.ratings.v1.RatingService/ListRatings", Access::Public),
    ("/mediation.ratings.v1.RatingService/HideRating", Access::Roles(Role::ADMINS)),
    ("/mediation.ratings.v1.RatingService/GetAssessment", ASSESSORS),
    ("/mediation.ratings.v1.RatingService/ListAssessments", Access::Roles(Role::ADMINS)),
    ("/mediation.ratings.v1.RatingService/ExportAssessments", Access::Roles(Role::ADMINS)),
];
