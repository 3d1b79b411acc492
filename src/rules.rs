//! Falco's rules over a capture: rules files (lists, macros, rules, exceptions, appends and
//! overrides) compile into one [`Ruleset`] of filters over replay's fields, evaluated in one
//! pass; each match prints as a Falco alert.
//!
//! The pipeline: [`yaml`] (a tree with line numbers) → [`load`] (Falco's loading order and
//! update rules) → [`expand`] (exceptions, lists and macros into one filter text per rule) →
//! `filter::compile` → [`Ruleset`]. The ruleset also compiles the union of its rules, so a
//! replay can skip every block that no rule can match from the block summaries alone.

#![forbid(unsafe_code)]

pub mod alert;
pub mod expand;
pub mod load;
pub mod yaml;

#[cfg(test)]
mod measure_tests;

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::fmt;

use crate::filter::ast::Op;
use crate::filter::{self, BlockOracle, Cmp, Filter, Registry, Source, Tri, Val};
use crate::replay::context::EventCtx;
use crate::replay::fields::{Fid, Field, FieldArg, Fields};
use alert::Template;
use expand::{Expander, Origin};
use load::{Collection, Loc, RuleDef};

/// A rule's priority, most severe first (Falco's order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    /// Emergency.
    Emergency,
    /// Alert.
    Alert,
    /// Critical.
    Critical,
    /// Error.
    Error,
    /// Warning.
    Warning,
    /// Notice.
    Notice,
    /// Informational (also written `info`).
    Informational,
    /// Debug.
    Debug,
}

impl Priority {
    /// Every priority, most severe first.
    pub const ALL: [Priority; 8] = [
        Priority::Emergency,
        Priority::Alert,
        Priority::Critical,
        Priority::Error,
        Priority::Warning,
        Priority::Notice,
        Priority::Informational,
        Priority::Debug,
    ];

    /// The name Falco prints.
    pub fn name(self) -> &'static str {
        match self {
            Priority::Emergency => "Emergency",
            Priority::Alert => "Alert",
            Priority::Critical => "Critical",
            Priority::Error => "Error",
            Priority::Warning => "Warning",
            Priority::Notice => "Notice",
            Priority::Informational => "Informational",
            Priority::Debug => "Debug",
        }
    }

    /// Parses a priority name, case-insensitively (`info` is `informational`).
    pub fn parse(s: &str) -> Option<Priority> {
        if s.eq_ignore_ascii_case("info") {
            return Some(Priority::Informational);
        }
        Priority::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s))
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A rules file that cannot be used, with the place that says why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{loc}: {message}")]
pub struct RulesError {
    /// File and line.
    pub loc: Loc,
    /// What is wrong.
    pub message: String,
}

impl RulesError {
    /// An error at `loc`.
    pub fn at(loc: &Loc, message: impl Into<String>) -> RulesError {
        RulesError {
            loc: loc.clone(),
            message: message.into(),
        }
    }
}

/// A rule casefile cannot evaluate: what it uses that is unknown here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported {
    /// The rule.
    pub rule: String,
    /// Where its condition (or output) is written.
    pub loc: Loc,
    /// Why, naming the field or operator.
    pub reason: String,
}

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: rule '{}': {}", self.loc, self.rule, self.reason)
    }
}

/// One rule, ready to run.
#[derive(Debug)]
pub struct Rule {
    /// Name.
    pub name: String,
    /// Priority.
    pub priority: Priority,
    /// Tags, sorted.
    pub tags: BTreeSet<String>,
    /// Condition, compiled.
    pub filter: Filter<Field>,
    /// Output template.
    pub output: Template,
}

/// Which rules to run (Falco's `-t`, `-T`, `-D` and minimum priority).
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Only rules with one of these tags (when not empty).
    pub tags: Vec<String>,
    /// Not rules with one of these tags.
    pub disable_tags: Vec<String>,
    /// Not rules whose name contains one of these.
    pub disable_names: Vec<String>,
    /// Not rules less severe than this.
    pub min_priority: Option<Priority>,
    /// Skip rules that use what casefile cannot evaluate, instead of failing.
    pub skip_unsupported: bool,
}

impl Selection {
    fn wants(&self, r: &RuleDef) -> bool {
        r.enabled
            && (self.tags.is_empty() || self.tags.iter().any(|t| r.tags.contains(t)))
            && !self.disable_tags.iter().any(|t| r.tags.contains(t))
            && !self
                .disable_names
                .iter()
                .any(|n| r.name.contains(n.as_str()))
            && self.min_priority.is_none_or(|m| r.priority <= m)
    }
}

