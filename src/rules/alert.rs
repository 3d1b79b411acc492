//! Alerts as Falco prints them.
//!
//! A rule's output is a template with `%field` (or `%{field}`, or `%field[arg]`) tokens;
//! a field without a value prints `<NA>`. The text alert is
//! `HH:MM:SS.nnnnnnnnn: Priority message` with the event's time (UTC). The JSON alert is one
//! object per line with Falco's keys, sorted as Falco's JSON library writes them: `hostname`,
//! `output` (the text alert), `output_fields` (`evt.time` in ns and every field of the
//! template, typed), `priority`, `rule`, `source`, `tags`, `time` (RFC 3339, ns, UTC).

use std::fmt::Write as _;

use super::Rule;
use crate::filter::{Registry, Source, Val};
use crate::output::{json_bytes, json_str};
use crate::replay::context::EventCtx;
use crate::replay::fields::{Field, Fields, field_ref};
use crate::replay::render::{datetime, time_of_day};

#[derive(Clone, Debug)]
enum Piece {
    Text(String),
    /// A field (`None` when casefile does not know it) and its name as written.
    Field(Option<Field>, String),
}

/// A parsed output template.
#[derive(Clone, Debug)]
pub struct Template {
    pieces: Vec<Piece>,
}

impl Template {
    /// Parses `text`; also returns the names of fields casefile does not know (they print
    /// `<NA>`). `%container.info` is dropped, as Falco drops it.
    pub fn parse(text: &str) -> (Template, Vec<String>) {
        let text = text.trim_end_matches(['\n', ' ']);
        let text = text
            .replace(" %container.info", "")
            .replace("%container.info", "");
        let b = text.as_bytes();
        let mut pieces = Vec::new();
        let mut unknown = Vec::new();
        let mut lit = String::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] != b'%' {
                let ch = text[i..].chars().next().unwrap_or(' ');
                lit.push(ch);
                i += ch.len_utf8();
                continue;
            }
            let braced = b.get(i + 1) == Some(&b'{');
            let start = i + 1 + usize::from(braced);
            let (end, mut arg, mut next) = field_ref(&text, start);
            if end == start {
                lit.push('%');
                i += 1;
                continue;
            }
            let name = &text[start..end];
            // `%proc.name[%proc.pid]`: a bracket after a field that takes no argument is text.
            if arg.is_some()
                && Fields.resolve(name, arg).is_err()
                && Fields.resolve(name, None).is_ok()
            {
                arg = None;
                next = end;
            }
            let written = text[start..next].to_owned();
            if braced {
                if b.get(next) == Some(&b'}') {
                    next += 1;
                } else {
                    lit.push('%');
                    i += 1;
                    continue;
                }
            }
            if !lit.is_empty() {
                pieces.push(Piece::Text(std::mem::take(&mut lit)));
            }
            let field = Fields.resolve(name, arg).ok().map(|s| s.id);
            if field.is_none() && !unknown.contains(&written) {
                unknown.push(written.clone());
            }
            pieces.push(Piece::Field(field, written));
            i = next;
        }
        if !lit.is_empty() {
            pieces.push(Piece::Text(lit));
        }
        (Template { pieces }, unknown)
    }

    /// Appends the message for the event in `ctx`.
    pub fn render(&self, ctx: &mut EventCtx<'_, '_>, out: &mut String) {
        for p in &self.pieces {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Field(Some(f), _) => {
                    if !ctx.write_text(f, out) {
                        out.push_str("<NA>");
                    }
                }
                Piece::Field(None, _) => out.push_str("<NA>"),
            }
        }
    }

    /// Whether the template prints a field `pred` holds for.
    pub fn uses_field(&self, pred: &dyn Fn(&Field) -> bool) -> bool {
        self.pieces
            .iter()
            .any(|p| matches!(p, Piece::Field(Some(f), _) if pred(f)))
    }

    /// The fields of the template with their names as written, sorted and without repeats.
    fn fields(&self) -> Vec<(&Option<Field>, &str)> {
        let mut v: Vec<(&Option<Field>, &str)> = self
            .pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Field(f, n) => Some((f, n.as_str())),
                Piece::Text(_) => None,
            })
            .collect();
        v.sort_by(|a, b| a.1.cmp(b.1));
        v.dedup_by(|a, b| a.1 == b.1);
        v
    }
}

/// Appends the text alert line (without the newline) for `rule` on the event in `ctx`.
pub fn text_line(rule: &Rule, ctx: &mut EventCtx<'_, '_>, out: &mut String) {
    time_of_day(ctx.ev.ts, out);
    out.push_str(": ");
    out.push_str(rule.priority.name());
    out.push(' ');
    rule.output.render(ctx, out);
}

fn json_val(v: &Val<'_>, out: &mut String) {
    match v {
        Val::Num(n) => out.push_str(itoa::Buffer::new().format(*n)),
        Val::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Val::Str(b) => json_bytes(b, out),
        Val::Ip(ip) => json_str(&ip.to_string(), out),
        Val::List(_) => {
            let mut s = String::new();
            crate::replay::context::val_text(v, &mut s);
            json_str(&s, out);
        }
    }
}

