//! Reading rules files into lists, macros and rules, as Falco's loader does.
//!
//! Files are read in the order given; items in file order. Each `list`, `macro` and `rule` is
//! defined (a later definition with the same name replaces the earlier one in place), appended
//! to (`append: true`, or `override: {key: append}`), or selectively replaced
//! (`override: {key: replace}`). A `rule` item with only `enabled` switches an earlier rule on
//! or off. Every definition and update takes the next index of a counter shared by all kinds:
//! a macro sees the macros whose first definition came before its own latest update (Falco's
//! "visibility"), and a list may use the lists defined before it.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::Arc;

use super::yaml::{self, Node, Value};
use super::{Priority, RulesError};

/// Where something was written: file and 1-based line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loc {
    /// The file, as given.
    pub file: Arc<str>,
    /// The line.
    pub line: usize,
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// A `list`.
#[derive(Clone, Debug)]
pub struct ListDef {
    /// Name.
    pub name: String,
    /// Items as written (names of earlier lists included).
    pub items: Vec<String>,
    /// Order of its first definition.
    pub index: usize,
    /// Order of its latest definition or update.
    pub visibility: usize,
    /// Where it was (last) defined.
    pub loc: Loc,
}

/// A `macro`.
#[derive(Clone, Debug)]
pub struct MacroDef {
    /// Name.
    pub name: String,
    /// Condition text (appends joined with a space).
    pub cond: String,
    /// Order of its first definition.
    pub index: usize,
    /// Order of its latest definition or update.
    pub visibility: usize,
    /// Where its condition was (last) written.
    pub loc: Loc,
}

/// One value of an exception: a string, or a list of strings.
#[derive(Clone, Debug, PartialEq)]
pub enum ExVal {
    /// A single value.
    One(String),
    /// A parenthesised list of values.
    List(Vec<ExVal>),
}

/// One entry of a rule's `exceptions`.
#[derive(Clone, Debug)]
pub struct ExceptionDef {
    /// Name.
    pub name: String,
    /// One field (values are then a list of values for one list operator) or several (values
    /// are then tuples).
    pub fields: Option<ExVal>,
    /// Operators, like `fields`.
    pub comps: Option<ExVal>,
    /// The values.
    pub values: Vec<ExVal>,
    /// Where it was written.
    pub loc: Loc,
}

/// A `rule`.
#[derive(Clone, Debug)]
pub struct RuleDef {
    /// Name.
    pub name: String,
    /// Description.
    pub desc: String,
    /// Condition text (appends joined with a space).
    pub cond: String,
    /// Output template.
    pub output: String,
    /// Priority.
    pub priority: Priority,
    /// Tags (sorted, as Falco keeps them).
    pub tags: BTreeSet<String>,
    /// Exceptions.
    pub exceptions: Vec<ExceptionDef>,
    /// Whether it runs.
    pub enabled: bool,
    /// Event source (`syscall` unless given).
    pub source: String,
    /// `skip-if-unknown-filter`: skip the rule, with a warning, when it uses unknown fields.
    pub skip_if_unknown: bool,
    /// Where the rule item starts.
    pub loc: Loc,
    /// Where its condition was (last) written.
    pub cond_loc: Loc,
}

/// Everything read from the rules files, in definition order.
#[derive(Debug, Default)]
pub struct Collection {
    /// Lists.
    pub lists: Vec<ListDef>,
    /// Macros.
    pub macros: Vec<MacroDef>,
    /// Rules.
    pub rules: Vec<RuleDef>,
    /// Non-fatal remarks (deprecated forms, unknown items), with their place.
    pub warnings: Vec<String>,
    list_ix: HashMap<String, usize>,
    macro_ix: HashMap<String, usize>,
    rule_ix: HashMap<String, usize>,
    counter: usize,
}

impl Collection {
    /// The list called `name`.
    pub fn list(&self, name: &str) -> Option<&ListDef> {
        self.list_ix.get(name).map(|&i| &self.lists[i])
    }

    /// The macro called `name`.
    pub fn macro_def(&self, name: &str) -> Option<&MacroDef> {
        self.macro_ix.get(name).map(|&i| &self.macros[i])
    }

    fn next(&mut self) -> usize {
        self.counter += 1;
        self.counter
    }

