//! Field behaviour (AIP-203) enforced from the annotations, for every method at once: one
//! [`Behaviors`] table, read at start-up from the API's own descriptor set, holds for every
//! message the fields marked `REQUIRED` and `OUTPUT_ONLY`; [`Behaviors::check`] applies it to a
//! request's encoded bytes before any handler decodes them. The gateway calls it from one tower
//! layer, so a method's annotations are its rules and no handler repeats them.
//!
//! - A `REQUIRED` field that is absent (for a field without presence: holding its zero value;
//!   for a repeated field: empty) is refused: INVALID_ARGUMENT naming every missing field by its
//!   path (`parties[1].phone`, `site.name`). Inside the resource of an update (a request with an
//!   `update_mask`), a resource's required fields are required only when the mask names them.
//! - An update mask naming an `IMMUTABLE` field is refused, naming `update_mask`.
//! - An `OUTPUT_ONLY` field a client sent is dropped from the request, as `field_behavior.proto`
//!   asks ("the server must ignore it and must not throw an error"), so no handler can read a
//!   client's `Van.location` or `Case.grade` by mistake.
//!
//! The walk reads the wire format directly and keeps everything it does not know (unknown
//! fields pass through); bytes it cannot read are left for the generated decoder to refuse.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use prost::encoding::{WireType, decode_key, decode_varint, encode_key, encode_varint};

use crate::descriptor::{self, FileSet, LABEL_REPEATED, MessageType, TYPE_MESSAGE, behavior};
use crate::violations::Violations;

const FIELD_MASK: &str = ".google.protobuf.FieldMask";

/// The rules of one field.
#[derive(Debug, Clone)]
pub struct FieldRule {
    pub name: String,
    pub number: u32,
    pub required: bool,
    pub output_only: bool,
    pub immutable: bool,
    pub repeated: bool,
    /// Whether the field tracks presence (a message, or a proto3 `optional` scalar).
    pub has_presence: bool,
    /// The field's message type, fully qualified with a leading dot, for message fields.
    pub message: Option<String>,
    /// `FieldDescriptorProto.Type` (9 string, 11 message, 14 enum, 5 int32, ...).
    pub proto_type: i32,
}

/// The fields of one message type.
#[derive(Debug, Default, Clone)]
pub struct MessageRules {
    pub fields: Vec<FieldRule>,
    /// The number of an `update_mask` field (a `FieldMask`), when this is an update request.
    update_mask: Option<u32>,
}

impl MessageRules {
    fn field(&self, number: u32) -> Option<&FieldRule> {
        self.fields.iter().find(|f| f.number == number)
    }

    /// The fields marked REQUIRED, in declaration order.
    pub fn required(&self) -> impl Iterator<Item = &FieldRule> {
        self.fields.iter().filter(|f| f.required)
    }
}

/// The one table: every message's field rules and every unary-request method's input type.
#[derive(Debug, Default)]
pub struct Behaviors {
    messages: HashMap<String, MessageRules>,
    /// gRPC path (`/pkg.Service/Method`) to its request type, for methods that take one message.
    inputs: HashMap<String, String>,
}

/// The table of this API, read once from [`crate::FILE_DESCRIPTOR_SET`].
pub fn table() -> &'static Behaviors {
    static TABLE: LazyLock<Behaviors> = LazyLock::new(|| Behaviors::from_set(&descriptor::file_set()));
    &TABLE
}

/// What [`Behaviors::check`] made of a request.
#[derive(Debug, PartialEq, Eq)]
pub enum Checked {
    /// Pass it on as it came.
    Unchanged,
    /// Pass these bytes on instead: output-only fields were dropped.
    Rewritten(Vec<u8>),
}

/// The bytes are not a readable message; the generated decoder will say so.
#[derive(Debug)]
struct Unreadable;

/// Which of a message's REQUIRED fields are required here.
#[derive(Debug, Clone, Copy)]
enum Scope<'a> {
    All,
    /// Inside an update's resource: only the fields the mask names (by their first segment),
    /// with the mask's own path for naming an IMMUTABLE field it must not name.
    Named(&'a HashSet<String>, &'a str),
    Nothing,
}

impl Scope<'_> {
    fn applies(&self, field: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Named(names, _) => names.contains(field),
            Scope::Nothing => false,
        }
    }

    /// The scope inside the field `field` of a message in this scope.
    fn inside(&self, field: &str) -> Scope<'static> {
        if self.applies(field) { Scope::All } else { Scope::Nothing }
    }
}

