//! Reading values out of `Sql` rows leniently (a column's type differs a little between the
//! backends: dates are text on SQLite, integers may come as text from a `CAST`).

use model::Date;
use store::Value;

pub(crate) fn text_of(v: &Value) -> &str {
    match v {
        Value::Text(s) => s,
        _ => "",
    }
}

pub(crate) fn int_of(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        Value::Text(s) => s.parse().ok(),
        _ => None,
    }
}

pub(crate) fn date_of(v: &Value) -> Option<Date> {
    match v {
        Value::Text(s) => Date::parse(s),
        Value::Date(d) => Some(*d),
        _ => None,
    }
}
