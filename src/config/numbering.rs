// SPDX-License-Identifier: MIT OR Apache-2.0
//! `[numbering]`: the home country's dialling plan, used to normalise every
//! number to E.164.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

use crate::number::plan::NumberType;

use super::{all_digits, ConfigError};

fn string_or_int<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum S {
        S(String),
        I(u64),
    }
    Ok(match S::deserialize(d)? {
        S::S(s) => s,
        S::I(i) => i.to_string(),
    })
}

/// A calling code as written (`"33"`, `33`), or a region libphonenumber knows
/// (`"FR"`, any case) turned into its calling code; anything else is kept for
/// [`NumberingConfig::validate`] to refuse.
fn calling_code(s: &str) -> String {
    if s.len() == 2 && s.bytes().all(|b| b.is_ascii_alphabetic()) {
        if let Some(m) = crate::number::plan::Metadata::bundled()
            .db
            .by_id(s.to_ascii_uppercase().as_str())
        {
            return m.country_code().to_string();
        }
    }
    s.to_string()
}

fn opt_string_or_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    string_or_int(d).map(Some)
}

/// The home country. Only `country_code` is needed: the trunk prefix, the
/// international prefixes and the national lengths come from libphonenumber's
/// metadata for it (`number::plan::dialling`) unless set here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default, from = "NumberingToml")]
pub struct NumberingConfig {
    /// The calling code; a region code (`"FR"`) is read as its calling code
    /// and as `region`.
    pub country_code: String,
    /// The home region among those sharing the calling code (a CLDR id:
    /// `"CA"` under +1): a number of another region (Canada's or Jamaica's
    /// for a US carrier) is no home CLI on an international ingress. Unset:
    /// under a code countries share (+1, +7) the region `country_code`
    /// named, else libphonenumber's main country for the code (the US for
    /// +1); under any other code every region's number is home (Jersey's
    /// under +44), unless a region is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(
        deserialize_with = "opt_string_or_int",
        skip_serializing_if = "Option::is_none"
    )]
    pub national_prefix: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub international_prefixes: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub national_number_lengths: Option<Vec<u8>>,
    /// Digits a renumbering put in front of national numbers: a number that
    /// is in the plan with one of them in front is that number in its old
    /// form (valid, of its type). Unset: the renumberings acm knows for the
    /// country (`number::plan::renumbered`); `[]`: none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legacy_prefixes: Option<Vec<String>>,
    /// A libphonenumber `PhoneNumberMetadata.xml` newer than the one acm
    /// bundles (`number::plan::Metadata`): numbering plans change every few
    /// weeks, and a number in a range opened since is an invalid CLI to
    /// older metadata. Read at start (and on a reload when the file
    /// changed). Unset: the bundled metadata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata_file: Option<std::path::PathBuf>,
    /// The operator's own ranges by type, as E.164 prefixes (`+1513241`, a
    /// trailing `*` allowed): `[numbering.types] mobile = ["+1513241"]`. A
    /// number of the plan under one is of that type (the longest prefix's),
    /// whatever libphonenumber says: under the NANP it cannot tell a mobile
    /// from a landline (`fixed_line_or_mobile`), and a carrier knows its
    /// NPA-NXX blocks. Types only: a number the plan does not have stays
    /// invalid. A number ported out keeps its block's type unless listed
    /// itself (a whole number is a prefix too, and the longest wins). acm
    /// retypes a few ranges its bundled metadata gets wrong
    /// (`number::plan::retyped`: India's 160 series is UAN); a prefix given
    /// here replaces acm's own.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub types: BTreeMap<NumberType, Vec<String>>,
}

/// `[numbering]` as written: [`NumberingConfig`] with `country_code` as
/// given, a region code not yet read as its calling code.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct NumberingToml {
    #[serde(deserialize_with = "string_or_int")]
    country_code: String,
    region: Option<String>,
    #[serde(deserialize_with = "opt_string_or_int")]
    national_prefix: Option<String>,
    international_prefixes: Option<Vec<String>>,
    national_number_lengths: Option<Vec<u8>>,
    legacy_prefixes: Option<Vec<String>>,
    metadata_file: Option<std::path::PathBuf>,
    types: BTreeMap<NumberType, Vec<String>>,
}

impl Default for NumberingToml {
    fn default() -> Self {
        let d = NumberingConfig::default();
        NumberingToml {
            country_code: d.country_code,
            region: d.region,
            national_prefix: d.national_prefix,
            international_prefixes: d.international_prefixes,
            national_number_lengths: d.national_number_lengths,
            legacy_prefixes: d.legacy_prefixes,
            metadata_file: d.metadata_file,
            types: d.types,
        }
    }
}