impl Behaviors {
    pub fn from_set(set: &FileSet) -> Self {
        let mut table = Behaviors::default();
        for file in &set.file {
            let prefix = if file.package.is_empty() { String::new() } else { format!(".{}", file.package) };
            for message in &file.message_type {
                table.add_message(&prefix, message);
            }
        }
        for (path, method) in descriptor::methods(set) {
            if !method.client_streaming {
                table.inputs.insert(path, method.input_type.clone());
            }
        }
        table
    }

    fn add_message(&mut self, prefix: &str, message: &MessageType) {
        let full_name = format!("{prefix}.{}", message.name);
        let fields = message
            .field
            .iter()
            .map(|field| {
                let behaviors = field.options.as_ref().map(|o| o.field_behavior.as_slice()).unwrap_or_default();
                let is_message = field.r#type == TYPE_MESSAGE;
                FieldRule {
                    name: field.name.clone(),
                    number: u32::try_from(field.number).unwrap_or_default(),
                    required: behaviors.contains(&behavior::REQUIRED),
                    output_only: behaviors.contains(&behavior::OUTPUT_ONLY),
                    immutable: behaviors.contains(&behavior::IMMUTABLE),
                    repeated: field.label == LABEL_REPEATED,
                    has_presence: is_message || field.proto3_optional,
                    message: is_message.then(|| field.type_name.clone()),
                    proto_type: field.r#type,
                }
            })
            .collect::<Vec<_>>();
        let update_mask = fields
            .iter()
            .find(|f| f.name == "update_mask" && f.message.as_deref() == Some(FIELD_MASK))
            .map(|f| f.number);
        for nested in &message.nested_type {
            self.add_message(&full_name, nested);
        }
        self.messages.insert(full_name, MessageRules { fields, update_mask });
    }

    /// The rules of a message type (`.pkg.Message`).
    pub fn message(&self, type_name: &str) -> Option<&MessageRules> {
        self.messages.get(type_name)
    }

    /// The request type of a method that takes one message.
    pub fn input_of(&self, method: &str) -> Option<&str> {
        self.inputs.get(method).map(String::as_str)
    }

    /// Every method that takes one message, with its request type.
    pub fn methods(&self) -> impl Iterator<Item = (&str, &str)> {
        self.inputs.iter().map(|(method, input)| (method.as_str(), input.as_str()))
    }

    /// Applies the rules to an encoded request of `method`: the missing REQUIRED fields, named,
    /// or the request to pass on. A method this table does not know, and bytes that are not a
    /// message, pass unchanged.
    pub fn check(&self, method: &str, request: &[u8]) -> Result<Checked, Violations> {
        let Some(input) = self.input_of(method) else { return Ok(Checked::Unchanged) };
        let mut violations = Violations::new();
        let rewritten = match self.walk(input, request, "", Scope::All, &mut violations) {
            Ok(rewritten) => rewritten,
            Err(Unreadable) => return Ok(Checked::Unchanged),
        };
        if !violations.is_empty() {
            return Err(violations);
        }
        Ok(rewritten.map_or(Checked::Unchanged, Checked::Rewritten))
    }

    /// Walks one message: records its missing required fields under `path` and returns its bytes
    /// without output-only fields when any were there.
    fn walk(
        &self,
        type_name: &str,
        mut bytes: &[u8],
        path: &str,
        scope: Scope<'_>,
        violations: &mut Violations,
    ) -> Result<Option<Vec<u8>>, Unreadable> {
        let Some(rules) = self.messages.get(type_name) else { return Ok(None) };
        let mask_names = match rules.update_mask {
            Some(number) => Some(mask_first_segments(bytes, number)?),
            None => None,
        };
        let mask_path = format!("{path}update_mask");
        let mut out = Vec::with_capacity(bytes.len());
        let mut changed = false;
        let mut present = HashSet::new();
        let mut seen = HashMap::<u32, usize>::new();
        while !bytes.is_empty() {
            let field_start = bytes;
            let (number, wire_type) = decode_key(&mut bytes).map_err(|_| Unreadable)?;
            let payload = read_payload(&mut bytes, wire_type)?;
            let whole = &field_start[..field_start.len() - bytes.len()];
            let Some(rule) = rules.field(number) else {
                out.extend_from_slice(whole);
                continue;
            };
            if rule.output_only {
                changed = true;
                continue;
            }
            if rule.has_presence || rule.repeated || !is_zero(wire_type, payload) {
                present.insert(number);
            }
            let nested = match (&rule.message, wire_type) {
                (Some(message), WireType::LengthDelimited) => {
                    let index = seen.entry(number).or_default();
                    let child_path = if rule.repeated {
                        format!("{path}{}[{index}].", rule.name)
                    } else {
                        format!("{path}{}.", rule.name)
                    };
                    *index += 1;
                    let child_scope = match (&mask_names, Some(number) != rules.update_mask) {
                        (Some(names), true) => Scope::Named(names, &mask_path),
                        _ => scope.inside(&rule.name),
                    };
                    self.walk(message, payload, &child_path, child_scope, violations)?
                }
                _ => None,
            };
            match nested {
                Some(rewritten) => {
                    changed = true;
                    encode_key(number, WireType::LengthDelimited, &mut out);
                    encode_varint(rewritten.len() as u64, &mut out);
                    out.extend_from_slice(&rewritten);
                }
                None => out.extend_from_slice(whole),
            }
        }
        if let Scope::Named(names, mask_path) = scope {
            for rule in rules.fields.iter().filter(|f| f.immutable && names.contains(&f.name)) {
                violations.add(mask_path.to_string(), format!("{} cannot be changed after creation", rule.name));
            }
        }
        for rule in rules.required() {
            let immutable_in_update = rule.immutable && matches!(scope, Scope::Named(..));
            if scope.applies(&rule.name) && !immutable_in_update && !present.contains(&rule.number) {
                violations.add(format!("{path}{}", rule.name), "is required");
            }
        }
        Ok(changed.then_some(out))
    }
}

