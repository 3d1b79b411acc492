//! A small YAML tree with line numbers, built from `saphyr-parser`'s event stream.
//!
//! Rules files are plain data (sequences of mappings of scalars), so the tree keeps only
//! that: scalars as text, sequences, mappings with their keys in order, and the 1-based line
//! where each node starts, for error messages. The input is untrusted: nesting is capped,
//! and aliases (`*name`) are expanded against a budget of nodes so that a "billion laughs"
//! file is refused instead of exhausting memory.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle};

/// Deepest nesting of sequences and mappings accepted (rules files need five).
pub const MAX_DEPTH: usize = 64;
/// Most nodes a file may hold once aliases are expanded.
pub const MAX_NODES: usize = 2_000_000;

/// A YAML node.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A scalar: its text, and whether it was a plain `null`/`~`/empty scalar.
    Scalar(String, bool),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, keys in file order.
    Map(Vec<(String, Node)>),
}

/// A node and the line it starts on.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// 1-based line.
    pub line: usize,
}

impl Node {
    /// The value under `key` when this is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The text of a scalar (`None` for null, sequences and mappings).
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s, false) => Some(s),
            _ => None,
        }
    }

    /// Whether this is a null scalar.
    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Scalar(_, true))
    }

    /// What kind of node this is, in words.
    pub fn kind(&self) -> &'static str {
        match &self.value {
            Value::Scalar(_, true) => "null",
            Value::Scalar(..) => "a scalar",
            Value::Seq(_) => "a sequence",
            Value::Map(_) => "a mapping",
        }
    }

    fn count(&self) -> usize {
        match &self.value {
            Value::Scalar(..) => 1,
            Value::Seq(v) => 1 + v.iter().map(Node::count).sum::<usize>(),
            Value::Map(m) => 1 + m.iter().map(|(_, v)| 1 + v.count()).sum::<usize>(),
        }
    }
}

/// A file that is not YAML, or not YAML we accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct YamlError {
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

fn err(line: usize, message: impl Into<String>) -> YamlError {
    YamlError {
        line,
        message: message.into(),
    }
}

/// A container being built.
enum Open {
    Seq(Vec<Node>, usize, usize),
    /// Entries, the key waiting for its value, the line, the anchor.
    Map(Vec<(String, Node)>, Option<String>, usize, usize),
}

/// Parses `text` (one document; an empty file is `None`).
///
/// Falco reads its files with yaml-cpp, which accepts a flow sequence closed by a `]` at the
/// indentation of its key (`items: [` ... `]` in falcosecurity/rules); the YAML spec and
/// saphyr do not. When the parser reports bad indentation on a line that holds only closing
/// brackets, every such line that is less indented than the line before it is indented like
/// that line, and the text is parsed once more (line numbers stay the same). Files that parse
/// as they are never change.
pub fn parse(text: &str) -> Result<Option<Node>, YamlError> {
    match parse_strict(text) {
        Err(e) if e.message == "invalid indentation" && closing_only(text, e.line) => {
            parse_strict(&reindent(text)).map_err(|_| e)
        }
        r => r,
    }
}

/// Whether a line holds only closing brackets (and commas).
fn is_closing(l: &str) -> bool {
    let body = l.trim();
    !body.is_empty() && body.chars().all(|c| matches!(c, ']' | '}' | ','))
}

/// Whether 1-based line `line` of `text` holds only closing brackets.
fn closing_only(text: &str, line: usize) -> bool {
    line.checked_sub(1)
        .and_then(|i| text.split('\n').nth(i))
        .is_some_and(is_closing)
}

/// `text` with each line of closing brackets indented like the closest non-blank line before
/// it, when it is less indented than that line.
fn reindent(text: &str) -> String {
    let indent = |l: &str| l.len() - l.trim_start().len();
    let mut out = String::with_capacity(text.len() + 1024);
    let mut prev = 0;
    for (i, l) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if is_closing(l) && indent(l) < prev {
            out.extend(std::iter::repeat_n(' ', prev));
            out.push_str(l.trim_start());
        } else {
            out.push_str(l);
        }
        if !l.trim().is_empty() {
            prev = indent(l);
        }
    }
    out
}