    /// Reads one rules file's text (`file` names it in messages).
    pub fn load(&mut self, file: &str, text: &str) -> Result<(), RulesError> {
        let file: Arc<str> = Arc::from(file);
        let at = |line: usize| Loc {
            file: file.clone(),
            line,
        };
        let root = yaml::parse(text).map_err(|e| RulesError::at(&at(e.line), e.message))?;
        let Some(root) = root else {
            return Ok(());
        };
        let items = match &root.value {
            Value::Seq(items) => items,
            Value::Scalar(_, true) => return Ok(()),
            _ => {
                return Err(RulesError::at(
                    &at(root.line),
                    format!(
                        "a rules file is a sequence of items (- list:, - macro:, - rule:), not {}",
                        root.kind()
                    ),
                ));
            }
        };
        for item in items {
            let loc = at(item.line);
            let Value::Map(m) = &item.value else {
                return Err(RulesError::at(
                    &loc,
                    format!("a rules item must be a mapping, not {}", item.kind()),
                ));
            };
            let kind = m.first().map(|(k, _)| k.as_str()).unwrap_or_default();
            let kind = ["list", "macro", "rule", "required_engine_version"]
                .into_iter()
                .chain(["required_plugin_versions"])
                .find(|k| item.get(k).is_some())
                .unwrap_or(kind);
            match kind {
                "list" => self.list_item(item, &at)?,
                "macro" => self.macro_item(item, &at)?,
                "rule" => self.rule_item(item, &at)?,
                "required_engine_version" => {
                    let v = item.get(kind).unwrap_or(item);
                    if v.as_str().is_none() {
                        return Err(RulesError::at(
                            &at(v.line),
                            "required_engine_version must be a version number",
                        ));
                    }
                }
                // Plugin rules use other event sources; nothing to check here.
                "required_plugin_versions" => {}
                other => self
                    .warnings
                    .push(format!("{loc}: unknown top level item '{other}', ignored")),
            }
        }
        Ok(())
    }

    fn list_item(&mut self, item: &Node, at: &dyn Fn(usize) -> Loc) -> Result<(), RulesError> {
        let loc = at(item.line);
        let name = req_str(item, "list", &loc)?.to_owned();
        let (append, _) = self.update_mode(item, &loc, &["items"], &["items"], "list")?;
        let items = req(item, "items", &loc)?;
        let items = str_seq(items, &at(items.line))?;
        let n = self.next();
        if append {
            let Some(&i) = self.list_ix.get(&name) else {
                return Err(RulesError::at(
                    &loc,
                    format!(
                        "list '{name}' has 'append' but no list by that name was defined before"
                    ),
                ));
            };
            let l = &mut self.lists[i];
            l.items.extend(items);
            l.visibility = n;
        } else {
            let def = ListDef {
                name: name.clone(),
                items,
                index: n,
                visibility: n,
                loc,
            };
            define(&mut self.lists, &mut self.list_ix, name, def, |d, p| {
                d.index = p.index;
            });
        }
        Ok(())
    }

    fn macro_item(&mut self, item: &Node, at: &dyn Fn(usize) -> Loc) -> Result<(), RulesError> {
        let loc = at(item.line);
        let name = req_str(item, "macro", &loc)?.to_owned();
        let (append, _) = self.update_mode(item, &loc, &["condition"], &["condition"], "macro")?;
        let cond_node = req(item, "condition", &loc)?;
        let cond = req_str(item, "condition", &loc)?.to_owned();
        let cond_loc = at(cond_node.line);
        let n = self.next();
        if append {
            let Some(&i) = self.macro_ix.get(&name) else {
                return Err(RulesError::at(
                    &loc,
                    format!(
                        "macro '{name}' has 'append' but no macro by that name was defined before"
                    ),
                ));
            };
            let m = &mut self.macros[i];
            m.cond.push(' ');
            m.cond.push_str(&cond);
            m.visibility = n;
        } else {
            let def = MacroDef {
                name: name.clone(),
                cond,
                index: n,
                visibility: n,
                loc: cond_loc,
            };
            define(&mut self.macros, &mut self.macro_ix, name, def, |d, p| {
                d.index = p.index;
            });
        }
        Ok(())
    }

