//! polars values → typed cells, so each format can treat text (hostile),
//! numbers and times differently.

use crate::time::{rfc3339_utc, Micros, Zone};
use polars::prelude::*;

#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Null,
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Time(Micros),
}

impl Cell {
    fn from_any(v: AnyValue) -> Cell {
        match v {
            AnyValue::Null => Cell::Null,
            AnyValue::Boolean(b) => Cell::Bool(b),
            AnyValue::String(s) => Cell::Str(s.to_string()),
            AnyValue::StringOwned(s) => Cell::Str(s.to_string()),
            AnyValue::UInt8(x) => Cell::Int(x as i64),
            AnyValue::UInt16(x) => Cell::Int(x as i64),
            AnyValue::UInt32(x) => Cell::Int(x as i64),
            AnyValue::UInt64(x) => Cell::Int(x as i64),
            AnyValue::Int8(x) => Cell::Int(x as i64),
            AnyValue::Int16(x) => Cell::Int(x as i64),
            AnyValue::Int32(x) => Cell::Int(x as i64),
            AnyValue::Int64(x) => Cell::Int(x),
            AnyValue::Float32(x) => Cell::Float(x as f64),
            AnyValue::Float64(x) => Cell::Float(x),
            AnyValue::Datetime(t, unit, _) | AnyValue::DatetimeOwned(t, unit, _) => Cell::Time(to_micros(t, unit)),
            other => Cell::Str(other.to_string()),
        }
    }

    /// For people: times in `zone`, floats rounded.
    pub fn display(&self, zone: &Zone) -> String {
        match self {
            Cell::Null => String::new(),
            Cell::Str(s) => s.clone(),
            Cell::Int(x) => x.to_string(),
            Cell::Float(x) => format_float(*x),
            Cell::Bool(b) => b.to_string(),
            Cell::Time(t) => zone.format(*t, false),
        }
    }

    /// For CSV: UTC times; text neutralised against formula injection.
    pub fn csv(&self) -> String {
        match self {
            Cell::Str(s) => super::csv_field(s),
            Cell::Time(t) => rfc3339_utc(*t),
            other => other.display(&Zone::Named(chrono_tz::UTC)),
        }
    }

    pub fn json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Cell::Null => Value::Null,
            Cell::Str(s) => Value::String(s.clone()),
            Cell::Int(x) => Value::from(*x),
            Cell::Float(x) => serde_json::Number::from_f64(*x).map_or(Value::Null, Value::Number),
            Cell::Bool(b) => Value::Bool(*b),
            Cell::Time(t) => Value::String(rfc3339_utc(*t)),
        }
    }
}

fn format_float(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

fn to_micros(t: i64, unit: TimeUnit) -> Micros {
    match unit {
        TimeUnit::Nanoseconds => t / 1000,
        TimeUnit::Microseconds => t,
        TimeUnit::Milliseconds => t * 1000,
    }
}

/// All rows of a frame as cells.
pub fn rows(df: &DataFrame) -> PolarsResult<Vec<Vec<Cell>>> {
    let cols = df.columns();
    let mut rows = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let mut row = Vec::with_capacity(cols.len());
        for c in cols {
            row.push(Cell::from_any(c.get(i)?));
        }
        rows.push(row);
    }
    Ok(rows)
}
