//! `.modelreg/trust.toml`: which keys may do what.
//!
//! The file is itself signed by admins (detached signatures beside it); a [`Trust`] is only built from a
//! file that parsed strictly and whose internal rules hold (ids match keys, no duplicates, a reachable
//! admin threshold). Whether enough admins signed is a policy question, answered in `policy`.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::PublicKey;
use crate::record::{KeyId, RecordError, Stage, Timestamp, from_toml};

/// The schema of `.modelreg/trust.toml`.
pub const TRUST_SCHEMA: &str = "modelreg/trust/v1";

/// What a trusted key may sign; written `admin`, `publisher`, `deployer`, `approver:<stage>`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Changes trust and configuration.
    Admin,
    /// Registers versions, tags, drift reports.
    Publisher,
    /// Approves promotions into one stage.
    Approver(Stage),
    /// Records deployments.
    Deployer,
}

impl FromStr for Role {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "admin" => Ok(Role::Admin),
            "publisher" => Ok(Role::Publisher),
            "deployer" => Ok(Role::Deployer),
            _ => match text.strip_prefix("approver:") {
                Some(stage) => stage.parse().map(Role::Approver).map_err(|e| e.to_string()),
                None => Err(format!("unknown role `{text}`: expected admin, publisher, deployer or approver:<stage>")),
            },
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Role::Admin => f.write_str("admin"),
            Role::Publisher => f.write_str("publisher"),
            Role::Deployer => f.write_str("deployer"),
            Role::Approver(stage) => write!(f, "approver:{stage}"),
        }
    }
}

impl Serialize for Role {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Role {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

/// The file as written.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TrustFile {
    schema: String,
    admin_threshold: u32,
    #[serde(default)]
    keys: Vec<KeyEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyEntry {
    id: KeyId,
    owner: String,
    public_key: String,
    roles: BTreeSet<Role>,
    added: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires: Option<Timestamp>,
}

/// One key of the trust file, with what it may do.
#[derive(Debug, Clone)]
pub struct TrustedKey {
    /// The public key; signatures are matched to it by its raw bytes.
    pub public: PublicKey,
    /// Who holds the key, free text (`alice@example.com`); cards show it for approvals.
    pub owner: String,
    /// What it may sign.
    pub roles: BTreeSet<Role>,
    /// When it was added to the trust file.
    pub added: Timestamp,
    /// From this time on its signatures no longer count (revocation sets it); `None`: never.
    pub expires: Option<Timestamp>,
}

impl TrustedKey {
    /// Whether the key holds `role` (expiry is not considered here).
    pub fn has_role(&self, role: &Role) -> bool {
        self.roles.contains(role)
    }

    /// Whether the key has expired by `when` (an expiry at exactly `when` counts as expired).
    pub fn expired_at(&self, when: Timestamp) -> bool {
        self.expires.is_some_and(|e| e <= when)
    }
}

/// Why a trust file is not a valid one.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    /// Not a parsable `modelreg/trust/v1` file: too large, not UTF-8, wrong schema or bad TOML.
    #[error(transparent)]
    Parse(#[from] RecordError),
    /// Parsed, but its rules fail: a bad public key, an id that does not match its key, a key listed twice, an unreachable admin threshold.
    #[error("{0}")]
    Invalid(String),
}

/// The validated trust file.
#[derive(Debug, Clone)]
pub struct Trust {
    /// How many admin signatures a change to trust or configuration needs; at least 1 and at most the number of admin keys.
    pub admin_threshold: u32,
    keys: Vec<TrustedKey>,
    by_raw: HashMap<[u8; 32], usize>,
}

impl Trust {
    /// A trust file with one key holding every base role: the registry's creator.
    pub fn genesis(founder: &PublicKey, owner: &str, now: Timestamp) -> Trust {
        let mut trust = Trust { admin_threshold: 1, keys: Vec::new(), by_raw: HashMap::new() };
        let roles = [Role::Admin, Role::Publisher, Role::Deployer].into_iter().collect();
        trust.add(TrustedKey { public: founder.clone(), owner: owner.to_owned(), roles, added: now, expires: None });
        trust
    }