    /// Reads `append` and `override` of an item: whether it appends, and for rules the keys
    /// appended and replaced (`None` when the item is a plain definition).
    #[expect(
        clippy::type_complexity,
        reason = "a private helper's tuple of key sets"
    )]
    fn update_mode(
        &mut self,
        item: &Node,
        loc: &Loc,
        appendable: &[&str],
        replaceable: &[&str],
        what: &str,
    ) -> Result<(bool, Option<(Vec<String>, Vec<String>)>), RulesError> {
        let append = match item.get("append") {
            None => false,
            Some(v) => {
                self.warnings.push(format!(
                    "{loc}: 'append' is deprecated in Falco; 'override' replaces it"
                ));
                parse_bool(v, loc, "append")?
            }
        };
        let Some(ov) = item.get("override") else {
            return Ok((append, None));
        };
        if append {
            return Err(RulesError::at(
                loc,
                "keys 'override' and 'append: true' cannot be used together",
            ));
        }
        let Value::Map(m) = &ov.value else {
            return Err(RulesError::at(loc, "'override' must be a mapping"));
        };
        let (mut app, mut rep) = (Vec::new(), Vec::new());
        for (key, op) in m {
            let op_loc = Loc {
                file: loc.file.clone(),
                line: op.line,
            };
            match op.as_str() {
                Some("append") if appendable.contains(&key.as_str()) => app.push(key.clone()),
                Some("replace") if replaceable.contains(&key.as_str()) => rep.push(key.clone()),
                Some("append") => {
                    return Err(RulesError::at(
                        &op_loc,
                        format!(
                            "key '{key}' of a {what} cannot be appended to, use 'replace' instead"
                        ),
                    ));
                }
                Some("replace") if appendable.contains(&key.as_str()) || what == "rule" => {
                    return Err(RulesError::at(
                        &op_loc,
                        format!("key '{key}' of a {what} cannot be replaced"),
                    ));
                }
                _ => {
                    return Err(RulesError::at(
                        &op_loc,
                        format!(
                            "invalid override operation for key '{key}': use append or replace"
                        ),
                    ));
                }
            }
            if item.get(key).is_none() {
                return Err(RulesError::at(
                    &op_loc,
                    format!("an override for '{key}' was given but the item has no '{key}'"),
                ));
            }
        }
        // Every overridable key present must be named under `override`.
        for (key, v) in match &item.value {
            Value::Map(m) => m.as_slice(),
            _ => &[],
        } {
            let overridable =
                appendable.contains(&key.as_str()) || replaceable.contains(&key.as_str());
            if overridable && !app.contains(key) && !rep.contains(key) {
                return Err(RulesError::at(
                    &Loc {
                        file: loc.file.clone(),
                        line: v.line,
                    },
                    format!("unexpected key '{key}': no corresponding entry under 'override'"),
                ));
            }
        }
        if what != "rule" {
            // Lists and macros have one overridable key: append it, or replace the item.
            return Ok((!app.is_empty(), None));
        }
        Ok((false, Some((app, rep))))
    }

    fn rule_item(&mut self, item: &Node, at: &dyn Fn(usize) -> Loc) -> Result<(), RulesError> {
        const APPENDABLE: &[&str] = &["condition", "output", "desc", "tags", "exceptions"];
        const REPLACEABLE: &[&str] = &[
            "condition",
            "output",
            "desc",
            "priority",
            "capture",
            "capture_duration",
            "tags",
            "exceptions",
            "enabled",
            "warn_evttypes",
            "skip-if-unknown-filter",
        ];
        let loc = at(item.line);
        let name = req_str(item, "rule", &loc)?.to_owned();
        let source = match item.get("source") {
            Some(s) if !s.is_null() => s
                .as_str()
                .ok_or_else(|| RulesError::at(&loc, "'source' must be a string"))?
                .to_owned(),
            _ => String::new(),
        };
        let (append, overrides) = self.update_mode(item, &loc, APPENDABLE, REPLACEABLE, "rule")?;
        self.next();
        let cond_loc = item.get("condition").map_or(loc.clone(), |c| at(c.line));
        if let Some((app, rep)) = overrides {
            let Some(&i) = self.rule_ix.get(&name) else {
                return Err(RulesError::at(
                    &loc,
                    format!(
                        "rule '{name}' has 'override' but no rule by that name was defined before"
                    ),
                ));
            };
            for key in &app {
                self.apply_rule_key(i, item, key, true, &loc, at)?;
            }
            for key in &rep {
                self.apply_rule_key(i, item, key, false, &loc, at)?;
            }
            if app.iter().chain(&rep).any(|k| k == "condition") {
                self.rules[i].cond_loc = cond_loc;
            }
            return Ok(());
        }
        if append {
            let Some(&i) = self.rule_ix.get(&name) else {
                return Err(RulesError::at(
                    &loc,
                    format!(
                        "rule '{name}' has 'append' but no rule by that name was defined before"
                    ),
                ));
            };
            if item.get("condition").is_some() {
                self.apply_rule_key(i, item, "condition", true, &loc, at)?;
                self.rules[i].cond_loc = cond_loc;
            }
            if item.get("exceptions").is_some() {
                self.apply_rule_key(i, item, "exceptions", true, &loc, at)?;
            }
            return Ok(());
        }
        let has_body = ["condition", "output", "desc", "priority"]
            .iter()
            .any(|k| item.get(k).is_some());
        if !has_body {
            // `- rule: X` with only `enabled`: switches an earlier rule.
            let Some(en) = item.get("enabled") else {
                return Err(RulesError::at(
                    &loc,
                    format!("rule '{name}' has no condition, output, desc or priority"),
                ));
            };
            let enabled = parse_bool(en, &loc, "enabled")?;
            let Some(&i) = self.rule_ix.get(&name) else {
                return Err(RulesError::at(
                    &loc,
                    format!(
                        "rule '{name}' has 'enabled' but no rule by that name was defined before"
                    ),
                ));
            };
            self.rules[i].enabled = enabled;
            return Ok(());
        }
        let priority_node = req(item, "priority", &loc)?;
        let priority = parse_priority(priority_node, &at(priority_node.line))?;
        let def = RuleDef {
            name: name.clone(),
            desc: req_str(item, "desc", &loc)?.to_owned(),
            cond: req_str(item, "condition", &loc)?.to_owned(),
            output: req_str(item, "output", &loc)?.to_owned(),
            priority,
            tags: match item.get("tags") {
                Some(t) => str_seq(t, &at(t.line))?.into_iter().collect(),
                None => BTreeSet::new(),
            },
            exceptions: match item.get("exceptions") {
                Some(e) => read_exceptions(e, at, false)?,
                None => Vec::new(),
            },
            enabled: match item.get("enabled") {
                Some(e) => parse_bool(e, &loc, "enabled")?,
                None => true,
            },
            source: if source.is_empty() {
                "syscall".to_owned()
            } else {
                source
            },
            skip_if_unknown: match item.get("skip-if-unknown-filter") {
                Some(e) => parse_bool(e, &loc, "skip-if-unknown-filter")?,
                None => false,
            },
            loc,
            cond_loc,
        };
        define(&mut self.rules, &mut self.rule_ix, name, def, |_, _| {});
        Ok(())
    }

    /// Appends (or replaces) `key` of rule `i` from `item`.
    fn apply_rule_key(
        &mut self,
        i: usize,
        item: &Node,
        key: &str,
        append: bool,
        loc: &Loc,
        at: &dyn Fn(usize) -> Loc,
    ) -> Result<(), RulesError> {
        let text =
            |k: &str| -> Result<String, RulesError> { Ok(req_str(item, k, loc)?.to_owned()) };
        let join = |old: &mut String, new: String| {
            if append {
                if !new.is_empty() {
                    old.push(' ');
                    old.push_str(&new);
                }
            } else {
                *old = new;
            }
        };
        match key {
            "condition" => {
                let t = text(key)?;
                join(&mut self.rules[i].cond, t);
            }
            "output" => {
                let t = text(key)?;
                join(&mut self.rules[i].output, t);
            }
            "desc" => {
                let t = text(key)?;
                join(&mut self.rules[i].desc, t);
            }
            "tags" => {
                let t = req(item, key, loc)?;
                let tags = str_seq(t, &at(t.line))?;
                let r = &mut self.rules[i];
                if !append {
                    r.tags.clear();
                }
                r.tags.extend(tags);
            }
            "priority" => {
                let p = req(item, key, loc)?;
                self.rules[i].priority = parse_priority(p, &at(p.line))?;
            }
            "enabled" => self.rules[i].enabled = parse_bool(req(item, key, loc)?, loc, key)?,
            "skip-if-unknown-filter" => {
                self.rules[i].skip_if_unknown = parse_bool(req(item, key, loc)?, loc, key)?;
            }
            "exceptions" => {
                let new = read_exceptions(req(item, key, loc)?, at, append)?;
                let r = &mut self.rules[i];
                if !append {
                    r.exceptions = new;
                    return Ok(());
                }
                for ex in new {
                    if let Some(prev) = r.exceptions.iter_mut().find(|e| e.name == ex.name) {
                        if ex.fields.is_some() || ex.comps.is_some() {
                            return Err(RulesError::at(
                                &ex.loc,
                                format!(
                                    "exception '{}' exists: only values can be appended to it, not fields or comps",
                                    ex.name
                                ),
                            ));
                        }
                        prev.values.extend(ex.values);
                    } else {
                        if ex.fields.is_none() {
                            return Err(RulesError::at(
                                &ex.loc,
                                format!("new exception '{}' has no fields", ex.name),
                            ));
                        }
                        r.exceptions.push(ex);
                    }
                }
            }
            // Capture settings and event-type warnings do not apply to replay.
            _ => {}
        }
        Ok(())
    }
}

