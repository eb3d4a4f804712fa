// SPDX-License-Identifier: MIT OR Apache-2.0
//! The labels file: `call_id,class,type,instance[,intensity[,variant]]`, with
//! a header. Columns are found by their header names (any order); a file
//! whose header lacks them is read by position. `class` is `legit` or
//! `attack`; `type` names the traffic class or attack family; `instance`
//! groups one attack's calls; `intensity` (a number) and `variant` describe
//! the instance.

use std::path::Path;

use compact_str::CompactString;
use hashbrown::HashMap;

/// One call's ground truth.
#[derive(Debug, Clone, Copy)]
pub(super) struct Label {
    pub attack: bool,
    pub kind: u16,
    /// Index into [`Labels::instances`] (0: none).
    pub instance: u32,
}

/// One attack instance as the labels describe it.
#[derive(Debug, Clone, Default)]
pub(super) struct InstanceMeta {
    pub kind: u16,
    pub intensity: Option<f64>,
    pub variant: String,
}

/// The labels file, interned.
#[derive(Debug, Default)]
pub struct Labels {
    pub(super) by_call: HashMap<CompactString, Label>,
    /// (attack, type name) per kind index.
    pub(super) kinds: Vec<(bool, String)>,
    /// Per instance index (index 0 unused).
    pub(super) instances: Vec<InstanceMeta>,
}

impl Labels {
    pub fn load(path: &Path) -> Result<Labels, String> {
        let reader = crate::replay::input::open(path, None)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let mut r = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
        let header = r
            .headers()
            .map_err(|e| format!("{}: {e}", path.display()))?
            .clone();
        let col = |name: &str, default: usize| -> usize {
            header
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(name))
                .unwrap_or(default)
        };
        let by_name = header
            .iter()
            .any(|h| h.trim().eq_ignore_ascii_case("class"));
        let (c_id, c_class, c_type, c_inst, c_int, c_var) = if by_name {
            (
                col("call_id", 0),
                col("class", 1),
                col("type", 2),
                col("instance", usize::MAX),
                col("intensity", usize::MAX),
                col("variant", usize::MAX),
            )
        } else {
            (0, 1, 2, 3, 4, 5)
        };
        let mut labels = Labels {
            instances: vec![InstanceMeta::default()],
            ..Labels::default()
        };
        let mut kind_ix: HashMap<(bool, String), u16> = HashMap::new();
        let mut inst_ix: HashMap<(u16, String), u32> = HashMap::new();
        let mut rec = csv::StringRecord::new();
        loop {
            match r.read_record(&mut rec) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => return Err(format!("{}: {e}", path.display())),
            }
            let line = rec.position().map(|p| p.line()).unwrap_or(0);
            let bad = |why: &str| format!("{}:{line}: {why}", path.display());
            let field = |i: usize| rec.get(i).map(str::trim).unwrap_or("");
            if rec.len() <= c_id.max(c_class).max(c_type) {
                return Err(bad(
                    "expected call_id,class,type[,instance[,intensity[,variant]]]",
                ));
            }
            let attack = match field(c_class) {
                "attack" => true,
                "legit" => false,
                other => return Err(bad(&format!("class {other:?} is not legit or attack"))),
            };
            let key = (attack, field(c_type).to_string());
            let next = kind_ix.len() as u16;
            let kind = *kind_ix.entry(key.clone()).or_insert_with(|| {
                labels.kinds.push(key);
                next
            });
            let instance = if attack {
                let name = field(c_inst).to_string();
                let next = labels.instances.len() as u32;
                let ix = *inst_ix.entry((kind, name)).or_insert(next);
                if ix == next {
                    let intensity = match field(c_int) {
                        "" => None,
                        s => Some(
                            s.parse::<f64>()
                                .ok()
                                .filter(|v| v.is_finite() && *v > 0.0)
                                .ok_or_else(|| {
                                    bad(&format!("intensity {s:?} is not a number > 0"))
                                })?,
                        ),
                    };
                    labels.instances.push(InstanceMeta {
                        kind,
                        intensity,
                        variant: field(c_var).to_string(),
                    });
                }
                ix
            } else {
                0
            };
            labels.by_call.insert(
                field(c_id).into(),
                Label {
                    attack,
                    kind,
                    instance,
                },
            );
        }
        Ok(labels)
    }

    /// Attack instances in the file.
    pub fn instance_count(&self) -> usize {
        self.instances.len() - 1
    }
}