impl From<NumberingToml> for NumberingConfig {
    fn from(t: NumberingToml) -> Self {
        let code = calling_code(&t.country_code);
        // A region named as the country is the home region (unless one is
        // set) where countries share its code: "CA" is Canada under +1, "GB"
        // is all of +44.
        let shared = code
            .parse::<u16>()
            .is_ok_and(|c| crate::number::plan::SHARED_BY_COUNTRIES.contains(&c));
        let region = t.region.or_else(|| {
            (shared && code != t.country_code).then(|| t.country_code.to_ascii_uppercase())
        });
        NumberingConfig {
            country_code: code,
            region,
            national_prefix: t.national_prefix,
            international_prefixes: t.international_prefixes,
            national_number_lengths: t.national_number_lengths,
            legacy_prefixes: t.legacy_prefixes,
            metadata_file: t.metadata_file,
            types: t.types,
        }
    }
}

impl Default for NumberingConfig {
    fn default() -> Self {
        NumberingConfig {
            country_code: "234".into(),
            region: None,
            national_prefix: None,
            international_prefixes: None,
            national_number_lengths: None,
            legacy_prefixes: None,
            metadata_file: None,
            types: BTreeMap::new(),
        }
    }
}

/// [`NumberingConfig`] with every field known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Numbering {
    pub country_code: String,
    /// See [`NumberingConfig::region`] (None: the code's main country).
    pub region: Option<String>,
    pub national_prefix: String,
    pub international_prefixes: Vec<String>,
    /// Empty: any length (a country the metadata does not know). The old
    /// forms' lengths (`legacy_prefixes`) are added where the plan is built.
    pub national_number_lengths: Vec<u8>,
    /// See [`NumberingConfig::legacy_prefixes`].
    pub legacy_prefixes: Vec<String>,
    /// See [`NumberingConfig::metadata_file`].
    pub metadata_file: Option<std::path::PathBuf>,
    /// [`NumberingConfig::types`]: (NSN prefix, its type).
    pub types: Vec<(String, NumberType)>,
}