/// Defines `def` under `name`: a new entry at the end, or in place of an earlier one.
fn define<T>(
    all: &mut Vec<T>,
    ix: &mut HashMap<String, usize>,
    name: String,
    mut def: T,
    keep: impl FnOnce(&mut T, &T),
) {
    if let Some(&i) = ix.get(&name) {
        keep(&mut def, &all[i]);
        all[i] = def;
    } else {
        ix.insert(name, all.len());
        all.push(def);
    }
}

fn req<'n>(item: &'n Node, key: &str, loc: &Loc) -> Result<&'n Node, RulesError> {
    match item.get(key) {
        Some(v) if !v.is_null() => Ok(v),
        Some(_) => Err(RulesError::at(loc, format!("'{key}' is empty"))),
        None => Err(RulesError::at(loc, format!("item has no '{key}'"))),
    }
}

fn req_str<'n>(item: &'n Node, key: &str, loc: &Loc) -> Result<&'n str, RulesError> {
    let v = req(item, key, loc)?;
    v.as_str().ok_or_else(|| {
        RulesError::at(
            &Loc {
                file: loc.file.clone(),
                line: v.line,
            },
            format!("'{key}' must be a string, not {}", v.kind()),
        )
    })
}

fn str_seq(v: &Node, loc: &Loc) -> Result<Vec<String>, RulesError> {
    match &v.value {
        Value::Seq(items) => items
            .iter()
            .map(|i| {
                i.as_str().map(str::to_owned).ok_or_else(|| {
                    RulesError::at(
                        &Loc {
                            file: loc.file.clone(),
                            line: i.line,
                        },
                        format!("expected a string in the sequence, found {}", i.kind()),
                    )
                })
            })
            .collect(),
        Value::Scalar(_, true) => Ok(Vec::new()),
        _ => Err(RulesError::at(
            loc,
            format!("expected a sequence, found {}", v.kind()),
        )),
    }
}

