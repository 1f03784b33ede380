//! Variables into data: the `namelist`s of `<submit>`, `<subdialog>`,
//! `<data>`, `<exit>`, `<return>` and `<disconnect>`, and the request a
//! submission makes (VoiceXML 2.0 §5.3.8).
//!
//! A GET appends `name=value` pairs to the URL's query; a POST sends them
//! as `application/x-www-form-urlencoded` (the default) or
//! `multipart/form-data` (`enctype`). A value is sent as ECMAScript's
//! `ToString` would show it for strings, numbers, booleans, `null` and
//! `undefined`; an object or array is sent as JSON (`ToString` would give
//! the useless `[object Object]`).

use bytes::Bytes;
use http::HeaderValue;
use url::Url;

use super::{Interpreter, Jump, Planned};
use crate::fetch::FetchRequest;
use crate::resource::ResourceType;
use crate::script::Value;
use crate::vxml::{FetchAttrs, Method, Span};

/// The multipart boundary: no ECMAScript value's text is likely to contain
/// it, and a value that does is refused rather than sent garbled.
const BOUNDARY: &str = "vxb-form-boundary-5f0c1d2e9a";

impl Interpreter {
    /// The current values of `names` (each an expression, usually a
    /// variable name, possibly scope-qualified), keyed by the name as written.
    pub(crate) fn values(
        &mut self,
        names: &[String],
        span: Span,
        element: &str,
    ) -> Result<Vec<(String, Value)>, Jump> {
        names
            .iter()
            .map(|n| {
                self.engine
                    .eval(n)
                    .map(|v| (n.clone(), v))
                    .map_err(|e| self.script_event(span, element, e).into())
            })
            .collect()
    }

    /// The request of a submission of `names` to `url` by `method`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn submission(
        &mut self,
        mut url: Url,
        rtype: ResourceType,
        names: &[String],
        method: Method,
        enctype: Option<&str>,
        attrs: &FetchAttrs,
        span: Span,
        element: &str,
    ) -> Result<Planned, Jump> {
        let values = self.values(names, span, element)?;
        // A `<record>`'s recording is sent as a file in a multipart body.
        let files: Vec<Option<File>> = values
            .iter()
            .map(|(n, v)| {
                self.recording_of(v).map(|r| File {
                    name: format!("{n}.wav"),
                    mime: r.mime.clone(),
                    bytes: r.bytes.clone(),
                })
            })
            .collect();
        let pairs: Vec<(String, String)> = values.into_iter().map(|(n, v)| (n, text(&v))).collect();
        let mut planned = match method {
            Method::Get => {
                if !pairs.is_empty() {
                    url.query_pairs_mut().extend_pairs(pairs.iter());
                }
                self.planned(url, rtype, attrs)?
            }
            Method::Post => {
                let (content_type, body) = encode(&pairs, &files, enctype).map_err(|why| {
                    super::events::Event::semantic(format!(
                        "{}:{span}: <{element}>: {why}",
                        self.source()
                    ))
                })?;
                let Planned {
                    req: get,
                    fetch_audio,
                } = self.planned(url, rtype, attrs)?;
                let mut post =
                    FetchRequest::post(get.url.clone(), rtype, get.referrer, content_type, body);
                post.max_age = get.max_age;
                post.max_stale = get.max_stale;
                post.timeout = get.timeout;
                Planned {
                    req: post,
                    fetch_audio,
                }
            }
        };
        planned.req.follow_redirects = true;
        Ok(planned)
    }

    /// Every form item variable of the current form (`<clear>`'s default).
    pub(crate) fn form_item_names(&self) -> Vec<String> {
        self.current_form()
            .map(|f| f.items().map(|i| i.common().name.clone()).collect())
            .unwrap_or_default()
    }

    /// The named input item variables of the current form (`<submit>`'s
    /// default namelist): blocks and anonymous items are not input.
    pub(crate) fn input_item_names(&self) -> Vec<String> {
        self.current_form()
            .map(|f| {
                f.items()
                    .filter(|i| i.input().is_some() && !i.common().anonymous)
                    .map(|i| i.common().name.clone())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// How a value is sent.
pub(crate) fn text(v: &Value) -> String {
    match v {
        Value::Undefined => "undefined".into(),
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => number(*n),
        Value::String(s) => s.clone(),
        Value::Array(_) | Value::Object(_) => {
            let mut out = String::new();
            json_text(v, &mut out);
            out
        }
    }
}

/// JSON text of a value with the object's own property order kept (as
/// `JSON.stringify` writes it; `serde_json`'s map would sort the keys).
fn json_text(v: &Value, out: &mut String) {
    let quoted = |s: &str| serde_json::Value::from(s).to_string();
    match v {
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_text(item, out);
            }
            out.push(']');
        }
        Value::Object(props) => {
            out.push('{');
            for (i, (k, item)) in props.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&quoted(k));
                out.push(':');
                json_text(item, out);
            }
            out.push('}');
        }
        Value::String(s) => out.push_str(&quoted(s)),
        other => out.push_str(&json(other).to_string()),
    }
}

