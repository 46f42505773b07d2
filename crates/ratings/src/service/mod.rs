//! The rating flows, each running inside the caller's transaction, over plain request types
//! that the face parses from the wire: `ratings` (submit, update, hide, list), `summaries` (a
//! mediator's summary and the directory's rating book) and `assessments` (a mediator's period,
//! a site's list and the payroll CSV). They return [`crate::Error`], never a gRPC status.

mod assessments;
mod lookup;
mod ratings;
mod settings;
mod summaries;

pub use assessments::{
    Assessment, AssessmentPage, ExportAssessments, GetAssessment, ListAssessments, export_assessments, get_assessment,
    list_assessments, to_csv,
};
pub use ratings::{HideRating, ListRatings, Rated, RatingPage, SubmitRating, UpdateRating, hide, list, submit, update};
pub use settings::RatingSettings;
pub use summaries::{GetSummary, rating_book, summary};