/// Reads one field's payload (for a length-delimited field, its contents).
fn read_payload<'a>(bytes: &mut &'a [u8], wire_type: WireType) -> Result<&'a [u8], Unreadable> {
    let len = match wire_type {
        WireType::Varint => {
            let start = *bytes;
            decode_varint(bytes).map_err(|_| Unreadable)?;
            return Ok(&start[..start.len() - bytes.len()]);
        }
        WireType::SixtyFourBit => 8,
        WireType::ThirtyTwoBit => 4,
        WireType::LengthDelimited => {
            usize::try_from(decode_varint(bytes).map_err(|_| Unreadable)?).map_err(|_| Unreadable)?
        }
        WireType::StartGroup | WireType::EndGroup => return Err(Unreadable),
    };
    if bytes.len() < len {
        return Err(Unreadable);
    }
    let (payload, rest) = bytes.split_at(len);
    *bytes = rest;
    Ok(payload)
}

/// Whether a field without presence holds its zero value (an encoder may still have sent it).
fn is_zero(wire_type: WireType, payload: &[u8]) -> bool {
    match wire_type {
        WireType::Varint => payload == [0],
        WireType::LengthDelimited => payload.is_empty(),
        _ => payload.iter().all(|b| *b == 0),
    }
}

/// The first segments of the paths in the request's `update_mask` (field `number`).
fn mask_first_segments(mut bytes: &[u8], number: u32) -> Result<HashSet<String>, Unreadable> {
    let mut names = HashSet::new();
    while !bytes.is_empty() {
        let (field, wire_type) = decode_key(&mut bytes).map_err(|_| Unreadable)?;
        let payload = read_payload(&mut bytes, wire_type)?;
        if field != number || wire_type != WireType::LengthDelimited {
            continue;
        }
        let mut mask = payload;
        while !mask.is_empty() {
            let (tag, wire_type) = decode_key(&mut mask).map_err(|_| Unreadable)?;
            let path = read_payload(&mut mask, wire_type)?;
            if tag == 1 && wire_type == WireType::LengthDelimited {
                let path = String::from_utf8_lossy(path);
                names.insert(path.split('.').next().unwrap_or_default().to_owned());
            }
        }
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::*;
    use crate::{appointments::v1 as appointments, directory::v1 as directory, dispatch::v1 as dispatch};

    const CREATE_CASE: &str = "/mediation.appointments.v1.AppointmentService/CreateCase";
    const UPDATE_SITE: &str = "/mediation.directory.v1.DirectoryService/UpdateSite";
    const REGISTER_VAN: &str = "/mediation.dispatch.v1.DispatchService/RegisterVan";

    fn missing(method: &str, request: &impl Message) -> Vec<String> {
        match table().check(method, &request.encode_to_vec()) {
            Ok(_) => vec![],
            Err(violations) => violations.iter().map(|v| v.field.clone()).collect(),
        }
    }

    fn party(name: &str, phone: &str) -> appointments::Party {
        appointments::Party {
            name: name.into(),
            phone: phone.into(),
            role: appointments::PartyRole::Applicant as i32,
            ..Default::default()
        }
    }

    #[test]
    fn the_table_reads_the_annotations() {
        let rules = table().message(".mediation.appointments.v1.CreateCaseRequest").unwrap();
        let required: Vec<_> = rules.required().map(|f| f.name.as_str()).collect();
        assert_eq!(required, ["request_id", "category", "summary", "parties", "origin", "assessment"]);
        let van = table().message(".mediation.dispatch.v1.Van").unwrap();
        assert!(van.fields.iter().any(|f| f.name == "location" && f.output_only));
        assert_eq!(table().input_of(CREATE_CASE), Some(".mediation.appointments.v1.CreateCaseRequest"));
    }

    #[test]
    fn every_missing_required_field_is_named_by_its_path() {
        assert_eq!(
            missing(CREATE_CASE, &appointments::CreateCaseRequest::default()),
            ["request_id", "category", "summary", "parties", "origin", "assessment"]
        );
        let request = appointments::CreateCaseRequest {
            request_id: "8c8e5d0e-8a7c-4e8b-9b4c-1b2f0e9c1a11".into(),
            category: "neighbour".into(),
            summary: "noise".into(),
            parties: vec![party("王五", "13800000001"), party("李四", "")],
            origin: appointments::CaseOrigin::App as i32,
            assessment: Some(appointments::Assessment::default()),
            ..Default::default()
        };
        assert_eq!(missing(CREATE_CASE, &request), ["parties[1].phone"]);
    }

    #[test]
    fn a_complete_request_passes_unchanged() {
        let request = appointments::CreateCaseRequest {
            request_id: "8c8e5d0e-8a7c-4e8b-9b4c-1b2f0e9c1a11".into(),
            category: "neighbour".into(),
            summary: "noise".into(),
            parties: vec![party("王五", "13800000001")],
            origin: appointments::CaseOrigin::App as i32,
            assessment: Some(appointments::Assessment::default()),
            ..Default::default()
        };
        assert_eq!(table().check(CREATE_CASE, &request.encode_to_vec()).unwrap(), Checked::Unchanged);
    }

    #[test]
    fn output_only_fields_are_dropped_and_the_rest_kept() {
        let van = dispatch::Van {
            plate: "浙B12345".into(),
            depot_site_id: "s1".into(),
            seats: 4,
            location: Some(crate::google::r#type::LatLng { latitude: 29.8, longitude: 121.5 }),
            ..Default::default()
        };
        let request =
            dispatch::RegisterVanRequest { request_id: "8c8e5d0e-8a7c-4e8b-9b4c-1b2f0e9c1a11".into(), van: Some(van) };
        let Checked::Rewritten(bytes) = table().check(REGISTER_VAN, &request.encode_to_vec()).unwrap() else {
            panic!("the location should have been dropped")
        };
        let seen = dispatch::RegisterVanRequest::decode(bytes.as_slice()).unwrap();
        let seen_van = seen.van.unwrap();
        assert_eq!(seen_van.location, None);
        assert_eq!((seen_van.plate.as_str(), seen_van.seats), ("浙B12345", 4));
        assert_eq!(seen.request_id, request.request_id);
    }

    #[test]
    fn an_update_requires_only_what_its_mask_names() {
        let update = |paths: &[&str], site: directory::Site| directory::UpdateSiteRequest {
            site: Some(site),
            update_mask: Some(prost_types::FieldMask { paths: paths.iter().map(|p| p.to_string()).collect() }),
        };
        let address_only = directory::Site { id: "s1".into(), address: "1 Road".into(), ..Default::default() };
        assert!(missing(UPDATE_SITE, &update(&["address"], address_only.clone())).is_empty());
        assert_eq!(missing(UPDATE_SITE, &update(&["name", "address"], address_only)), ["site.name"]);
        assert_eq!(missing(UPDATE_SITE, &directory::UpdateSiteRequest::default()), ["site", "update_mask"]);
        let account = directory::UpdateMediatorRequest {
            mediator: Some(directory::Mediator { id: "m1".into(), ..Default::default() }),
            update_mask: Some(prost_types::FieldMask { paths: vec!["account_id".into()] }),
        };
        assert_eq!(missing("/mediation.directory.v1.DirectoryService/UpdateMediator", &account), ["update_mask"]);
    }

    #[test]
    fn unreadable_bytes_and_unknown_methods_pass_to_the_decoder() {
        assert_eq!(table().check(CREATE_CASE, &[0x0a, 0x7f]).unwrap(), Checked::Unchanged);
        assert_eq!(table().check("/no.Such/Method", &[]).unwrap(), Checked::Unchanged);
    }
}
