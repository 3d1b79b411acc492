//! Filter errors: what went wrong, where (byte span, shown as a 1-based column), and a
//! suggestion when a name was misspelt.

use std::fmt;

use super::ast::Span;

/// What went wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    /// The filter is empty.
    #[error("empty filter")]
    Empty,
    /// A field name was expected.
    #[error("expected a field name (like proc.name), found {found}")]
    ExpectedField {
        /// What was there instead.
        found: String,
    },
    /// An operator was expected after a field.
    #[error(
        "expected an operator after the field (=, !=, <, contains, in, exists, ...), found {found}"
    )]
    ExpectedOperator {
        /// What was there instead.
        found: String,
    },
    /// A value was expected after an operator.
    #[error("expected a value after '{op}', found {found}")]
    ExpectedValue {
        /// The operator.
        op: &'static str,
        /// What was there instead.
        found: String,
    },
    /// A list operator needs `(a, b, ...)`.
    #[error("expected '(' after '{op}', found {found}")]
    ExpectedList {
        /// The operator.
        op: &'static str,
        /// What was there instead.
        found: String,
    },
    /// A list item or the end of the list was expected.
    #[error("expected ',' or ')' in the list, found {found}")]
    ExpectedListSep {
        /// What was there instead.
        found: String,
    },
    /// `and`/`or` or the end was expected.
    #[error("expected 'and', 'or' or the end of the filter, found {found}")]
    ExpectedConnective {
        /// What was there instead.
        found: String,
    },
    /// A `(` was not closed.
    #[error("this '(' is never closed")]
    UnclosedParen,
    /// A `)` without its `(`.
    #[error("unmatched ')'")]
    UnmatchedParen,
    /// A field argument `[` was not closed.
    #[error("field argument is not closed by ']'")]
    UnclosedBracket,
    /// A quoted string was not closed.
    #[error("unterminated string")]
    UnterminatedString,
    /// A backslash escape that is not known.
    #[error("unknown escape '{0}' in string")]
    BadEscape(String),
    /// `\"` in a `'`-quoted string or `\'` in a `"`-quoted one (Falco rejects both).
    #[error("'\\{esc}' is not an escape in a {quote}-quoted string (write {esc} alone)")]
    QuoteEscape {
        /// The quote that delimits the string.
        quote: char,
        /// The escaped quote.
        esc: char,
    },
    /// Parentheses, `not` and function calls nest deeper than the parser allows.
    #[error("the filter nests deeper than {max} levels (parentheses, 'not' and function calls)")]
    TooDeep {
        /// The limit.
        max: usize,
    },
    /// A number outside what the field can hold.
    #[error("{value} is out of range for {field} ({min} to {max})")]
    OutOfRange {
        /// The value as written.
        value: String,
        /// The field name.
        field: String,
        /// The smallest value the field holds.
        min: i64,
        /// The largest value the field holds.
        max: i64,
    },
    /// A function (transformer or `val`) used wrongly; the text says how.
    #[error("{0}")]
    Func(String),
    /// A regular expression that does not compile.
    #[error("invalid regular expression: {0}")]
    BadRegex(String),
    /// The field does not exist.
    #[error("unknown field '{name}'{}", suggestion.as_ref().map(|s| format!(" (did you mean '{s}'?)")).unwrap_or_default())]
    UnknownField {
        /// The name as written.
        name: String,
        /// The closest known name.
        suggestion: Option<String>,
    },
    /// The field's argument is missing, not allowed or invalid.
    #[error("{0}")]
    FieldArg(String),
    /// The operator does not apply to this field's type.
    #[error("operator '{op}' does not apply to {field}, which is {ty}")]
    OpType {
        /// The operator.
        op: &'static str,
        /// The field name.
        field: String,
        /// Its type, in words.
        ty: &'static str,
    },
    /// The value does not fit the field's type.
    #[error("'{value}' is not {expected} (the type of {field})")]
    BadValue {
        /// The value as written.
        value: String,
        /// What was expected, in words.
        expected: &'static str,
        /// The field name.
        field: String,
    },
}

/// How many characters of a long filter an error shows around its column.
const WINDOW: usize = 100;

/// One error in a filter, with its position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterError {
    /// What went wrong.
    pub kind: ErrorKind,
    /// Where.
    pub span: Span,
}

impl FilterError {
    /// An error at `span`.
    pub fn new(kind: ErrorKind, span: Span) -> FilterError {
        FilterError { kind, span }
    }

    /// The 1-based column (in characters) where the error starts in `src`.
    pub fn column(&self, src: &str) -> usize {
        let start = self.span.start.min(src.len());
        src.get(..start).map_or(start, |s| s.chars().count()) + 1
    }