impl NumberingConfig {
    /// `types` as (NSN prefix, type), or what is wrong with a prefix.
    fn type_prefixes(&self) -> Result<Vec<(String, NumberType)>, ConfigError> {
        let mut out: Vec<(String, NumberType)> = Vec::new();
        for (ty, prefixes) in &self.types {
            let key = format!("numbering.types.{}", ty.name());
            for p in prefixes {
                let nsn = p
                    .strip_suffix('*')
                    .unwrap_or(p)
                    .strip_prefix('+')
                    .and_then(|d| d.strip_prefix(self.country_code.as_str()));
                let Some(nsn) = nsn.filter(|d| !d.is_empty() && d.len() <= 14 && all_digits(d))
                else {
                    return Err(ConfigError::new(
                        key,
                        format!(
                            "{p:?} is not a prefix of a home number: \"+{}\" and 1 to 14 digits",
                            self.country_code
                        ),
                    ));
                };
                if let Some((_, other)) = out.iter().find(|(q, _)| q == nsn) {
                    return Err(ConfigError::new(
                        key,
                        format!("{p:?} is also given the type {}", other.name()),
                    ));
                }
                out.push((nsn.to_string(), *ty));
            }
        }
        Ok(out)
    }

    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self.country_code.is_empty()
            || self.country_code.len() > 3
            || !all_digits(&self.country_code)
        {
            return Err(ConfigError::new(
                "numbering.country_code",
                "must be 1 to 3 digits, e.g. \"234\", or a region libphonenumber knows, e.g. \"NG\"",
            ));
        }
        if self.country_code.starts_with('0') {
            return Err(ConfigError::new(
                "numbering.country_code",
                "cannot start with 0",
            ));
        }
        let meta = crate::number::plan::Metadata::of(self.metadata_file.as_deref())
            .map_err(|e| ConfigError::new("numbering.metadata_file", e))?;
        if self.metadata_file.is_some()
            && self
                .country_code
                .parse::<u16>()
                .ok()
                .and_then(|c| meta.db.by_code(&c))
                .is_none_or(|m| m.is_empty())
        {
            return Err(ConfigError::new(
                "numbering.metadata_file",
                format!("has no territory with country code +{}", self.country_code),
            ));
        }
        if let Some(r) = &self.region {
            let ok = meta
                .db
                .by_id(r.to_ascii_uppercase().as_str())
                .is_some_and(|m| m.country_code().to_string() == self.country_code);
            if !ok {
                return Err(ConfigError::new(
                    "numbering.region",
                    format!(
                        "{r:?} is not a region libphonenumber has under +{}",
                        self.country_code
                    ),
                ));
            }
        }
        if !self.national_prefix.as_deref().is_none_or(all_digits) {
            return Err(ConfigError::new(
                "numbering.national_prefix",
                "must be digits (or empty)",
            ));
        }
        for p in self.international_prefixes.iter().flatten() {
            if p.is_empty() || !all_digits(p) {
                return Err(ConfigError::new(
                    "numbering.international_prefixes",
                    format!("{p:?} is not digits"),
                ));
            }
        }
        for p in self.legacy_prefixes.iter().flatten() {
            if p.is_empty() || p.len() > 4 || !all_digits(p) {
                return Err(ConfigError::new(
                    "numbering.legacy_prefixes",
                    format!("{p:?} is not 1 to 4 digits"),
                ));
            }
        }
        if self
            .national_number_lengths
            .iter()
            .flatten()
            .any(|&l| l == 0 || l > 14)
        {
            return Err(ConfigError::new(
                "numbering.national_number_lengths",
                "each length must be 1 to 14",
            ));
        }
        self.type_prefixes()?;
        Ok(())
    }

    /// Every field, those not set taken from libphonenumber's metadata for
    /// the country code (a country it does not know: trunk prefix "0",
    /// international prefix "00", any length).
    pub fn resolve(&self) -> Numbering {
        // A file that cannot be read was refused by `validate`.
        let metadata = crate::number::plan::Metadata::of(self.metadata_file.as_deref())
            .unwrap_or_else(|_| crate::number::plan::Metadata::bundled());
        let meta = crate::number::plan::dialling(&self.country_code, metadata);
        Numbering {
            country_code: self.country_code.clone(),
            region: self.region.clone(),
            national_prefix: self.national_prefix.clone().unwrap_or_else(|| {
                meta.as_ref()
                    .map_or_else(|| "0".into(), |m| m.national_prefix.clone())
            }),
            international_prefixes: self.international_prefixes.clone().unwrap_or_else(|| {
                meta.as_ref()
                    .map_or_else(|| vec!["00".into()], |m| m.international_prefixes.clone())
            }),
            national_number_lengths: self.national_number_lengths.clone().unwrap_or_else(|| {
                meta.as_ref()
                    .map_or_else(Vec::new, |m| m.national_number_lengths.clone())
            }),
            legacy_prefixes: self.legacy_prefixes.clone().unwrap_or_else(|| {
                crate::number::plan::renumbered(&self.country_code)
                    .iter()
                    .map(|p| p.to_string())
                    .collect()
            }),
            metadata_file: self.metadata_file.clone(),
            // Refused by `validate` when wrong. Then the ranges acm retypes
            // itself (`number::plan::retyped`), unless the operator typed them.
            types: {
                let mut t = self.type_prefixes().unwrap_or_default();
                for &(p, ty) in crate::number::plan::retyped(&self.country_code) {
                    if !t.iter().any(|(q, _)| q == p) {
                        t.push((p.to_string(), ty));
                    }
                }
                t
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_country_code_alone_gives_the_countrys_dialling() {
        // Nigeria: every NSN has 10 to 14 digits (libphonenumber 9.0.33 to 9.0.43; the
        // 8-digit fixed lines of old are gone).
        let ng = NumberingConfig::default().resolve();
        assert_eq!(ng.national_prefix, "0");
        assert_eq!(ng.international_prefixes, vec!["009", "00"]);
        assert_eq!(ng.national_number_lengths, vec![10, 11, 12, 13, 14]);
        // Its fixed lines gained "20" on 1 Jan 2024; the old forms stay valid.
        assert_eq!(ng.legacy_prefixes, vec!["20"]);
        // Another country from its code alone.
        let resolve = |cc: &str| {
            NumberingConfig {
                country_code: cc.into(),
                ..NumberingConfig::default()
            }
            .resolve()
        };
        let gb = resolve("44");
        assert_eq!(gb.national_prefix, "0");
        assert_eq!(gb.international_prefixes, vec!["00"]);
        assert_eq!(gb.national_number_lengths, vec![7, 9, 10]);
        assert!(gb.legacy_prefixes.is_empty());
        let us = resolve("1");
        assert_eq!(us.national_prefix, "1");
        assert_eq!(us.international_prefixes, vec!["011", "00"]);
        assert_eq!(us.national_number_lengths, vec![10]);
        // A code libphonenumber does not know: "0", "00", any length.
        let xx = resolve("999");
        assert_eq!(
            (
                xx.national_prefix.as_str(),
                xx.national_number_lengths.len()
            ),
            ("0", 0)
        );
        // What is set wins.
        let set = NumberingConfig {
            national_prefix: Some(String::new()),
            national_number_lengths: Some(vec![9]),
            ..NumberingConfig::default()
        }
        .resolve();
        assert_eq!(set.national_prefix, "");
        assert_eq!(set.national_number_lengths, vec![9]);
        assert_eq!(set.international_prefixes, vec!["009", "00"]);
    }

    #[test]
    fn a_metadata_file_is_read_and_checked_at_start() {
        use crate::config::Config;
        let (dir, file) = crate::number::plan::tests::us_metadata_file("275|513");
        let toml = |cc: &str, f: &std::path::Path| {
            format!(
                "[numbering]\ncountry_code = \"{cc}\"\nmetadata_file = {:?}\n",
                f.display().to_string()
            )
        };
        let cfg = Config::from_toml(&toml("1", &file)).unwrap();
        assert_eq!(cfg.numbering.metadata_file.as_deref(), Some(file.as_path()));
        let n = cfg.numbering.resolve();
        assert_eq!(n.national_prefix, "1");
        assert_eq!(n.metadata_file.as_deref(), Some(file.as_path()));
        // Not there, not metadata, or without the home country: refused at start.
        for (cc, f, why) in [
            ("1", dir.path().join("missing.xml"), "missing.xml"),
            ("234", file.clone(), "+234"),
        ] {
            let e = Config::from_toml(&toml(cc, &f)).unwrap_err();
            assert_eq!(e.key, "numbering.metadata_file");
            assert!(e.to_string().contains(why), "{e}");
        }
        let junk = dir.path().join("junk.xml");
        std::fs::write(&junk, "<phoneNumberMetadata>").unwrap();
        let e = Config::from_toml(&toml("1", &junk)).unwrap_err();
        assert_eq!(e.key, "numbering.metadata_file");
    }

    #[test]
    fn indias_160_series_is_uan_unless_the_operator_types_it() {
        use crate::config::Config;
        use crate::number::plan::{NsnPlan, NumberType};
        let plan = |toml: &str| {
            let cfg = Config::from_toml(toml).unwrap();
            let cc = cfg.numbering.country_code.clone();
            NsnPlan::for_country_code(&cc)
                .unwrap()
                .with_types(&cfg.numbering.resolve().types)
        };
        let india = plan("[numbering]\ncountry_code = \"91\"\n");
        // Typed mobile and fixed line by the bundled metadata.
        assert_eq!(india.number_type(b"1600358435"), Some(NumberType::Uan));
        assert_eq!(india.number_type(b"1602398711"), Some(NumberType::Uan));
        assert_eq!(india.number_type(b"9876543210"), Some(NumberType::Mobile));
        let own =
            plan("[numbering]\ncountry_code = \"91\"\n[numbering.types]\nmobile = [\"+91160\"]\n");
        assert_eq!(own.number_type(b"1600358435"), Some(NumberType::Mobile));
        // Another country's numbers are not retyped.
        let nigeria = plan("[numbering]\ncountry_code = \"234\"\n");
        assert_eq!(nigeria.number_type(b"8031234567"), Some(NumberType::Mobile));
    }

    #[test]
    fn the_operators_types_are_prefixes_of_home_numbers() {
        use crate::config::Config;
        let cfg = Config::from_toml(
            "[numbering]\ncountry_code = \"1\"\n[numbering.types]\n\
             mobile = [\"+1513241\", \"+1937*\"]\nfixed_line = [\"+15132415\"]\n",
        )
        .unwrap();
        let mut types = cfg.numbering.resolve().types;
        types.sort();
        assert_eq!(
            types,
            vec![
                ("513241".to_string(), NumberType::Mobile),
                ("5132415".to_string(), NumberType::FixedLine),
                ("937".to_string(), NumberType::Mobile),
            ]
        );
        // Refused, naming the type's key: another country's prefix, no
        // digits after the code, a letter, a prefix given two types, a type
        // that does not exist.
        for (types, key, why) in [
            (
                "mobile = [\"+234803\"]",
                "numbering.types.mobile",
                "+234803",
            ),
            (
                "mobile = [\"+1\"]",
                "numbering.types.mobile",
                "1 to 14 digits",
            ),
            ("voip = [\"+1513x\"]", "numbering.types.voip", "+1513x"),
            (
                "mobile = [\"+1513\"]\nfixed_line = [\"+1513*\"]",
                "numbering.types",
                "also given the type",
            ),
        ] {
            let e = Config::from_toml(&format!(
                "[numbering]\ncountry_code = \"1\"\n[numbering.types]\n{types}\n"
            ))
            .unwrap_err();
            assert!(e.key.starts_with(key), "{e}");
            assert!(e.to_string().contains(why), "{e}");
        }
        let e = Config::from_toml(
            "[numbering]\ncountry_code = \"1\"\n[numbering.types]\nmobil = [\"+1513\"]\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("mobil"), "{e}");
    }
}