/// JSON of a script value, integral numbers written as integers (`1`, not
/// `1.0`, as JavaScript shows them): exit values and submitted objects.
pub(crate) fn json(v: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        Value::Number(n) if *n == n.trunc() && n.abs() < 9.0e15 => J::from(*n as i64),
        Value::Array(items) => J::Array(items.iter().map(json).collect()),
        Value::Object(props) => {
            J::Object(props.iter().map(|(k, v)| (k.clone(), json(v))).collect())
        }
        other => other.to_json(),
    }
}

/// ECMAScript's `ToString` of a number for the values scripts produce:
/// integers without a fraction, the rest as Rust's shortest round trip.
fn number(n: f64) -> String {
    if n.is_nan() {
        "NaN".into()
    } else if n.is_infinite() {
        if n > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        }
    } else if n == n.trunc() && n.abs() < 1e21 {
        format!("{n:.0}")
    } else {
        n.to_string()
    }
}

/// A recording sent as a file part of a multipart body.
struct File {
    name: String,
    mime: String,
    bytes: Bytes,
}

/// A POST body for `pairs` in `enctype` (default urlencoded); in a
/// multipart body, a pair with a file (`files` is by index) is sent as it.
fn encode(
    pairs: &[(String, String)],
    files: &[Option<File>],
    enctype: Option<&str>,
) -> Result<(HeaderValue, Bytes), String> {
    match enctype.map(str::trim) {
        None | Some("") | Some("application/x-www-form-urlencoded") => {
            let body = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs.iter())
                .finish();
            Ok((
                HeaderValue::from_static("application/x-www-form-urlencoded"),
                Bytes::from(body),
            ))
        }
        Some("multipart/form-data") => {
            let mut body: Vec<u8> = Vec::new();
            for (i, (name, value)) in pairs.iter().enumerate() {
                if value.contains(BOUNDARY)
                    || name.contains('"')
                    || name.contains('\r')
                    || name.contains('\n')
                {
                    return Err(format!("cannot send `{name}` as multipart/form-data"));
                }
                match files.get(i).and_then(Option::as_ref) {
                    Some(f) => {
                        // Audio bytes could hold the boundary by chance:
                        // refused rather than sent garbled.
                        if f.bytes.windows(BOUNDARY.len()).any(|w| w == BOUNDARY.as_bytes()) {
                            return Err(format!("cannot send `{name}` as multipart/form-data"));
                        }
                        body.extend_from_slice(format!(
                            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
                            f.name, f.mime
                        ).as_bytes());
                        body.extend_from_slice(&f.bytes);
                        body.extend_from_slice(b"\r\n");
                    }
                    None => body.extend_from_slice(format!(
                        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                    ).as_bytes()),
                }
            }
            body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
            let content_type =
                HeaderValue::from_str(&format!("multipart/form-data; boundary={BOUNDARY}"))
                    .map_err(|e| e.to_string())?;
            Ok((content_type, Bytes::from(body)))
        }
        Some(other) => Err(format!(
            "enctype `{other}` is not supported (application/x-www-form-urlencoded or multipart/form-data)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_sent_as_script_text_or_json() {
        assert_eq!(text(&Value::Number(3.0)), "3");
        assert_eq!(text(&Value::Number(-0.5)), "-0.5");
        assert_eq!(text(&Value::Number(f64::NAN)), "NaN");
        assert_eq!(text(&Value::Bool(true)), "true");
        assert_eq!(text(&Value::Undefined), "undefined");
        assert_eq!(text(&Value::String("a b".into())), "a b");
        assert_eq!(
            text(&Value::Object(vec![
                ("z".into(), Value::Number(1.0)),
                (
                    "a".into(),
                    Value::Array(vec![Value::String("q\"".into()), Value::Null])
                )
            ])),
            r#"{"z":1,"a":["q\"",null]}"#
        );
    }

    #[test]
    fn posts_encode_by_enctype() {
        let pairs = vec![("city".to_string(), "San José & co".to_string())];
        let (ct, body) = encode(&pairs, &[], None).expect("urlencoded");
        assert_eq!(ct, "application/x-www-form-urlencoded");
        assert_eq!(&body[..], b"city=San+Jos%C3%A9+%26+co");
        let (ct, body) = encode(&pairs, &[], Some("multipart/form-data")).expect("multipart");
        assert!(ct.to_str().is_ok_and(|c| c.contains("boundary=")));
        let body = String::from_utf8(body.to_vec()).expect("text");
        assert!(
            body.contains("name=\"city\"\r\n\r\nSan José & co\r\n"),
            "{body}"
        );
        assert!(encode(&pairs, &[], Some("text/plain")).is_err());
        // A recording is a file part, bytes as they are.
        let pairs = vec![
            ("msg".to_string(), "{}".to_string()),
            ("from".to_string(), "me".to_string()),
        ];
        let files = [
            Some(File {
                name: "msg.wav".into(),
                mime: "audio/x-wav".into(),
                bytes: Bytes::from_static(b"RIFF\x00\x7f"),
            }),
            None,
        ];
        let (_, body) = encode(&pairs, &files, Some("multipart/form-data")).expect("multipart");
        let head = format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"msg\"; filename=\"msg.wav\"\r\nContent-Type: audio/x-wav\r\n\r\nRIFF\x00\x7f\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"from\"\r\n\r\nme\r\n--{BOUNDARY}--\r\n"
        );
        assert_eq!(&body[..], head.as_bytes());
    }
}
