//! Every ErrorInfo reason the code emits is in `mediation_api::status::reason::ALL`, and every
//! reason listed there is emitted somewhere: the source of every crate is read for the forms a
//! reason takes (`reason::NAME`, `Fault::state("NAME"`, `Fault::state(format!("PREFIX_{..}")`,
//! `with_reason(Code::X, "NAME" | CONST`, and a domain rule's `"NAME"` or
//! `format!("PREFIX_{..}")` that a flow hands to `Fault::state`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use mediation_api::status::reason;

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("tests/reasons.rs") {
            out.push(path);
        }
    }
}

/// The SCREAMING_SNAKE word at the start of `text`.
fn word(text: &str) -> &str {
    let end = text.find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')).unwrap_or(text.len());
    &text[..end]
}

/// The reason a call argument names: a literal, a `format!` prefix (as `PREFIX_<STATUS>`), or a
/// constant resolved through `consts`.
fn argument(text: &str, consts: &[(String, String)]) -> Option<String> {
    let text = text.trim_start();
    if let Some(rest) = text.strip_prefix('"') {
        let name = word(rest);
        return (!name.is_empty() && rest[name.len()..].starts_with('"')).then(|| name.to_owned());
    }
    if let Some(rest) = text.strip_prefix("format!(\"") {
        let prefix = word(rest);
        return (prefix.ends_with('_') && rest[prefix.len()..].starts_with('{')).then(|| format!("{prefix}<STATUS>"));
    }
    if let Some(rest) = text.strip_prefix("reason::") {
        return Some(word(rest).to_owned());
    }
    let name = word(text);
    consts.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
}

#[test]
fn every_reason_the_code_sends_is_listed_and_every_listed_one_is_sent() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    sources(&crates, &mut files);
    let texts: Vec<String> = files.iter().map(|f| std::fs::read_to_string(f).unwrap()).collect();
    // `const NAME: &str = "NAME";` anywhere, for reasons passed by constant.
    let mut consts = Vec::new();
    for text in &texts {
        for (at, _) in text.match_indices("const ") {
            let rest = &text[at + 6..];
            let name = word(rest);
            if let Some(value) = rest[name.len()..].strip_prefix(": &str = \"") {
                consts.push((name.to_owned(), word(value).to_owned()));
            }
        }
    }
    let mut emitted = BTreeSet::new();
    for text in &texts {
        for (at, _) in text.match_indices("reason::") {
            let name = word(&text[at + 8..]);
            if !name.is_empty() && name != "ALL" {
                emitted.insert(name.to_owned());
            }
        }
        for (at, _) in text.match_indices("Fault::state(") {
            emitted.extend(argument(&text[at + 13..], &consts));
        }
        for (at, _) in text.match_indices("with_reason(") {
            let args = &text[at + 12..];
            if let Some(comma) = args.find(',') {
                emitted.extend(argument(&args[comma + 1..], &consts));
            }
        }
        // Domain rules whose answer a flow passes to `Fault::state` as the reason.
        for form in ["then_some(", "Some(", "Err("] {
            for (at, _) in text.match_indices(form) {
                if let Some(found) = argument(&text[at + form.len()..], &[]) {
                    if found.contains('_') && (found.ends_with("<STATUS>") || reason::is_listed(&found)) {
                        emitted.insert(found);
                    }
                }
            }
        }
    }
    let unlisted: Vec<_> = emitted.iter().filter(|r| !r.ends_with("<STATUS>") && !reason::is_listed(r)).collect();
    assert!(unlisted.is_empty(), "reasons the code sends that reason::ALL does not list: {unlisted:?}");
    let patterns: Vec<_> = emitted.iter().filter(|r| r.ends_with("<STATUS>")).collect();
    for pattern in &patterns {
        assert!(reason::ALL.iter().any(|(r, _, _)| r == pattern), "{pattern} is not listed");
    }
    let never_sent: Vec<_> = reason::ALL.iter().map(|(r, _, _)| *r).filter(|r| !emitted.contains(*r)).collect();
    assert!(never_sent.is_empty(), "reasons listed that no code sends: {never_sent:?}");
    for named in
        ["PLAN_COMMITTED", "VAN_OUT_OF_SERVICE", "VAN_HAS_NO_SHIFT", "STATION_HAS_NO_LOCATION", "VISIT_ARRIVED"]
    {
        assert!(reason::is_listed(named), "{named}");
    }
}
