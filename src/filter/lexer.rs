//! The filter lexer. The language is context-sensitive at the token level (`<` is an operator
//! after a field but a bare string after `=`, as in `evt.dir=<`), so the parser asks for the
//! kind of token it expects next: a field, an operator, a value, a keyword or punctuation.

use super::ast::{FieldRef, Func, Literal, Op, Span};
use super::error::{ErrorKind, FilterError};

/// A cursor over the filter text.
pub struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

/// Characters that end a bare string (sysdig: whitespace, parentheses, comma, `=` and quotes).
fn ends_bare(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | ',' | '=' | '"' | '\'')
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

impl<'a> Lexer<'a> {
    /// A cursor at the start of `src`.
    pub fn new(src: &'a str) -> Lexer<'a> {
        Lexer { src, pos: 0 }
    }

    /// The whole filter text.
    pub fn src(&self) -> &'a str {
        self.src
    }

    /// The current byte offset.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Moves to a byte offset (on a char boundary).
    pub fn set_pos(&mut self, pos: usize) {
        self.pos = pos;
    }

    fn rest(&self) -> &'a str {
        self.src.get(self.pos..).unwrap_or("")
    }

    /// The next character, without consuming it.
    pub fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    /// Skips whitespace; returns whether any was skipped.
    pub fn skip_ws(&mut self) -> bool {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if !c.is_whitespace() {
                break;
            }
            self.pos += c.len_utf8();
        }
        self.pos > start
    }

    /// Consumes `c` if it is next.
    pub fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    /// Moves to the end of the text.
    pub fn skip_to_end(&mut self) {
        self.pos = self.src.len();
    }

    /// At the end of the text.
    pub fn at_end(&self) -> bool {
        self.pos >= self.src.len()
    }

    /// A short description of what is at the cursor, for error messages.
    pub fn describe_here(&self) -> String {
        let rest = self.rest();
        match rest.chars().next() {
            None => "the end of the filter".into(),
            Some(c) if c == '(' || c == ')' || c == ',' => format!("'{c}'"),
            Some(_) => {
                let end = rest
                    .char_indices()
                    .find(|&(_, c)| c.is_whitespace() || c == '(' || c == ')')
                    .map_or(rest.len(), |(i, _)| i);
                format!("'{}'", &rest[..end.max(1)])
            }
        }
    }

    /// The span of the token at the cursor (for errors): up to the next whitespace or
    /// parenthesis, at least one character, empty at the end.
    pub fn here_span(&self) -> Span {
        let rest = self.rest();
        let mut end = rest
            .char_indices()
            .find(|&(i, c)| i > 0 && (c.is_whitespace() || c == '(' || c == ')'))
            .map_or(rest.len(), |(i, _)| i);
        if let Some(c) = rest.chars().next()
            && (c == '(' || c == ')' || c == ',')
        {
            end = 1;
        }
        Span::new(self.pos, self.pos + end)
    }

    /// The identifier-like word at the cursor (`[A-Za-z_][A-Za-z0-9_]*`) and its span, without
    /// consuming it.
    pub fn peek_word(&self) -> Option<(&'a str, Span)> {
        let rest = self.rest();
        let first = rest.chars().next()?;
        if !is_ident_start(first) {
            return None;
        }
        let end = rest.find(|c: char| !is_ident(c)).unwrap_or(rest.len());
        Some((&rest[..end], Span::new(self.pos, self.pos + end)))
    }

    /// Whether the cursor is at keyword `kw` used as a keyword: followed by whitespace, `(`,
    /// `)` (`proc.name exists)`), or the end.
    pub fn at_keyword(&self, kw: &str) -> Option<Span> {
        let (w, span) = self.peek_word()?;
        if w != kw {
            return None;
        }
        let after = self.src.get(span.end..).and_then(|s| s.chars().next());
        match after {
            None => Some(span),
            Some(c) if c.is_whitespace() || c == '(' || c == ')' => Some(span),
            _ => None,
        }
    }

    /// The function name at the cursor when a `(` follows it directly (`tolower(`), without
    /// consuming anything.
    pub fn peek_call(&self) -> Option<(Func, Span)> {
        let (w, span) = self.peek_word()?;
        let func = Func::from_word(w)?;
        (self.src.get(span.end..)?.starts_with('(')).then_some((func, span))
    }

    /// Whether the cursor is at a field name (an identifier with at least one dot).
    pub fn at_field_name(&self) -> bool {
        let rest = self.rest();
        if !rest.chars().next().is_some_and(is_ident_start) {
            return false;
        }
        let end = rest
            .find(|c: char| !(is_ident(c) || c == '.'))
            .unwrap_or(rest.len());
        rest[..end].trim_end_matches('.').contains('.')
    }

    /// Reads a bracketed argument (`[t]`) if one is at the cursor.
    pub fn bracket_arg(&mut self) -> Result<Option<String>, FilterError> {
        if !self.eat('[') {
            return Ok(None);
        }
        let arg_start = self.pos;
        let a = if matches!(self.peek(), Some('"' | '\'')) {
            self.quoted()?.text
        } else {
            let rest = self.rest();
            let e = rest
                .find(|c: char| c.is_whitespace() || matches!(c, '[' | ']' | '"' | '\''))
                .unwrap_or(rest.len());
            self.pos += e;
            rest[..e].to_owned()
        };
        if !self.eat(']') {
            return Err(FilterError::new(
                ErrorKind::UnclosedBracket,
                Span::new(arg_start - 1, self.pos.max(arg_start)),
            ));
        }
        Ok(Some(a))
    }

    /// Reads a field reference: dotted name, then an optional `[argument]`.
    pub fn field(&mut self) -> Result<FieldRef, FilterError> {
        let start = self.pos;
        let rest = self.rest();
        let Some(first) = rest.chars().next().filter(|&c| is_ident_start(c)) else {
            return Err(FilterError::new(
                ErrorKind::ExpectedField {
                    found: self.describe_here(),
                },
                self.here_span(),
            ));
        };
        let _ = first;
        let end = rest
            .find(|c: char| !(is_ident(c) || c == '.'))
            .unwrap_or(rest.len());
        let name = rest[..end].trim_end_matches('.').to_owned();
        self.pos += name.len();
        let arg = self.bracket_arg()?;
        Ok(FieldRef {
            name,
            arg,
            span: Span::new(start, self.pos),
        })
    }

    /// Reads an operator: a symbol (`=`, `==`, `!=`, `<`, `<=`, `>`, `>=`) or a word operator
    /// followed by whitespace, `(` or the end.
    pub fn operator(&mut self) -> Result<(Op, Span), FilterError> {
        let start = self.pos;
        let rest = self.rest();
        let sym = [
            ("==", Op::Eq),
            ("!=", Op::Ne),
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("=", Op::Eq),
            ("<", Op::Lt),
            (">", Op::Gt),
        ];
        for (s, op) in sym {
            if rest.starts_with(s) {
                self.pos += s.len();
                return Ok((op, Span::new(start, self.pos)));
            }
        }
        if let Some((w, span)) = self.peek_word()
            && let Some(op) = Op::from_word(w)
            && self.at_keyword(w).is_some()
        {
            self.pos = span.end;
            return Ok((op, span));
        }
        Err(FilterError::new(
            ErrorKind::ExpectedOperator {
                found: self.describe_here(),
            },
            self.here_span(),
        ))
    }

    /// Reads a value: a quoted string, or a bare run of characters; `None` when neither is at
    /// the cursor.
    pub fn value(&mut self) -> Result<Option<Literal>, FilterError> {
        match self.peek() {
            Some('"' | '\'') => self.quoted().map(Some),
            Some(c) if !ends_bare(c) => {
                let start = self.pos;
                let rest = self.rest();
                let end = rest.find(ends_bare).unwrap_or(rest.len());
                self.pos += end;
                Ok(Some(Literal {
                    text: rest[..end].to_owned(),
                    quoted: false,
                    span: Span::new(start, self.pos),
                }))
            }
            _ => Ok(None),
        }
    }

    /// Reads a `"…"` or `'…'` string with Falco's backslash escapes: `\\`, `\/`, the quote that
    /// delimits the string, `\n`, `\t`, `\r`, `\b`, `\f`, `\xHH`, and `\ ` (a backslash).
    fn quoted(&mut self) -> Result<Literal, FilterError> {
        let start = self.pos;
        let Some(q) = self.peek() else {
            return Err(FilterError::new(
                ErrorKind::UnterminatedString,
                Span::new(start, start),
            ));
        };
        self.pos += 1;
        let mut text = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(FilterError::new(
                    ErrorKind::UnterminatedString,
                    Span::new(start, self.pos),
                ));
            };
            self.pos += c.len_utf8();
            if c == q {
                break;
            }
            if c != '\\' {
                text.push(c);
                continue;
            }
            let esc_start = self.pos - 1;
            let Some(e) = self.peek() else {
                return Err(FilterError::new(
                    ErrorKind::UnterminatedString,
                    Span::new(start, self.pos),
                ));
            };
            self.pos += e.len_utf8();
            match e {
                // Falco: a backslash before a space stands for a backslash (old rules use it).
                '\\' | ' ' => text.push('\\'),
                '/' => text.push('/'),
                // A quote escape must be the quote that delimits the string.
                '"' | '\'' if e == q => text.push(e),
                '"' | '\'' => {
                    return Err(FilterError::new(
                        ErrorKind::QuoteEscape { quote: q, esc: e },
                        Span::new(esc_start, self.pos),
                    ));
                }
                'n' => text.push('\n'),
                't' => text.push('\t'),
                'r' => text.push('\r'),
                'b' => text.push('\u{8}'),
                'f' => text.push('\u{c}'),
                'x' => {
                    let hex = self.rest().get(..2).unwrap_or("");
                    match u8::from_str_radix(hex, 16) {
                        Ok(b) if hex.len() == 2 => {
                            self.pos += 2;
                            text.push(char::from(b));
                        }
                        _ => {
                            return Err(FilterError::new(
                                ErrorKind::BadEscape(format!("\\x{hex}")),
                                Span::new(esc_start, self.pos),
                            ));
                        }
                    }
                }
                other => {
                    return Err(FilterError::new(
                        ErrorKind::BadEscape(format!("\\{other}")),
                        Span::new(esc_start, self.pos),
                    ));
                }
            }
        }
        Ok(Literal {
            text,
            quoted: true,
            span: Span::new(start, self.pos),
        })
    }
}