/// Rules ready to run, with what was left out.
#[derive(Debug)]
pub struct Ruleset {
    /// The rules that run, in load order.
    pub rules: Vec<Rule>,
    /// Their union (any rule matches), for skipping blocks; `None` when no rule runs.
    pub any: Option<Filter<Field>>,
    /// Rules skipped as unsupported.
    pub skipped: Vec<Unsupported>,
    /// Rules that run with output fields casefile does not know (printed as `<NA>`).
    pub partial: Vec<Unsupported>,
    /// Rules defined in the files.
    pub defined: usize,
    /// Rules not selected (disabled, filtered by tag, name, priority or source).
    pub not_selected: usize,
    /// Remarks from loading.
    pub warnings: Vec<String>,
}

impl Ruleset {
    /// Whether a rule's condition or output reads a field that needs every event before it
    /// ([`crate::replay::parallel::needs_order`]): then the rules run on one thread.
    pub fn needs_order(&self) -> bool {
        let ordered = crate::replay::parallel::needs_order;
        self.rules
            .iter()
            .any(|r| r.filter.uses_field(&ordered) || r.output.uses_field(&ordered))
    }
}

/// Judges `evt.type` comparisons for events of one type (every other field is unknown).
struct TypeOracle<'a>(&'a [u8]);

impl BlockOracle<Field> for TypeOracle<'_> {
    fn verdict(&self, field: &Field, cmp: &Cmp) -> Tri {
        if field.fid != Fid::EvtType || field.arg != FieldArg::None {
            return Tri::Unknown;
        }
        if cmp.op == Op::Exists || cmp.test(&Val::Str(Cow::Borrowed(self.0))) {
            Tri::AllMatch
        } else {
            Tri::NoneMatch
        }
    }
}

/// The rules that can match an event of a given type, found from each rule's condition the
/// first time the type is seen: a rule whose condition rules the type out is never evaluated
/// on such events (Falco indexes its rules by event type the same way).
#[derive(Debug, Default)]
pub struct ByType {
    cache: HashMap<Vec<u8>, Vec<usize>>,
}

impl ByType {
    /// Indices into `set.rules` of the rules that may match an event of type `ty`.
    pub fn candidates(&mut self, set: &Ruleset, ty: &[u8]) -> &[usize] {
        if !self.cache.contains_key(ty) {
            let oracle = TypeOracle(ty);
            let v = (0..set.rules.len())
                .filter(|&i| set.rules[i].filter.block_verdict(&oracle) != Tri::NoneMatch)
                .collect();
            self.cache.insert(ty.to_vec(), v);
        }
        self.cache.get(ty).map_or(&[], Vec::as_slice)
    }
}

/// Syscall numbers with a slot of their own in [`Matcher`]'s table.
const SYSCALL_SLOTS: usize = 1024;
/// Slots: the syscalls, then one per record kind number.
const SLOTS: usize = SYSCALL_SLOTS + 256;

/// Runs a ruleset over events one at a time: each event goes to the rules that can match its
/// type ([`ByType`]), in load order, and the first that matches fires (every one with
/// `all_matches`). `casefile rules` prints what fires; `casefile inspect` counts it.
#[derive(Debug)]
pub struct Matcher {
    by_type: ByType,
    /// Candidates by record kind and syscall number ([`Matcher::slot`]), filled from
    /// `by_type` the first time each is seen: no type name or hash per event.
    by_slot: Vec<Option<Box<[usize]>>>,
    evt_type: Option<Field>,
    all: Vec<usize>,
    ty: Vec<u8>,
    all_matches: bool,
}

impl Matcher {
    /// A matcher for `set`.
    pub fn new(set: &Ruleset, all_matches: bool) -> Matcher {
        Matcher {
            by_type: ByType::default(),
            by_slot: vec![None; SLOTS],
            evt_type: Fields.resolve("evt.type", None).ok().map(|s| s.id),
            all: (0..set.rules.len()).collect(),
            ty: Vec::with_capacity(32),
            all_matches,
        }
    }

