//! From a rule to one filter text: exceptions become `and not (...)` clauses, lists are
//! replaced by their items and macros by their parenthesised conditions, as Falco builds them.
//!
//! Falco substitutes lists as text (a list's name, standing alone between blanks, `(`, `)`,
//! `,` or `=`, becomes its items joined by `, `; an item with a space is quoted) and resolves
//! macros on the parsed condition (an identifier where a check could stand). Here both work
//! on the condition's tokens, which gives the same text without parsing it twice. The output
//! records which macro (or exception) each part came from, so a filter error points at the
//! rules file line that holds it. Expansion is bounded in size and depth: a hostile file
//! (macros that use each other ten times over, ten levels deep) is refused, not expanded.

use std::collections::HashMap;

use super::RulesError;
use super::load::{Collection, ExVal, ExceptionDef, Loc, RuleDef};

/// Largest expanded condition, in bytes.
pub const MAX_EXPANDED: usize = 1 << 20;
/// Deepest nesting of macros in macros.
pub const MAX_MACRO_DEPTH: usize = 64;
/// Deepest nesting of parentheses (and `not`s) in an expanded condition.
pub const MAX_NESTING: usize = 256;
/// Most items a list may hold once the lists it names are expanded.
pub const MAX_LIST_ITEMS: usize = 100_000;

/// Where a part of an expanded condition was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The rule's own condition.
    Rule,
    /// A macro.
    Macro(String, Loc),
    /// One of the rule's exceptions.
    Exception(String, Loc),
}

/// An expanded condition and the origin of its parts.
#[derive(Debug)]
pub struct Expanded {
    /// The filter text.
    pub text: String,
    /// `(start, end, origin)` byte ranges of `text`; nested ranges follow their container.
    pub parts: Vec<(usize, usize, Origin)>,
}

impl Expanded {
    /// The innermost origin of byte `at`.
    pub fn origin(&self, at: usize) -> &Origin {
        self.parts
            .iter()
            .filter(|(s, e, _)| *s <= at && at < (*e).max(*s + 1))
            .min_by_key(|(s, e, _)| e - s)
            .map_or(&Origin::Rule, |(_, _, o)| o)
    }
}

/// Lists with the lists they name expanded (each may use lists defined before it).
pub fn resolve_lists(c: &Collection) -> Result<HashMap<String, Vec<String>>, RulesError> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    let mut order: Vec<&super::load::ListDef> = c.lists.iter().collect();
    order.sort_by_key(|l| l.index);
    for l in order {
        let mut items = Vec::new();
        for it in &l.items {
            match c.list(it) {
                Some(r) if r.index < l.visibility && r.name != l.name => {
                    items.extend(out.get(&r.name).cloned().unwrap_or_default());
                }
                _ => items.push(it.clone()),
            }
            if items.len() > MAX_LIST_ITEMS {
                return Err(RulesError::at(
                    &l.loc,
                    format!(
                        "list '{}' expands to more than {MAX_LIST_ITEMS} items",
                        l.name
                    ),
                ));
            }
        }
        out.insert(l.name.clone(), items);
    }
    Ok(out)
}

/// Quotes an item that holds a space and is not quoted already (Falco's rule).
fn quote_item(s: &str) -> String {
    if s.contains(' ') && !s.starts_with('"') && !s.starts_with('\'') {
        format!("\"{s}\"")
    } else {
        s.to_owned()
    }
}

fn ex_text(v: &ExVal) -> String {
    match v {
        ExVal::One(s) => s.clone(),
        ExVal::List(items) => items.iter().map(ex_text).collect::<Vec<_>>().join(", "),
    }
}

fn is_list_op(op: &str) -> bool {
    matches!(op, "in" | "intersects" | "pmatch")
}

