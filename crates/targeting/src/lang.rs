//! The universe language: a small boolean expression language over person fields.
//!
//! ```text
//! expr    := or
//! or      := and ("or" and)*
//! and     := unary ("and" unary)*
//! unary   := "not" unary | primary
//! primary := "(" expr ")"
//!          | FIELD op value              op: = != < <= > >=
//!          | FIELD ["not"] "in" "(" value ("," value)* ")"
//!          | FIELD "between" value "and" value
//!          | FIELD                       (a yes/no field)
//!          | FUNC "(" value ")"          voted(2026-11-03), tagged("x"), listed("y")
//! value   := "string" | number | YYYY-MM-DD
//! ```
//! Keywords are case-insensitive; strings are double-quoted (`\"` inside). Every error names
//! the byte position where it was found.

use std::fmt;

/// Longest expression accepted, in bytes.
pub const EXPRESSION_BYTES_MAX: usize = 4_000;
/// Deepest nesting of parentheses and `not`.
pub const NESTING_MAX: usize = 64;
/// Values in one `in (...)` list.
pub const IN_VALUES_MAX: usize = 1_000;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Number(f64),
    Date(model::Date),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Text(s) => write!(f, "\"{}\"", s.replace('"', "\\\"")),
            Value::Number(n) => write!(f, "{n}"),
            Value::Date(d) => write!(f, "{d}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }
}

/// A parsed expression; `at` is the byte position of the field or function name.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Compare {
        field: String,
        at: usize,
        op: Op,
        value: Value,
        value_at: usize,
    },
    In {
        field: String,
        at: usize,
        values: Vec<(Value, usize)>,
        negated: bool,
    },
    Between {
        field: String,
        at: usize,
        low: (Value, usize),
        high: (Value, usize),
    },
    Flag {
        field: String,
        at: usize,
    },
    Call {
        func: String,
        at: usize,
        arg: (Value, usize),
    },
}

/// What went wrong and where (a byte offset into the expression).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LangError {
    pub at: usize,
    pub message: String,
}

impl LangError {
    pub fn new(at: usize, message: impl Into<String>) -> LangError {
        LangError {
            at,
            message: message.into(),
        }
    }

    /// The expression with a caret under the position, and the message.
    pub fn show(&self, expr: &str) -> String {
        let col = expr[..self.at.min(expr.len())].chars().count();
        format!(
            "{expr}\n{}^ at {}: {}",
            " ".repeat(col),
            self.at,
            self.message
        )
    }
}

impl fmt::Display for LangError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at {}: {}", self.at, self.message)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Num(f64),
    Date(model::Date),
    Op(Op),
    LParen,
    RParen,
    Comma,
    End,
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Word(w) => format!("'{w}'"),
        Tok::Str(s) => format!("\"{s}\""),
        Tok::Num(n) => n.to_string(),
        Tok::Date(d) => d.to_string(),
        Tok::Op(o) => format!("'{}'", o.symbol()),
        Tok::LParen => "'('".into(),
        Tok::RParen => "')'".into(),
        Tok::Comma => "','".into(),
        Tok::End => "the end".into(),
    }
}

