//! Column-mapping files (TOML) for generic CSV exports: volunteers, contacts, and voter files
//! of states Tusk has no reader for.
//!
//! ```toml
//! entity = "volunteers"          # voters | volunteers | contacts
//! source = "mobilize"            # source name: record keys are "<source>:<id>"
//! delimiter = ","                # optional, default ","; "\t" or "tab" for tabs
//! encoding = "utf-8"             # optional: utf-8 (falls back to windows-1252 per row) | windows-1252
//! state = "PA"                   # voters: required; others: default state when none mapped
//! snapshot = true                # voters: voters missing from the file are marked removed
//! owner = "sam@example.org"      # contacts: who shared them, when no owner column is mapped
//!
//! [columns]                      # Tusk field = "header in the file"
//! id = "Signup ID"
//! first_name = "First"
//! last_name = "Last"
//! email = "Email"
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::Encoding;

/// Largest mapping file accepted.
pub const MAPPING_BYTES_MAX: usize = 64 * 1024;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MappingError {
    #[error("`tusk import csv` needs a mapping file: pass --mapping FILE (see docs/import.md)")]
    Missing,
    #[error("mapping file: {0}")]
    Invalid(String),
}

/// What the rows of a mapped CSV are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Entity {
    Voters,
    Volunteers,
    Contacts,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    pub entity: Entity,
    pub source: String,
    #[serde(default)]
    pub delimiter: Option<String>,
    #[serde(default)]
    pub encoding: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub snapshot: bool,
    #[serde(default)]
    pub owner: Option<String>,
    pub columns: BTreeMap<String, String>,
}

/// Fields a mapping may name, per entity.
pub const VOTER_FIELDS: &[&str] = &[
    "voter_id",
    "first_name",
    "middle_name",
    "last_name",
    "name_suffix",
    "full_name",
    "street_address",
    "city",
    "state",
    "zip",
    "county_id",
    "county",
    "registration_number",
    "status",
    "status_reason",
    "phone",
    "birth_year",
    "birth_date",
    "gender",
    "race",
    "ethnicity",
    "party",
    "registration_date",
    "precinct",
    "precinct_desc",
    "municipality",
    "ward",
    "congressional_district",
    "senate_district",
    "house_district",
];
pub const ENTRY_FIELDS: &[&str] = &[
    "id",
    "first_name",
    "middle_name",
    "last_name",
    "name_suffix",
    "full_name",
    "email",
    "phone",
    "street_address",
    "city",
    "state",
    "zip",
    "birth_date",
    "birth_year",
    "date",
    "owner",
];

impl Mapping {
    pub fn parse(text: &str) -> Result<Mapping, MappingError> {
        if text.len() > MAPPING_BYTES_MAX {
            return Err(MappingError::Invalid(format!(
                "larger than {MAPPING_BYTES_MAX} bytes"
            )));
        }
        let m: Mapping = toml::from_str(text).map_err(|e| MappingError::Invalid(e.to_string()))?;
        m.validate()?;
        Ok(m)
    }

    fn validate(&self) -> Result<(), MappingError> {
        let bad = |s: String| Err(MappingError::Invalid(s));
        if self.source.is_empty()
            || !self
                .source
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return bad(format!(
                "source '{}' must be letters, digits, '-' or '_' (it prefixes record keys)",
                self.source
            ));
        }
        let allowed = match self.entity {
            Entity::Voters => VOTER_FIELDS,
            Entity::Volunteers | Entity::Contacts => ENTRY_FIELDS,
        };
        let unknown: Vec<&str> = self
            .columns
            .keys()
            .map(String::as_str)
            .filter(|k| !allowed.contains(k))
            .collect();
        if !unknown.is_empty() {
            return bad(format!(
                "unknown fields in [columns]: {}; fields for {:?} are: {}",
                unknown.join(", "),
                self.entity,
                allowed.join(", ")
            ));
        }
        let has = |k: &str| self.columns.contains_key(k);
        match self.entity {
            Entity::Voters => {
                if !has("voter_id") {
                    return bad("voters need columns.voter_id (the state's voter id)".into());
                }
                if !has("last_name") && !has("full_name") {
                    return bad("voters need columns.last_name or columns.full_name".into());
                }
                if self.state.as_deref().unwrap_or("").len() != 2 {
                    return bad("voters need state = \"XX\" (two-letter state code)".into());
                }
            }
            Entity::Volunteers | Entity::Contacts => {
                if !["first_name", "last_name", "full_name", "email", "phone"]
                    .iter()
                    .any(|k| has(k))
                {
                    return bad(
                        "map at least one of first_name, last_name, full_name, email, phone".into(),
                    );
                }
            }
        }
        if self.entity != Entity::Voters && self.snapshot {
            return bad("snapshot = true only applies to voters".into());
        }
        self.delimiter_checked()?;
        self.encoding_checked()?;
        Ok(())
    }

    fn delimiter_checked(&self) -> Result<u8, MappingError> {
        match self.delimiter.as_deref() {
            None | Some(",") => Ok(b','),
            Some("\t") | Some("tab") => Ok(b'\t'),
            Some(d) if d.len() == 1 && d.is_ascii() && d != "\"" => Ok(d.as_bytes()[0]),
            Some(d) => Err(MappingError::Invalid(format!(
                "delimiter '{d}' must be one ASCII character or \"tab\""
            ))),
        }
    }

    fn encoding_checked(&self) -> Result<Encoding, MappingError> {
        match self
            .encoding
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("utf-8") | Some("utf8") => Ok(Encoding::Utf8OrWindows1252),
            Some("windows-1252") | Some("cp1252") | Some("latin-1") | Some("latin1") => {
                Ok(Encoding::Windows1252)
            }
            Some(e) => Err(MappingError::Invalid(format!(
                "encoding '{e}' must be utf-8 or windows-1252"
            ))),
        }
    }

    pub fn delimiter_byte(&self) -> u8 {
        self.delimiter_checked().unwrap_or(b',')
    }

    pub fn encoding(&self) -> Encoding {
        self.encoding_checked()
            .unwrap_or(Encoding::Utf8OrWindows1252)
    }
}
