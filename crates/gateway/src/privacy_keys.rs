//! Where the keys of personal data at rest come from: `privacy.*` settings, or, when none are
//! set and the database is a SQLite file, a key file generated next to it on first start so
//! that `mediation serve` works out of the box.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use mediation_privacy::{Key, Keyring};
use secrecy::ExposeSecret;

use crate::Settings;
use crate::settings::Privacy;

/// The keyring the settings describe, generating the key file when needed.
pub fn load(settings: &Settings) -> anyhow::Result<Keyring> {
    let privacy = &settings.privacy;
    if let Some(current) = privacy.current_key.as_ref().filter(|k| !k.expose_secret().trim().is_empty()) {
        let index = privacy
            .index_key
            .as_ref()
            .filter(|k| !k.expose_secret().trim().is_empty())
            .context("privacy.index_key must be set with privacy.current_key")?;
        let current = Key::parse(current.expose_secret()).context("privacy.current_key")?;
        let index = Key::parse(index.expose_secret()).context("privacy.index_key")?;
        return Ok(Keyring::new(current, previous_keys(privacy)?, index)?);
    }
    let path = key_file(settings)?;
    let (current, index, created) = read_or_create(&path)?;
    if created {
        tracing::warn!(
            path = %path.display(),
            "privacy.current_key is not set: generated the keys that seal personal data into this file; \
             production must set privacy.current_key and privacy.index_key from a secret store"
        );
    } else {
        tracing::warn!(path = %path.display(), "privacy.current_key is not set: using the keys in this file");
    }
    Ok(Keyring::new(current, previous_keys(privacy)?, index)?)
}

fn previous_keys(privacy: &Privacy) -> anyhow::Result<Vec<Key>> {
    privacy
        .previous_keys
        .iter()
        .map(|k| k.expose_secret().trim().to_owned())
        .filter(|k| !k.is_empty())
        .enumerate()
        .map(|(i, k)| Key::parse(&k).with_context(|| format!("privacy.previous_keys[{i}]")))
        .collect()
}

/// `privacy.key_file`, or `<SQLite file>.keys`.
fn key_file(settings: &Settings) -> anyhow::Result<PathBuf> {
    if let Some(path) = settings.privacy.key_file.as_deref().filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    let database = settings.database.url.strip_prefix("sqlite://").context(
        "privacy.current_key and privacy.index_key must be set on PostgreSQL (MEDIATION__PRIVACY__CURRENT_KEY, \
         MEDIATION__PRIVACY__INDEX_KEY): every replica has to seal with the same key",
    )?;
    Ok(PathBuf::from(format!("{database}.keys")))
}

/// The key file's two keys, and whether this call created it. A second process starting at
/// the same moment reads the file the first one wrote instead of writing its own.
fn read_or_create(path: &Path) -> anyhow::Result<(Key, Key, bool)> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    let (current, index) = (Key::generate("local1"), Key::generate("index1"));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            let text = format!(
                "# Keys of the personal data in the database next to this file. Losing them loses that data.\n\
                 current_key={}\nindex_key={}\n",
                current.to_spec(),
                index.to_spec()
            );
            file.write_all(text.as_bytes()).and_then(|()| file.sync_all())?;
            Ok((current, index, true))
        }
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
            let (current, index) = parse_key_file(&std::fs::read_to_string(path)?)
                .with_context(|| format!("reading the key file {}", path.display()))?;
            Ok((current, index, false))
        }
        Err(err) => Err(err).with_context(|| format!("creating the key file {}", path.display())),
    }
}

fn parse_key_file(text: &str) -> anyhow::Result<(Key, Key)> {
    let value = |name: &str| {
        text.lines()
            .filter_map(|line| line.trim().split_once('='))
            .find(|(key, _)| key.trim() == name)
            .map(|(_, value)| value.trim().to_owned())
            .with_context(|| format!("no {name}= line"))
    };
    Ok((Key::parse(&value("current_key")?)?, Key::parse(&value("index_key")?)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sqlite_database_gets_a_key_file_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = Settings::load(None).unwrap();
        settings.database.url = format!("sqlite://{}", dir.path().join("m.db").display());
        let first = load(&settings).unwrap();
        let second = load(&settings).unwrap();
        let sealed = first.seal("p", b"x");
        assert_eq!(second.open("p", &sealed).unwrap(), b"x");
        assert!(dir.path().join("m.db.keys").exists());
    }

    #[test]
    fn postgres_needs_configured_keys() {
        let mut settings = Settings::load(None).unwrap();
        settings.database.url = "postgres://db/mediation".into();
        let refused = load(&settings).unwrap_err().to_string();
        assert!(refused.contains("privacy.current_key"), "{refused}");
        settings.privacy.current_key = Some(Key::generate("a").to_spec().into());
        assert!(load(&settings).is_err(), "the index key goes with it");
        settings.privacy.index_key = Some(Key::generate("i").to_spec().into());
        settings.privacy.previous_keys = vec![Key::generate("old").to_spec().into()];
        let keys = load(&settings).unwrap();
        assert_eq!((keys.current_key_id(), keys.index_key_id()), ("a", "i"));
    }
}
