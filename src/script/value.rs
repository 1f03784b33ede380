//! ECMAScript values as Rust sees them: a JSON-like [`Value`], and the
//! conversions to and from the engine's values.
//!
//! The conversion from JavaScript follows `JSON.stringify`'s view of data:
//! own enumerable string-keyed properties, functions and symbols left out of
//! objects (and `null` in arrays), and a cycle is an error rather than a hang.

use boa_engine::object::builtins::JsArray;
use boa_engine::value::JsVariant;
use boa_engine::{Context, JsObject, JsString, JsValue};

use super::error::{self, ScriptError};

/// Objects nested deeper than this are not converted (an error, not a stack overflow).
const MAX_DEPTH: usize = 64;

/// A JavaScript value as data.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Value {
    #[default]
    Undefined,
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Value>),
    /// Properties in the object's own enumeration order.
    Object(Vec<(String, Value)>),
}

impl Value {
    /// The property `key` of an object value.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(props) => props.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// JSON for reports: `undefined` becomes `null`, as do non-finite numbers.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Undefined | Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Number(n) => serde_json::Number::from_f64(*n).map_or(J::Null, J::Number),
            Value::String(s) => J::String(s.clone()),
            Value::Array(items) => J::Array(items.iter().map(Value::to_json).collect()),
            Value::Object(props) => J::Object(
                props
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// The value of a JSON document.
    pub fn from_json(json: &serde_json::Value) -> Value {
        use serde_json::Value as J;
        match json {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => Value::Number(n.as_f64().unwrap_or(f64::NAN)),
            J::String(s) => Value::String(s.clone()),
            J::Array(items) => Value::Array(items.iter().map(Value::from_json).collect()),
            J::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<f64> for Value {
    fn from(n: f64) -> Self {
        Value::Number(n)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

/// Builds the engine value of `value` (objects get `Object.prototype`).
pub(crate) fn to_js(value: &Value, ctx: &mut Context) -> Result<JsValue, ScriptError> {
    build(value, ctx, 0)
}

fn build(value: &Value, ctx: &mut Context, depth: usize) -> Result<JsValue, ScriptError> {
    if depth > MAX_DEPTH {
        return Err(ScriptError::Conversion(format!(
            "values nested more than {MAX_DEPTH} deep"
        )));
    }
    Ok(match value {
        Value::Undefined => JsValue::undefined(),
        Value::Null => JsValue::null(),
        Value::Bool(b) => JsValue::new(*b),
        Value::Number(n) => JsValue::new(*n),
        Value::String(s) => JsValue::new(JsString::from(s.as_str())),
        Value::Array(items) => {
            let items = items
                .iter()
                .map(|v| build(v, ctx, depth + 1))
                .collect::<Result<Vec<_>, _>>()?;
            JsArray::from_iter(items, ctx).into()
        }
        Value::Object(props) => {
            let object = JsObject::with_object_proto(ctx.intrinsics());
            for (k, v) in props {
                let v = build(v, ctx, depth + 1)?;
                object
                    .create_data_property_or_throw(JsString::from(k.as_str()), v, ctx)
                    .map_err(|e| error::from_js(e, ctx))?;
            }
            object.into()
        }
    })
}

/// Converts an engine value. `object_keys` is the original `Object.keys`
/// (captured before any script could replace it).
pub(crate) fn from_js(
    value: &JsValue,
    object_keys: &JsObject,
    ctx: &mut Context,
) -> Result<Value, ScriptError> {
    let mut seen = Vec::new();
    Ok(convert(value, object_keys, ctx, &mut seen)?.unwrap_or(Value::Undefined))
}

/// `None`: a function or symbol, which data has no place for.
fn convert(
    value: &JsValue,
    object_keys: &JsObject,
    ctx: &mut Context,
    seen: &mut Vec<JsObject>,
) -> Result<Option<Value>, ScriptError> {
    let object = match value.variant() {
        JsVariant::Undefined => return Ok(Some(Value::Undefined)),
        JsVariant::Null => return Ok(Some(Value::Null)),
        JsVariant::Boolean(b) => return Ok(Some(Value::Bool(b))),
        JsVariant::Integer32(i) => return Ok(Some(Value::Number(f64::from(i)))),
        JsVariant::Float64(n) => return Ok(Some(Value::Number(n))),
        JsVariant::BigInt(b) => return Ok(Some(Value::Number(b.to_f64()))),
        JsVariant::String(s) => return Ok(Some(Value::String(s.to_std_string_lossy()))),
        JsVariant::Symbol(_) => return Ok(None),
        JsVariant::Object(o) => o,
    };
    if object.is_callable() {
        return Ok(None);
    }
    if seen.iter().any(|s| JsObject::equals(s, &object)) {
        return Err(ScriptError::Conversion("the value contains a cycle".into()));
    }
    if seen.len() >= MAX_DEPTH {
        return Err(ScriptError::Conversion(format!(
            "objects nested more than {MAX_DEPTH} deep"
        )));
    }
    seen.push(object.clone());
    let result = if object.is_array() {
        let len = length(&object, ctx)?;
        let mut items = Vec::new();
        for i in 0..len {
            let item = object.get(i, ctx).map_err(|e| error::from_js(e, ctx))?;
            items.push(convert(&item, object_keys, ctx, seen)?.unwrap_or(Value::Null));
        }
        Value::Array(items)
    } else {
        let keys = object_keys
            .call(&JsValue::undefined(), &[object.clone().into()], ctx)
            .map_err(|e| error::from_js(e, ctx))?;
        let keys = keys
            .as_object()
            .ok_or_else(|| ScriptError::Conversion("Object.keys returned no array".into()))?;
        let len = length(&keys, ctx)?;
        let mut props = Vec::new();
        for i in 0..len {
            let key = keys
                .get(i, ctx)
                .and_then(|k| k.to_string(ctx))
                .map_err(|e| error::from_js(e, ctx))?;
            let item = object
                .get(key.clone(), ctx)
                .map_err(|e| error::from_js(e, ctx))?;
            if let Some(v) = convert(&item, object_keys, ctx, seen)? {
                props.push((key.to_std_string_lossy(), v));
            }
        }
        Value::Object(props)
    };
    seen.pop();
    Ok(Some(result))
}

fn length(object: &JsObject, ctx: &mut Context) -> Result<u64, ScriptError> {
    object
        .get(JsString::from("length"), ctx)
        .and_then(|l| l.to_length(ctx))
        .map_err(|e| error::from_js(e, ctx))
}