    /// Parses a trust file strictly and checks its internal rules; whether admins signed it is for `policy`.
    pub fn parse(bytes: &[u8]) -> Result<Trust, TrustError> {
        if bytes.len() > crate::record::MAX_RECORD_BYTES {
            return Err(RecordError::TooLarge { size: bytes.len() }.into());
        }
        let text = std::str::from_utf8(bytes).map_err(|_| RecordError::NotUtf8)?;
        let file: TrustFile = from_toml(text)?;
        if file.schema != TRUST_SCHEMA {
            return Err(RecordError::UnknownSchema(file.schema).into());
        }
        let mut trust = Trust { admin_threshold: file.admin_threshold, keys: Vec::new(), by_raw: HashMap::new() };
        for entry in file.keys {
            let public = PublicKey::parse(&entry.public_key)
                .map_err(|e| TrustError::Invalid(format!("key {}: {e}", entry.id)))?;
            if public.id() != &entry.id {
                return Err(TrustError::Invalid(format!(
                    "key {} is listed with the wrong id (its public key has id {})",
                    entry.id,
                    public.id()
                )));
            }
            if trust.key(public.raw()).is_some() {
                return Err(TrustError::Invalid(format!("key {} is listed twice", entry.id)));
            }
            trust.add(TrustedKey {
                public,
                owner: entry.owner,
                roles: entry.roles,
                added: entry.added,
                expires: entry.expires,
            });
        }
        let admins = trust.keys_with_role(&Role::Admin).count() as u32;
        if trust.admin_threshold == 0 || trust.admin_threshold > admins {
            return Err(TrustError::Invalid(format!(
                "admin_threshold is {} but there are {admins} admin keys",
                trust.admin_threshold
            )));
        }
        Ok(trust)
    }

    /// The trust file as written to `.modelreg/trust.toml`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let file = TrustFile {
            schema: TRUST_SCHEMA.into(),
            admin_threshold: self.admin_threshold,
            keys: self
                .keys
                .iter()
                .map(|k| KeyEntry {
                    id: k.public.id().clone(),
                    owner: k.owner.clone(),
                    public_key: k.public.openssh().to_owned(),
                    roles: k.roles.clone(),
                    added: k.added,
                    expires: k.expires,
                })
                .collect(),
        };
        toml::to_string(&file).expect("trust serialises").into_bytes()
    }

    /// Adds a key, or merges roles into an existing entry for the same key.
    pub fn add(&mut self, key: TrustedKey) {
        match self.by_raw.get(key.public.raw()) {
            Some(&i) => {
                let existing = &mut self.keys[i];
                existing.roles.extend(key.roles);
                existing.owner = key.owner;
                existing.expires = key.expires.or(existing.expires);
            }
            None => {
                self.by_raw.insert(*key.public.raw(), self.keys.len());
                self.keys.push(key);
            }
        }
    }

    /// Makes a key expire at `when` (revocation), keeping it listed so its past signatures verify.
    pub fn expire(&mut self, raw: &[u8; 32], when: Timestamp) {
        if let Some(&i) = self.by_raw.get(raw) {
            self.keys[i].expires = Some(self.keys[i].expires.map_or(when, |e| e.min(when)));
        }
    }

    /// Every key, in file order.
    pub fn keys(&self) -> &[TrustedKey] {
        &self.keys
    }

    /// The entry for a public key, by its raw bytes.
    pub fn key(&self, raw: &[u8; 32]) -> Option<&TrustedKey> {
        self.by_raw.get(raw).map(|&i| &self.keys[i])
    }

    /// The keys holding `role`, expired or not.
    pub fn keys_with_role<'a>(&'a self, role: &'a Role) -> impl Iterator<Item = &'a TrustedKey> + 'a {
        self.keys.iter().filter(move |k| k.has_role(role))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::SigningKey;

    #[test]
    fn genesis_round_trips() {
        let key = SigningKey::generate("alice");
        let trust = Trust::genesis(key.public(), "alice@example.com", Timestamp::from_unix_seconds(0));
        let parsed = Trust::parse(&trust.to_bytes()).unwrap();
        let alice = parsed.key(key.public().raw()).unwrap();
        assert!(alice.has_role(&Role::Admin) && alice.has_role(&Role::Publisher));
        assert_eq!(parsed.to_bytes(), trust.to_bytes());
    }

    #[test]
    fn roles_parse() {
        assert_eq!("approver:production".parse::<Role>().unwrap().to_string(), "approver:production");
        assert!("approver:".parse::<Role>().is_err());
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn unreachable_threshold_is_refused() {
        let key = SigningKey::generate("alice");
        let mut trust = Trust::genesis(key.public(), "a", Timestamp::from_unix_seconds(0));
        trust.admin_threshold = 2;
        assert!(matches!(Trust::parse(&trust.to_bytes()), Err(TrustError::Invalid(_))));
    }
}