fn lex(s: &str) -> Result<Vec<(Tok, usize)>, LangError> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let tok = match c {
            b'(' => {
                i += 1;
                Tok::LParen
            }
            b')' => {
                i += 1;
                Tok::RParen
            }
            b',' => {
                i += 1;
                Tok::Comma
            }
            b'=' => {
                i += if b.get(i + 1) == Some(&b'=') { 2 } else { 1 };
                Tok::Op(Op::Eq)
            }
            b'!' if b.get(i + 1) == Some(&b'=') => {
                i += 2;
                Tok::Op(Op::Ne)
            }
            b'<' => match b.get(i + 1) {
                Some(b'=') => {
                    i += 2;
                    Tok::Op(Op::Le)
                }
                Some(b'>') => {
                    i += 2;
                    Tok::Op(Op::Ne)
                }
                _ => {
                    i += 1;
                    Tok::Op(Op::Lt)
                }
            },
            b'>' => {
                if b.get(i + 1) == Some(&b'=') {
                    i += 2;
                    Tok::Op(Op::Ge)
                } else {
                    i += 1;
                    Tok::Op(Op::Gt)
                }
            }
            b'"' => {
                i += 1;
                let mut v = String::new();
                loop {
                    match b.get(i) {
                        None => return Err(LangError::new(start, "this string has no closing \"")),
                        Some(b'\\') if b.get(i + 1) == Some(&b'"') => {
                            v.push('"');
                            i += 2;
                        }
                        Some(b'"') => {
                            i += 1;
                            break;
                        }
                        Some(_) => {
                            let ch = s[i..].chars().next().expect("in bounds");
                            v.push(ch);
                            i += ch.len_utf8();
                        }
                    }
                }
                Tok::Str(v)
            }
            b'0'..=b'9' | b'-' | b'.' => {
                while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.' || b[i] == b'-') {
                    i += 1;
                }
                let text = &s[start..i];
                if text.len() == 10 && text.as_bytes()[4] == b'-' && text.as_bytes()[7] == b'-' {
                    match model::Date::parse(text) {
                        Some(d) => Tok::Date(d),
                        None => {
                            return Err(LangError::new(start, format!("'{text}' is not a date")))
                        }
                    }
                } else {
                    match text.parse::<f64>() {
                        Ok(n) if n.is_finite() => Tok::Num(n),
                        _ => {
                            return Err(LangError::new(
                                start,
                                format!("'{text}' is not a number or a date (YYYY-MM-DD)"),
                            ))
                        }
                    }
                }
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                Tok::Word(s[start..i].to_ascii_lowercase())
            }
            _ => {
                let ch = s[i..].chars().next().expect("in bounds");
                return Err(LangError::new(
                    start,
                    format!("unexpected '{ch}': use a field, a value, and = != < <= > >= in between and or not ( )"),
                ));
            }
        };
        out.push((tok, start));
    }
    out.push((Tok::End, s.len()));
    Ok(out)
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    i: usize,
    depth: usize,
}