    /// Calls `fired(i, ctx)` for each rule `set.rules[i]` that fires on the event in `ctx`
    /// (`set` is the ruleset the matcher was made for); stops at the first error.
    pub fn event<E>(
        &mut self,
        set: &Ruleset,
        ctx: &mut EventCtx<'_, '_>,
        mut fired: impl FnMut(usize, &mut EventCtx<'_, '_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let slot = Matcher::slot(&ctx.ev.body);
        if slot.is_some_and(|k| self.by_slot[k].is_none()) {
            let list = self.candidates_by_name(set, ctx).to_vec();
            if let Some(k) = slot {
                self.by_slot[k] = Some(list.into_boxed_slice());
            }
        }
        let all_matches = self.all_matches;
        let candidates: &[usize] = match slot.and_then(|k| self.by_slot[k].as_deref()) {
            Some(c) => c,
            None => self.candidates_by_name(set, ctx),
        };
        for &i in candidates {
            let Some(rule) = set.rules.get(i) else {
                continue;
            };
            if !rule.filter.matches(ctx) {
                continue;
            }
            fired(i, ctx)?;
            if !all_matches {
                break;
            }
        }
        Ok(())
    }

    /// The slot of an event's type in `by_slot`: its syscall number, or past the syscalls its
    /// record kind; `None` for numbers beyond the table.
    fn slot(body: &capture_format::schema::Body<'_>) -> Option<usize> {
        match body {
            capture_format::schema::Body::Syscall(sc) => {
                Some(usize::from(sc.nr)).filter(|&n| n < SYSCALL_SLOTS)
            }
            b => Some(SYSCALL_SLOTS + usize::from(b.kind_u8())),
        }
    }

    /// The candidates for the event's type, found by its `evt.type` name.
    fn candidates_by_name(&mut self, set: &Ruleset, ctx: &mut EventCtx<'_, '_>) -> &[usize] {
        self.ty.clear();
        let known = match self.evt_type.as_ref().and_then(|f| ctx.get(f)) {
            Some(Val::Str(t)) => {
                self.ty.extend_from_slice(&t);
                true
            }
            _ => false,
        };
        if known {
            self.by_type.candidates(set, &self.ty)
        } else {
            &self.all
        }
    }
}

/// Loads rules files, given as `(name, text)` in order, and compiles the selected rules.
pub fn compile(files: &[(String, String)], sel: &Selection) -> Result<Ruleset, RulesError> {
    let mut coll = Collection::default();
    for (name, text) in files {
        coll.load(name, text)?;
    }
    let warnings = std::mem::take(&mut coll.warnings);
    let expander = Expander::new(&coll)?;
    let mut set = Ruleset {
        rules: Vec::new(),
        any: None,
        skipped: Vec::new(),
        partial: Vec::new(),
        defined: coll.rules.len(),
        not_selected: 0,
        warnings,
    };
    let mut union = String::new();
    for def in &coll.rules {
        if !sel.wants(def) {
            set.not_selected += 1;
            continue;
        }
        if def.source != "syscall" {
            set.not_selected += 1;
            set.warnings.push(format!(
                "{}: rule '{}': source '{}' is not syscall events; not run",
                def.loc, def.name, def.source
            ));
            continue;
        }
        let expanded = expander.rule(def)?;
        let filter = match filter::compile(&expanded.text, &Fields) {
            Ok(f) => f,
            Err(errs) => {
                let first = &errs.errors[0];
                let (loc, inside) = match expanded.origin(first.span.start) {
                    Origin::Rule => (def.cond_loc.clone(), String::new()),
                    Origin::Macro(m, l) => (l.clone(), format!(" (in macro '{m}')")),
                    Origin::Exception(x, l) => (l.clone(), format!(" (in exception '{x}')")),
                };
                let u = Unsupported {
                    rule: def.name.clone(),
                    loc,
                    reason: format!("{}{inside}", first.kind),
                };
                if sel.skip_unsupported || def.skip_if_unknown {
                    set.skipped.push(u);
                    continue;
                }
                return Err(RulesError::at(
                    &u.loc,
                    format!("rule '{}': {}", u.rule, u.reason),
                ));
            }
        };
        let (output, unknown) = Template::parse(&def.output);
        if !unknown.is_empty() {
            let u = Unsupported {
                rule: def.name.clone(),
                loc: def.loc.clone(),
                reason: format!(
                    "output uses unknown field{} {}",
                    if unknown.len() == 1 { "" } else { "s" },
                    unknown
                        .iter()
                        .map(|f| format!("'{f}'"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            if !(sel.skip_unsupported || def.skip_if_unknown) {
                return Err(RulesError::at(
                    &u.loc,
                    format!("rule '{}': {}", u.rule, u.reason),
                ));
            }
            set.partial.push(u);
        }
        if !union.is_empty() {
            union.push_str(" or ");
        }
        union.push('(');
        union.push_str(&expanded.text);
        union.push(')');
        set.rules.push(Rule {
            name: def.name.clone(),
            priority: def.priority,
            tags: def.tags.clone(),
            filter,
            output,
        });
    }
    if !union.is_empty() {
        // Each part compiled on its own above, so the union does too.
        set.any = filter::compile(&union, &Fields).ok();
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_indexed_by_the_event_types_they_can_match() {
        let rule = |name: &str, cond: &str| {
            format!(
                "- rule: {name}\n  desc: d\n  condition: {cond}\n  output: o\n  priority: info\n"
            )
        };
        let text = [
            rule(
                "opens",
                "evt.type in (open, openat) and fd.name = /etc/shadow",
            ),
            rule("any", "proc.name = bash"),
            rule("not reads", "not evt.type = read and proc.name = cat"),
            rule(
                "execs",
                "(evt.type = execve or evt.type = execveat) and evt.res = SUCCESS",
            ),
        ]
        .concat();
        let set = compile(&[("t.yaml".into(), text)], &Selection::default()).expect("ok");
        let mut by = ByType::default();
        assert_eq!(by.candidates(&set, b"openat"), [0, 1, 2]);
        assert_eq!(by.candidates(&set, b"read"), [1]);
        assert_eq!(by.candidates(&set, b"execveat"), [1, 2, 3]);
        assert!(set.any.is_some());
    }
}
