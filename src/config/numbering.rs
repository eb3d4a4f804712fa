// SPDX-License-Identifier: MIT OR Apache-2.0
//! `[numbering]`: the home country's dialling plan, used to normalise every
//! number to E.164.

use serde::{Deserialize, Deserializer, Serialize};

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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NumberingConfig {
    #[serde(deserialize_with = "string_or_int")]
    pub country_code: String,
    #[serde(deserialize_with = "string_or_int")]
    pub national_prefix: String,
    pub international_prefixes: Vec<String>,
    pub national_number_lengths: Vec<u8>,
}

impl Default for NumberingConfig {
    fn default() -> Self {
        NumberingConfig {
            country_code: "234".into(),
            national_prefix: "0".into(),
            international_prefixes: vec!["009".into(), "00".into()],
            national_number_lengths: vec![8, 10],
        }
    }
}

impl NumberingConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self.country_code.is_empty()
            || self.country_code.len() > 3
            || !all_digits(&self.country_code)
        {
            return Err(ConfigError::new(
                "numbering.country_code",
                "must be 1 to 3 digits, e.g. \"234\"",
            ));
        }
        if self.country_code.starts_with('0') {
            return Err(ConfigError::new(
                "numbering.country_code",
                "cannot start with 0",
            ));
        }
        if !all_digits(&self.national_prefix) {
            return Err(ConfigError::new(
                "numbering.national_prefix",
                "must be digits (or empty)",
            ));
        }
        for p in &self.international_prefixes {
            if p.is_empty() || !all_digits(p) {
                return Err(ConfigError::new(
                    "numbering.international_prefixes",
                    format!("{p:?} is not digits"),
                ));
            }
        }
        if self
            .national_number_lengths
            .iter()
            .any(|&l| l == 0 || l > 14)
        {
            return Err(ConfigError::new(
                "numbering.national_number_lengths",
                "each length must be 1 to 14",
            ));
        }
        Ok(())
    }
}