    /// The message with its column, the source line and a caret line under the span:
    ///
    /// ```text
    /// column 1: unknown field 'proc.nam' (did you mean 'proc.name'?)
    ///   proc.nam = bash
    ///   ^^^^^^^^
    /// ```
    pub fn render(&self, src: &str) -> String {
        let col = self.column(src);
        let width = src
            .get(self.span.start.min(src.len())..self.span.end.min(src.len()))
            .map_or(1, |s| s.chars().count())
            .max(1);
        let chars: Vec<char> = src
            .chars()
            .map(|c| if c == '\n' { ' ' } else { c })
            .collect();
        // A long filter (an expanded rule, or hostile input) shows a window around the error.
        let (start, end) = if chars.len() <= WINDOW {
            (0, chars.len())
        } else {
            let start = (col - 1)
                .saturating_sub(WINDOW / 3)
                .min(chars.len() - WINDOW);
            (start, start + WINDOW)
        };
        let mut line: String = chars[start..end].iter().collect();
        let mut pad = col - 1 - start;
        if start > 0 {
            line.insert(0, '…');
            pad += 1;
        }
        if end < chars.len() {
            line.push('…');
        }
        let width = width.min(end.saturating_sub(col - 1)).max(1);
        format!(
            "column {col}: {}\n  {line}\n  {}{}",
            self.kind,
            " ".repeat(pad),
            "^".repeat(width)
        )
    }
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at byte {}: {}", self.span.start, self.kind)
    }
}

impl std::error::Error for FilterError {}

/// All errors found in one filter, in source order, with the text they refer to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterErrors {
    /// The filter text.
    pub source: String,
    /// The errors (at least one).
    pub errors: Vec<FilterError>,
}

impl fmt::Display for FilterErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "invalid filter: {}", e.render(&self.source))?;
        }
        Ok(())
    }
}

impl std::error::Error for FilterErrors {}

/// Levenshtein distance between two strings, by characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The candidate closest to `name`, if it is close enough to be a likely typo (at most a third
/// of the name's length, and at most 3 edits). Ties go to a candidate that extends `name`, then
/// to the shorter one.
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let limit = (name.chars().count() / 3).clamp(1, 3);
    candidates
        .into_iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, _)| *d <= limit)
        // On a tie, a name that continues what was typed wins (`fd.nam` → `fd.name`).
        .min_by_key(|(d, c)| (*d, !c.starts_with(name), c.len()))
        .map(|(_, c)| c.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance() {
        assert_eq!(edit_distance("proc.nam", "proc.name"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    #[test]
    fn suggestion_picks_the_nearest_close_name() {
        let names = ["proc.name", "proc.pname", "fd.name"];
        assert_eq!(suggest("proc.nmae", names), Some("proc.name".into()));
        assert_eq!(suggest("zzz.qqqqq", names), None);
    }

    #[test]
    fn long_filters_show_a_window_around_the_error() {
        let src = format!(
            "{} and proc.nam = x and {}",
            "a.b = 1 and ".repeat(50),
            "c.d = 2 and ".repeat(50)
        );
        let col = src.find("proc.nam").expect("in") + 1;
        let e = FilterError::new(
            ErrorKind::UnmatchedParen,
            Span::new(col - 1, col - 1 + "proc.nam".len()),
        );
        let r = e.render(&src);
        let lines: Vec<&str> = r.lines().collect();
        assert_eq!(lines[0], format!("column {col}: unmatched ')'"));
        assert!(
            lines[1].starts_with("  …") && lines[1].ends_with('…'),
            "{r}"
        );
        assert_eq!(lines[1].chars().count(), 2 + 1 + WINDOW + 1);
        let caret = lines[2].find('^').expect("caret");
        assert_eq!(lines[1].chars().nth(caret), Some('p'), "{r}");
        assert_eq!(lines[2].trim().len(), "proc.nam".len());
        // A span running past the window is cut at its edge.
        let e = FilterError::new(ErrorKind::UnmatchedParen, Span::new(0, src.len()));
        assert_eq!(
            e.render(&src).lines().nth(2).map(|l| l.trim().len()),
            Some(WINDOW)
        );
    }

    #[test]
    fn caret_line_under_the_span() {
        let e = FilterError::new(ErrorKind::UnmatchedParen, Span::new(4, 5));
        assert_eq!(
            e.render("a.b ) c"),
            "column 5: unmatched ')'\n  a.b ) c\n      ^"
        );
    }
}