fn parse_strict(text: &str) -> Result<Option<Node>, YamlError> {
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Open> = Vec::new();
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    let mut nodes = 0usize;
    let mut root: Option<Node> = None;
    let mut documents = 0;
    while let Some(ev) = parser.next_event() {
        let (ev, span) = ev.map_err(|e| err(e.marker().line(), e.info().to_owned()))?;
        let line = span.start.line();
        let done = match ev {
            Event::StreamStart | Event::Nothing | Event::DocumentEnd => None,
            Event::StreamEnd => break,
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(err(line, "a rules file holds one YAML document"));
                }
                None
            }
            Event::Alias(id) => {
                let node = anchors
                    .get(&id)
                    .ok_or_else(|| err(line, "alias to an unknown anchor"))?;
                nodes = nodes.saturating_add(node.count());
                if nodes > MAX_NODES {
                    return Err(err(
                        line,
                        format!("aliases expand to more than {MAX_NODES} YAML nodes"),
                    ));
                }
                Some((node.clone(), 0))
            }
            Event::Scalar(text, style, anchor, _) => {
                nodes += 1;
                let null = style == ScalarStyle::Plain && matches!(&*text, "" | "~" | "null");
                Some((
                    Node {
                        value: Value::Scalar(text.into_owned(), null),
                        line,
                    },
                    anchor,
                ))
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                nodes += 1;
                if stack.len() >= MAX_DEPTH {
                    return Err(err(line, format!("nesting deeper than {MAX_DEPTH} levels")));
                }
                if matches!(ev, Event::SequenceStart(..)) {
                    stack.push(Open::Seq(Vec::new(), line, anchor));
                } else {
                    stack.push(Open::Map(Vec::new(), None, line, anchor));
                }
                None
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Open::Seq(v, l, a)) => Some((
                    Node {
                        value: Value::Seq(v),
                        line: l,
                    },
                    a,
                )),
                Some(Open::Map(m, _, l, a)) => Some((
                    Node {
                        value: Value::Map(m),
                        line: l,
                    },
                    a,
                )),
                None => return Err(err(line, "unbalanced YAML events")),
            },
        };
        if nodes > MAX_NODES {
            return Err(err(line, format!("more than {MAX_NODES} YAML nodes")));
        }
        let Some((node, anchor)) = done else {
            continue;
        };
        if anchor != 0 {
            anchors.insert(anchor, node.clone());
        }
        match stack.last_mut() {
            None => root = Some(node),
            Some(Open::Seq(v, ..)) => v.push(node),
            Some(Open::Map(m, key, ..)) => match key.take() {
                Some(k) => m.push((k, node)),
                None => match node.value {
                    Value::Scalar(s, _) => *key = Some(s),
                    _ => return Err(err(node.line, "mapping keys must be scalars")),
                },
            },
        }
    }
    Ok(root)
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;

    #[test]
    fn lines_and_shapes() {
        let n = parse(
            "- list: a\n  items: [x, \"y z\"]\n- macro: m\n  condition: >\n    a and\n    b\n",
        )
        .expect("ok")
        .expect("doc");
        let Value::Seq(items) = &n.value else {
            panic!("{n:?}")
        };
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].line, 1);
        assert_eq!(items[1].line, 3);
        assert_eq!(
            items[1].get("condition").and_then(Node::as_str),
            Some("a and b\n")
        );
        assert_eq!(items[0].get("items").map(|i| i.line), Some(2));
    }

    #[test]
    fn hostile_input_is_refused() {
        let deep = "[".repeat(10_000);
        let e = parse(&deep).expect_err("deep");
        assert!(
            e.message.contains("nesting") || e.message.contains("recursion"),
            "{e}"
        );
        let mut laughs = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 0..12 {
            let prev = if i == 0 {
                "a".to_owned()
            } else {
                format!("l{}", i - 1)
            };
            let _ = writeln!(
                laughs,
                "l{i}: &l{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]"
            );
        }
        let e = parse(&laughs).expect_err("laughs");
        assert!(e.message.contains("aliases expand"), "{e}");
        assert!(parse("a: [\n").is_err());
        let closing = parse("- list: l\n  items: [\n    a,\n    b\n  ]\n").expect("lenient");
        let Some(Node {
            value: Value::Seq(items),
            ..
        }) = closing
        else {
            panic!("{closing:?}")
        };
        assert_eq!(items[0].get("items").map(Node::kind), Some("a sequence"));
        assert_eq!(parse("").expect("empty"), None);
    }
}