/// The `(field op v) ...` text of one exception (empty when it has no values).
fn exception_text(ex: &ExceptionDef) -> Result<String, RulesError> {
    let bad = |m: String| RulesError::at(&ex.loc, format!("exception '{}': {m}", ex.name));
    let Some(fields) = &ex.fields else {
        return Err(bad("no fields".into()));
    };
    match fields {
        ExVal::One(field) => {
            let comp = match &ex.comps {
                None => "in".to_owned(),
                Some(ExVal::One(c)) => c.trim().to_owned(),
                Some(ExVal::List(_)) => {
                    return Err(bad("fields and comps must both be strings".into()));
                }
            };
            if !is_list_op(&comp) {
                return Err(bad(format!(
                    "with one field, comps must be in, pmatch or intersects, not '{comp}'"
                )));
            }
            let mut vals = Vec::new();
            for v in &ex.values {
                match v {
                    ExVal::One(s) => vals.push(quote_item(s)),
                    ExVal::List(_) => {
                        return Err(bad("with one field, values are a list of strings".into()));
                    }
                }
            }
            if vals.is_empty() {
                return Ok(String::new());
            }
            Ok(format!("({field} {comp} ({}))", vals.join(", ")))
        }
        ExVal::List(fields) => {
            let fields: Vec<String> = fields.iter().map(ex_text).collect();
            let comps: Vec<String> = match &ex.comps {
                None => vec!["=".to_owned(); fields.len()],
                Some(ExVal::List(c)) => c.iter().map(|c| ex_text(c).trim().to_owned()).collect(),
                Some(ExVal::One(_)) => {
                    return Err(bad("fields and comps must both be lists".into()));
                }
            };
            if comps.len() != fields.len() {
                return Err(bad("fields and comps lists must have equal length".into()));
            }
            let mut tuples = Vec::new();
            for v in &ex.values {
                let ExVal::List(items) = v else {
                    return Err(bad("with several fields, each value is a list".into()));
                };
                if items.len() != fields.len() {
                    return Err(bad("fields and values lists must have equal length".into()));
                }
                let mut checks = Vec::new();
                for ((f, c), it) in fields.iter().zip(&comps).zip(items) {
                    let value = match it {
                        ExVal::List(vs) => format!(
                            "({})",
                            vs.iter()
                                .map(|v| quote_item(&ex_text(v)))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        ExVal::One(s) if is_list_op(c) && !s.starts_with('(') => format!("({s})"),
                        ExVal::One(s) if is_list_op(c) => s.clone(),
                        ExVal::One(s) => quote_item(s),
                    };
                    checks.push(format!("{f} {c} {value}"));
                }
                tuples.push(format!("({})", checks.join(" and ")));
            }
            if tuples.is_empty() {
                return Ok(String::new());
            }
            Ok(format!("({})", tuples.join(" or ")))
        }
    }
}

/// A token of a condition, as far as expansion cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok {
    Open,
    Close,
    Comma,
    /// `=`, `!=`, `<`, ...
    Sym,
    Quoted,
    Word,
}

/// Splits `s` into tokens (kind, start, end). Whitespace is left out.
fn tokens(s: &str) -> Vec<(Tok, usize, usize)> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        let kind = match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'(' => {
                i += 1;
                Tok::Open
            }
            b')' => {
                i += 1;
                Tok::Close
            }
            b',' => {
                i += 1;
                Tok::Comma
            }
            b'=' | b'!' | b'<' | b'>' => {
                while i < b.len() && matches!(b[i], b'=' | b'!' | b'<' | b'>') {
                    i += 1;
                }
                Tok::Sym
            }
            b'"' | b'\'' => {
                i += 1;
                while i < b.len() && b[i] != c {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(b.len());
                Tok::Quoted
            }
            _ => {
                while i < b.len()
                    && !matches!(
                        b[i],
                        b' ' | b'\t' | b'\n' | b'\r' | b'(' | b')' | b',' | b'=' | b'"' | b'\''
                    )
                    && !(matches!(b[i], b'!' | b'<' | b'>') && i > start)
                {
                    // A field argument in brackets may hold anything but `]`.
                    if b[i] == b'[' {
                        while i < b.len() && b[i] != b']' {
                            i += 1;
                        }
                    }
                    i += 1;
                }
                Tok::Word
            }
        };
        out.push((kind, start, i.min(b.len())));
    }
    out
}