fn parse_bool(v: &Node, loc: &Loc, key: &str) -> Result<bool, RulesError> {
    match v.as_str() {
        Some("true" | "True" | "TRUE" | "yes" | "on") => Ok(true),
        Some("false" | "False" | "FALSE" | "no" | "off") => Ok(false),
        _ => Err(RulesError::at(
            &Loc {
                file: loc.file.clone(),
                line: v.line,
            },
            format!("'{key}' must be true or false"),
        )),
    }
}

fn parse_priority(v: &Node, loc: &Loc) -> Result<Priority, RulesError> {
    let text = v.as_str().unwrap_or_default();
    Priority::parse(text).ok_or_else(|| {
        RulesError::at(
            loc,
            format!(
                "invalid priority '{text}' (emergency, alert, critical, error, warning, notice, informational, debug)"
            ),
        )
    })
}

fn ex_val(v: &Node, loc: &Loc, depth: usize) -> Result<ExVal, RulesError> {
    match &v.value {
        Value::Scalar(s, _) => Ok(ExVal::One(s.clone())),
        Value::Seq(items) if depth < 2 => Ok(ExVal::List(
            items
                .iter()
                .map(|i| ex_val(i, loc, depth + 1))
                .collect::<Result<_, _>>()?,
        )),
        _ => Err(RulesError::at(
            &Loc {
                file: loc.file.clone(),
                line: v.line,
            },
            format!("unexpected {} in an exception", v.kind()),
        )),
    }
}