const KEYWORDS: [&str; 5] = ["and", "or", "not", "in", "between"];

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.i].0
    }
    fn at(&self) -> usize {
        self.toks[self.i].1
    }
    fn next(&mut self) -> (Tok, usize) {
        let t = self.toks[self.i].clone();
        if self.i + 1 < self.toks.len() {
            self.i += 1;
        }
        t
    }
    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Tok::Word(x) if x == w)
    }
    fn expect(&mut self, want: &Tok, what: &str) -> Result<(), LangError> {
        if self.peek() == want {
            self.next();
            Ok(())
        } else {
            Err(LangError::new(
                self.at(),
                format!("expected {what}, found {}", describe(self.peek())),
            ))
        }
    }

    fn or(&mut self) -> Result<Expr, LangError> {
        let mut parts = vec![self.and()?];
        while self.is_word("or") {
            self.next();
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.pop().expect("one")
        } else {
            Expr::Or(parts)
        })
    }

    fn and(&mut self) -> Result<Expr, LangError> {
        let mut parts = vec![self.unary()?];
        while self.is_word("and") {
            self.next();
            parts.push(self.unary()?);
        }
        Ok(if parts.len() == 1 {
            parts.pop().expect("one")
        } else {
            Expr::And(parts)
        })
    }

    fn deeper(&mut self) -> Result<(), LangError> {
        self.depth += 1;
        if self.depth > NESTING_MAX {
            return Err(LangError::new(
                self.at(),
                format!("nested more than {NESTING_MAX} deep"),
            ));
        }
        Ok(())
    }

    fn unary(&mut self) -> Result<Expr, LangError> {
        if self.is_word("not") {
            self.next();
            self.deeper()?;
            let e = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(e)));
        }
        self.primary()
    }

    fn value(&mut self) -> Result<(Value, usize), LangError> {
        let (t, at) = self.next();
        Ok((
            match t {
                Tok::Str(s) => Value::Text(s),
                Tok::Num(n) => Value::Number(n),
                Tok::Date(d) => Value::Date(d),
                other => {
                    return Err(LangError::new(
                        at,
                        format!(
                            "expected a value (\"text\", a number or YYYY-MM-DD), found {}",
                            describe(&other)
                        ),
                    ))
                }
            },
            at,
        ))
    }

    fn primary(&mut self) -> Result<Expr, LangError> {
        let (t, at) = self.next();
        match t {
            Tok::LParen => {
                self.deeper()?;
                let e = self.or()?;
                self.depth -= 1;
                self.expect(&Tok::RParen, "')'")?;
                Ok(e)
            }
            Tok::Word(w) if KEYWORDS.contains(&w.as_str()) => Err(LangError::new(
                at,
                format!("expected a field or a condition, found the keyword '{w}'"),
            )),
            Tok::Word(name) => match self.peek().clone() {
                Tok::LParen => {
                    self.next();
                    let arg = self.value()?;
                    self.expect(&Tok::RParen, "')' after the argument")?;
                    Ok(Expr::Call {
                        func: name,
                        at,
                        arg,
                    })
                }
                Tok::Op(op) => {
                    self.next();
                    let (value, value_at) = self.value()?;
                    Ok(Expr::Compare {
                        field: name,
                        at,
                        op,
                        value,
                        value_at,
                    })
                }
                Tok::Word(w) if w == "in" || w == "not" => {
                    let negated = w == "not";
                    self.next();
                    if negated && !self.is_word("in") {
                        return Err(LangError::new(
                            self.at(),
                            format!("expected 'in' after '{name} not'"),
                        ));
                    }
                    if negated {
                        self.next();
                    }
                    self.expect(&Tok::LParen, "'(' to open the list of values")?;
                    let mut values = vec![self.value()?];
                    while *self.peek() == Tok::Comma {
                        self.next();
                        values.push(self.value()?);
                        if values.len() > IN_VALUES_MAX {
                            return Err(LangError::new(
                                self.at(),
                                format!("more than {IN_VALUES_MAX} values in one list"),
                            ));
                        }
                    }
                    self.expect(&Tok::RParen, "',' or ')' in the list of values")?;
                    Ok(Expr::In {
                        field: name,
                        at,
                        values,
                        negated,
                    })
                }
                Tok::Word(w) if w == "between" => {
                    self.next();
                    let low = self.value()?;
                    if !self.is_word("and") {
                        return Err(LangError::new(
                            self.at(),
                            "expected 'and' between the two bounds".to_string(),
                        ));
                    }
                    self.next();
                    let high = self.value()?;
                    Ok(Expr::Between {
                        field: name,
                        at,
                        low,
                        high,
                    })
                }
                _ => Ok(Expr::Flag { field: name, at }),
            },
            other => Err(LangError::new(
                at,
                format!("expected a field, 'not' or '(', found {}", describe(&other)),
            )),
        }
    }
}

/// Parses an expression.
pub fn parse(s: &str) -> Result<Expr, LangError> {
    if s.len() > EXPRESSION_BYTES_MAX {
        return Err(LangError::new(
            EXPRESSION_BYTES_MAX,
            format!("longer than {EXPRESSION_BYTES_MAX} bytes"),
        ));
    }
    let toks = lex(s)?;
    if toks.len() == 1 {
        return Err(LangError::new(
            0,
            "empty: write a condition, e.g. county = \"WAKE\"",
        ));
    }
    let mut p = Parser {
        toks,
        i: 0,
        depth: 0,
    };
    let e = p.or()?;
    if *p.peek() != Tok::End {
        return Err(LangError::new(
            p.at(),
            format!(
                "expected 'and', 'or' or the end, found {}",
                describe(p.peek())
            ),
        ));
    }
    Ok(e)
}