fn is_ident(w: &str) -> bool {
    let mut cs = w.chars();
    cs.next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && cs.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Expands rules' conditions against one collection.
pub struct Expander<'c> {
    coll: &'c Collection,
    lists: HashMap<String, Vec<String>>,
}

/// The context of one expansion.
struct Run {
    out: String,
    parts: Vec<(usize, usize, Origin)>,
    stack: Vec<String>,
    rule: String,
}

impl<'c> Expander<'c> {
    /// An expander over `coll` (its lists are resolved once here).
    pub fn new(coll: &'c Collection) -> Result<Expander<'c>, RulesError> {
        Ok(Expander {
            coll,
            lists: resolve_lists(coll)?,
        })
    }

    /// The whole filter text of `rule`.
    pub fn rule(&self, rule: &RuleDef) -> Result<Expanded, RulesError> {
        let mut run = Run {
            out: String::new(),
            parts: Vec::new(),
            stack: Vec::new(),
            rule: rule.name.clone(),
        };
        let with_ex = rule.exceptions.iter().any(|e| !e.values.is_empty());
        if with_ex {
            run.out.push('(');
        }
        self.expand(&rule.cond, &rule.cond_loc, usize::MAX, &mut run)?;
        if with_ex {
            run.out.push(')');
        }
        for ex in &rule.exceptions {
            let text = exception_text(ex)?;
            if text.is_empty() {
                continue;
            }
            run.out.push_str(" and not ");
            let start = run.out.len();
            self.expand(&text, &ex.loc, usize::MAX, &mut run)?;
            run.parts.push((
                start,
                run.out.len(),
                Origin::Exception(ex.name.clone(), ex.loc.clone()),
            ));
        }
        check_nesting(&run.out)
            .map_err(|m| RulesError::at(&rule.cond_loc, format!("rule '{}': {m}", rule.name)))?;
        Ok(Expanded {
            text: run.out,
            parts: run.parts,
        })
    }

    /// Appends `text` with lists and macros (those visible below `visibility`) expanded.
    fn expand(
        &self,
        text: &str,
        loc: &Loc,
        visibility: usize,
        run: &mut Run,
    ) -> Result<(), RulesError> {
        let toks = tokens(text);
        let mut copied = 0;
        // Whether each open parenthesis groups a condition (not a value list or arguments).
        let mut groups: Vec<bool> = Vec::new();
        let mut primary = true;
        let mut skip_comma = false;
        for (k, &(kind, s, e)) in toks.iter().enumerate() {
            let word = &text[s..e];
            let was_primary = primary;
            primary = match kind {
                Tok::Open => {
                    groups.push(was_primary);
                    was_primary
                }
                Tok::Word => matches!(word, "and" | "or" | "not"),
                _ => false,
            };
            if kind == Tok::Close {
                groups.pop();
            }
            if skip_comma && kind == Tok::Comma {
                run.out.push_str(&text[copied..s]);
                copied = e;
                skip_comma = false;
                continue;
            }
            skip_comma = false;
            if kind != Tok::Word {
                continue;
            }
            if let Some(items) = self.lists.get(word) {
                run.out.push_str(&text[copied..s]);
                copied = e;
                if items.is_empty() {
                    // No items: drop the comma next to the name, as Falco does.
                    let trimmed = run.out.trim_end();
                    if trimmed.ends_with(',') {
                        let cut = trimmed.len() - 1;
                        run.out.truncate(cut);
                    } else {
                        skip_comma = true;
                    }
                } else {
                    let joined = items
                        .iter()
                        .map(|i| quote_item(i))
                        .collect::<Vec<_>>()
                        .join(", ");
                    run.out.push_str(&joined);
                }
                Self::budget(run, loc)?;
                continue;
            }
            let next = toks.get(k + 1).map(|&(t, s, e)| (t, &text[s..e]));
            let alone = matches!(
                next,
                None | Some((Tok::Close, _) | (Tok::Word, "and" | "or"))
            );
            if !(was_primary && alone) || matches!(word, "and" | "or" | "not") {
                continue;
            }
            let m = match self.coll.macro_def(word) {
                Some(m) if m.index < visibility => m,
                Some(_) | None if is_ident(word) => {
                    let within = run.stack.last().map_or_else(
                        || format!("rule '{}'", run.rule),
                        |m| format!("macro '{m}'"),
                    );
                    return Err(RulesError::at(
                        loc,
                        format!("undefined macro '{word}' used in {within}"),
                    ));
                }
                _ => continue,
            };
            if run.stack.iter().any(|n| n == word) {
                let mut cycle = run.stack.clone();
                cycle.push(word.to_owned());
                return Err(RulesError::at(
                    &m.loc,
                    format!("macros use each other in a cycle: {}", cycle.join(" -> ")),
                ));
            }
            if run.stack.len() >= MAX_MACRO_DEPTH {
                return Err(RulesError::at(
                    &m.loc,
                    format!(
                        "macros nest more than {MAX_MACRO_DEPTH} deep (in rule '{}')",
                        run.rule
                    ),
                ));
            }
            run.out.push_str(&text[copied..s]);
            copied = e;
            run.out.push('(');
            let start = run.out.len();
            run.stack.push(word.to_owned());
            self.expand(&m.cond, &m.loc, m.visibility, run)?;
            run.stack.pop();
            run.parts.push((
                start,
                run.out.len(),
                Origin::Macro(m.name.clone(), m.loc.clone()),
            ));
            run.out.push(')');
            Self::budget(run, loc)?;
        }
        run.out.push_str(&text[copied..]);
        Self::budget(run, loc)
    }

    fn budget(run: &Run, loc: &Loc) -> Result<(), RulesError> {
        if run.out.len() > MAX_EXPANDED {
            return Err(RulesError::at(
                loc,
                format!(
                    "the condition of rule '{}' expands to more than {} KiB (macros or lists used many times over)",
                    run.rule,
                    MAX_EXPANDED >> 10
                ),
            ));
        }
        Ok(())
    }
}

/// Refuses conditions nested deeper than [`MAX_NESTING`] (parentheses and `not`s), which the
/// filter parser would descend into recursively.
fn check_nesting(text: &str) -> Result<(), String> {
    let mut depth = 0usize;
    let mut nots = 0usize;
    for (kind, s, e) in tokens(text) {
        match kind {
            Tok::Open => depth += 1,
            Tok::Close => depth = depth.saturating_sub(1),
            Tok::Word if &text[s..e] == "not" => nots += 1,
            _ => {}
        }
        if (kind != Tok::Word || &text[s..e] != "not") && kind != Tok::Open {
            nots = 0;
        }
        if depth + nots > MAX_NESTING {
            return Err(format!(
                "the expanded condition nests deeper than {MAX_NESTING} levels"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;

    fn coll(text: &str) -> Collection {
        let mut c = Collection::default();
        c.load("t.yaml", text).unwrap_or_else(|e| panic!("{e}"));
        c
    }

    fn expand(text: &str) -> Result<String, String> {
        let c = coll(text);
        let x = Expander::new(&c).map_err(|e| e.to_string())?;
        x.rule(&c.rules[0])
            .map(|e| e.text)
            .map_err(|e| e.to_string())
    }

    const HEAD: &str = "- rule: r\n  desc: d\n  output: o\n  priority: info\n";

    #[test]
    fn macros_and_lists_expand_as_falco_does() {
        let t = format!(
            "- list: shells\n  items: [bash, sh]\n- list: more\n  items: [shells, \"fish shell\"]\n\
             - macro: spawned\n  condition: evt.type = execve\n\
             - macro: shell\n  condition: spawned and proc.name in (more, zsh)\n{HEAD}  condition: shell and not fd.name in (shells)\n"
        );
        assert_eq!(
            expand(&t).expect("ok"),
            "((evt.type = execve) and proc.name in (bash, sh, \"fish shell\", zsh)) and not fd.name in (bash, sh)"
        );
    }

    #[test]
    fn exceptions_become_and_not_clauses() {
        let t = format!(
            "{HEAD}  condition: evt.type = open\n  exceptions:\n\
             \x20 - name: one\n    fields: proc.name\n    values: [a, b c]\n\
             \x20 - name: two\n    fields: [proc.name, fd.name]\n    comps: [=, pmatch]\n    values:\n      - [x, [/etc, /usr]]\n      - [y, /tmp]\n\
             \x20 - name: empty\n    fields: [proc.name]\n"
        );
        assert_eq!(
            expand(&t).expect("ok"),
            "(evt.type = open) and not (proc.name in (a, \"b c\")) and not ((proc.name = x and fd.name pmatch (/etc, /usr)) or (proc.name = y and fd.name pmatch (/tmp)))"
        );
    }

    #[test]
    fn values_are_not_macros_and_empty_lists_vanish() {
        let t = format!(
            "- list: none\n  items: []\n- macro: bash\n  condition: proc.name = bash\n{HEAD}  condition: proc.name in (none, bash) or proc.name = bash or bash\n"
        );
        assert_eq!(
            expand(&t).expect("ok"),
            "proc.name in ( bash) or proc.name = bash or (proc.name = bash)"
        );
    }

    #[test]
    fn undefined_cyclic_and_exploding_macros_are_errors() {
        let e =
            expand(&format!("{HEAD}  condition: nosuch and proc.name = x\n")).expect_err("undef");
        assert_eq!(e, "t.yaml:5: undefined macro 'nosuch' used in rule 'r'");
        let cyc = format!(
            "- macro: a\n  condition: proc.name = x\n- macro: b\n  condition: a\n\
             - macro: a\n  condition: b\n{HEAD}  condition: a\n"
        );
        let e = expand(&cyc).expect_err("cycle");
        assert!(e.contains("cycle: a -> b -> a"), "{e}");
        // Macros defined after the macro that uses them are not visible to it.
        let later = format!(
            "- macro: a\n  condition: b\n- macro: b\n  condition: proc.name = x\n{HEAD}  condition: a\n"
        );
        assert_eq!(
            expand(&later).expect_err("later"),
            "t.yaml:2: undefined macro 'b' used in macro 'a'"
        );
        let mut laughs = String::from("- macro: m0\n  condition: proc.name = aaaaaaaaaaaaaaaa\n");
        for i in 1..12 {
            let p = format!("m{}", i - 1);
            let _ = writeln!(
                laughs,
                "- macro: m{i}\n  condition: {p} or {p} or {p} or {p} or {p} or {p} or {p} or {p}"
            );
        }
        let _ = writeln!(laughs, "{HEAD}  condition: m11");
        let e = expand(&laughs).expect_err("laughs");
        assert!(e.contains("expands to more than 1024 KiB"), "{e}");
    }

    #[test]
    fn deep_nesting_is_refused() {
        let deep = format!(
            "{HEAD}  condition: {}proc.name = x{}\n",
            "(".repeat(300),
            ")".repeat(300)
        );
        assert!(expand(&deep).expect_err("deep").contains("nests deeper"));
        let nots = format!("{HEAD}  condition: {}proc.name = x\n", "not ".repeat(300));
        assert!(expand(&nots).expect_err("nots").contains("nests deeper"));
    }

    #[test]
    fn origins_point_at_the_macro() {
        let text = format!(
            "- macro: m\n  condition: proc.nme = x\n{HEAD}  condition: evt.type = open and m\n"
        );
        let coll = coll(&text);
        let ex = Expander::new(&coll).expect("ok");
        let out = ex.rule(&coll.rules[0]).expect("ok");
        let at = out.text.find("proc.nme").expect("there");
        assert!(matches!(out.origin(at), Origin::Macro(n, l) if n == "m" && l.line == 2));
        assert_eq!(out.origin(0), &Origin::Rule);
    }
}