fn read_exceptions(
    v: &Node,
    at: &dyn Fn(usize) -> Loc,
    append: bool,
) -> Result<Vec<ExceptionDef>, RulesError> {
    let Value::Seq(items) = &v.value else {
        return Err(RulesError::at(
            &at(v.line),
            "rule exceptions must be a sequence",
        ));
    };
    let mut out = Vec::new();
    for ex in items {
        let loc = at(ex.line);
        if !matches!(ex.value, Value::Map(_)) {
            return Err(RulesError::at(&loc, "a rule exception must be a mapping"));
        }
        let name = req_str(ex, "name", &loc)?.to_owned();
        let fields = match ex.get("fields") {
            Some(f) => Some(ex_val(f, &loc, 1)?),
            None if append => None,
            None => {
                return Err(RulesError::at(
                    &loc,
                    format!("exception '{name}' has no fields"),
                ));
            }
        };
        let comps = ex.get("comps").map(|c| ex_val(c, &loc, 1)).transpose()?;
        let values = match ex.get("values") {
            Some(vs) => match &vs.value {
                Value::Seq(items) => items
                    .iter()
                    .map(|i| ex_val(i, &loc, 0))
                    .collect::<Result<_, _>>()?,
                Value::Scalar(_, true) => Vec::new(),
                _ => {
                    return Err(RulesError::at(
                        &at(vs.line),
                        "exception values must be a sequence",
                    ));
                }
            },
            None => Vec::new(),
        };
        out.push(ExceptionDef {
            name,
            fields,
            comps,
            values,
            loc,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: &str =
        "- rule: r\n  desc: d\n  condition: evt.type = open\n  output: o\n  priority: info\n";

    fn load(text: &str) -> Result<Collection, String> {
        let mut c = Collection::default();
        c.load("t.yaml", text).map_err(|e| e.to_string())?;
        Ok(c)
    }

    #[test]
    fn overrides_append_and_replace_per_key() {
        let c = load(&format!(
            "{RULE}- rule: r\n  condition: and proc.name = x\n  priority: error\n  tags: [a]\n  override:\n    condition: append\n    priority: replace\n    tags: append\n"
        ))
        .expect("ok");
        let r = &c.rules[0];
        assert_eq!(r.cond, "evt.type = open and proc.name = x");
        assert_eq!(r.priority, Priority::Error);
        assert_eq!(r.tags.iter().collect::<Vec<_>>(), ["a"]);
        assert_eq!(r.cond_loc.line, 7);
    }

    #[test]
    fn a_later_definition_replaces_in_place_and_enabled_alone_switches() {
        let c = load(&format!(
            "{RULE}- rule: s\n  desc: d\n  condition: evt.type = read\n  output: o\n  priority: info\n\
             - rule: r\n  desc: d2\n  condition: evt.type = close\n  output: o\n  priority: info\n\
             - rule: s\n  enabled: false\n"
        ))
        .expect("ok");
        let names: Vec<(&str, &str, bool)> = c
            .rules
            .iter()
            .map(|r| (r.name.as_str(), r.cond.as_str(), r.enabled))
            .collect();
        assert_eq!(
            names,
            [
                ("r", "evt.type = close", true),
                ("s", "evt.type = read", false)
            ]
        );
    }

    #[test]
    fn misused_updates_are_errors_with_lines() {
        let e = |t: &str| load(t).expect_err("error");
        assert_eq!(
            e("- rule: r\n  condition: x\n  override:\n    condition: append\n"),
            "t.yaml:1: rule 'r' has 'override' but no rule by that name was defined before"
        );
        assert_eq!(
            e(&format!(
                "{RULE}- rule: r\n  condition: x\n  output: y\n  override:\n    condition: append\n"
            )),
            "t.yaml:8: unexpected key 'output': no corresponding entry under 'override'"
        );
        assert_eq!(
            e(&format!(
                "{RULE}- rule: r\n  condition: x\n  append: true\n  override:\n    condition: append\n"
            )),
            "t.yaml:6: keys 'override' and 'append: true' cannot be used together"
        );
        assert_eq!(
            e(&format!(
                "{RULE}- rule: r\n  priority: info\n  override:\n    priority: append\n"
            )),
            "t.yaml:9: key 'priority' of a rule cannot be appended to, use 'replace' instead"
        );
        assert_eq!(
            e("- list: l\n  items: [a]\n  append: true\n"),
            "t.yaml:1: list 'l' has 'append' but no list by that name was defined before"
        );
        assert_eq!(
            e(&format!(
                "{RULE}  exceptions:\n    - name: x\n      fields: [proc.name]\n      values: [[a]]\n\
                 - rule: r\n  exceptions:\n    - name: x\n      fields: [fd.name]\n      values: [[b]]\n  override:\n    exceptions: append\n"
            )),
            "t.yaml:12: exception 'x' exists: only values can be appended to it, not fields or comps"
        );
    }
}