/// Appends the JSON alert (one line, without the newline) for `rule` on the event in `ctx`.
pub fn json_line(rule: &Rule, ctx: &mut EventCtx<'_, '_>, out: &mut String) {
    let mut scratch = String::with_capacity(256);
    text_line(rule, ctx, &mut scratch);
    out.push_str("{\"hostname\":");
    json_str(&ctx.state.host_name, out);
    out.push_str(",\"output\":");
    json_str(&scratch, out);
    out.push_str(",\"output_fields\":{");
    let mut fields = rule.output.fields();
    if !fields.iter().any(|(_, n)| *n == "evt.time") {
        fields.push((&None, "evt.time"));
        fields.sort_by(|a, b| a.1.cmp(b.1));
    }
    for (i, (f, name)) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_str(name, out);
        out.push(':');
        if name == "evt.time" {
            out.push_str(itoa::Buffer::new().format(ctx.ev.ts));
            continue;
        }
        let Some(f) = f else {
            out.push_str("null");
            continue;
        };
        if matches!(
            Fields::def(name).map(|d| d.fid),
            Some(crate::replay::fields::Fid::EvtInfo | crate::replay::fields::Fid::EvtArgs)
        ) || name.starts_with("evt.time")
            || name == "evt.outputtime"
        {
            scratch.clear();
            ctx.write_text(f, &mut scratch);
            json_str(&scratch, out);
            continue;
        }
        match ctx.get(f) {
            Some(v) => json_val(&v, out),
            None => out.push_str("null"),
        }
    }
    out.push_str("},\"priority\":");
    json_str(rule.priority.name(), out);
    out.push_str(",\"rule\":");
    json_str(&rule.name, out);
    out.push_str(",\"source\":\"syscall\",\"tags\":[");
    for (i, t) in rule.tags.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_str(t, out);
    }
    out.push_str("],\"time\":\"");
    let mut dt = String::with_capacity(32);
    datetime(ctx.ev.ts, &mut dt);
    let _ = write!(out, "{}Z\"}}", dt.replacen(' ', "T", 1));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_take_both_forms_and_name_unknown_fields() {
        let (t, unknown) = Template::parse(
            "File %fd.name by %{proc.name} (%proc.aname[2]) %nosuch.field 100% %container.info\n",
        );
        assert_eq!(unknown, ["nosuch.field"]);
        let names: Vec<&str> = t.fields().iter().map(|(_, n)| *n).collect();
        assert_eq!(
            names,
            ["fd.name", "nosuch.field", "proc.aname[2]", "proc.name"]
        );
        assert!(matches!(&t.pieces[t.pieces.len() - 1], Piece::Text(s) if s == " 100%"));
    }
}

/// The alerts of a run of `casefile rules` (of one segment, on several threads), as text or
/// JSON lines, with the rule of each.
pub struct SegmentAlerts<'a> {
    set: &'a super::Ruleset,
    matcher: super::Matcher,
    json: bool,
    line: String,
    chunk: AlertChunk,
}

/// What a segment's block fired: the lines, and the rule (its index) of each.
#[derive(Default)]
pub struct AlertChunk {
    /// The alert lines, each ending in a newline.
    pub bytes: Vec<u8>,
    /// The rule of each line, in order.
    pub fired: Vec<usize>,
}

impl<'a> SegmentAlerts<'a> {
    /// A segment's alerts of the rules of `set`.
    pub fn new(set: &'a super::Ruleset, all_matches: bool, json: bool) -> SegmentAlerts<'a> {
        SegmentAlerts {
            set,
            matcher: super::Matcher::new(set, all_matches),
            json,
            line: String::with_capacity(512),
            chunk: AlertChunk::default(),
        }
    }

    /// Whether the alerts waiting to be taken fill a buffer's worth (64 KiB): a run on one
    /// thread takes them then, and at its end.
    pub fn full(&self) -> bool {
        self.chunk.bytes.len() >= 1 << 16
    }

    fn take(&mut self) -> Option<AlertChunk> {
        (!self.chunk.fired.is_empty()).then(|| std::mem::take(&mut self.chunk))
    }
}

impl crate::replay::parallel::SegmentSink for SegmentAlerts<'_> {
    type Out = AlertChunk;
    type Error = anyhow::Error;

    fn event(
        &mut self,
        ctx: &mut EventCtx<'_, '_>,
    ) -> anyhow::Result<crate::replay::session::Flow> {
        let (set, json, line, chunk) = (self.set, self.json, &mut self.line, &mut self.chunk);
        self.matcher
            .event(set, ctx, |i, ctx| -> anyhow::Result<()> {
                line.clear();
                if json {
                    json_line(&set.rules[i], ctx, line);
                } else {
                    text_line(&set.rules[i], ctx, line);
                }
                line.push('\n');
                chunk.bytes.extend_from_slice(line.as_bytes());
                chunk.fired.push(i);
                Ok(())
            })?;
        Ok(crate::replay::session::Flow::Continue)
    }

    fn block_done(&mut self) -> Option<AlertChunk> {
        self.take()
    }

    fn segment_done(&mut self) -> Option<AlertChunk> {
        self.take()
    }

    fn weight(c: &AlertChunk) -> usize {
        c.bytes.capacity() + c.fired.capacity() * std::mem::size_of::<usize>()
    }
}
