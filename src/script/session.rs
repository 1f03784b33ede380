//! What the platform tells a document about the call: the read-only
//! `session.*` variables (VoiceXML 2.0 §5.1.4), and the recognition results
//! behind `application.lastresult$` (§5.1.5).

use boa_engine::object::IntegrityLevel;
use boa_engine::object::builtins::JsArray;
use boa_engine::property::PropertyDescriptor;
use boa_engine::{Context, JsObject, JsString, JsValue};

use super::error::{self, ScriptError};
use super::value::{Value, to_js};

/// The `session` scope's variables, supplied by whoever starts the call.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Session {
    /// `session.connection.*`.
    pub connection: Connection,
    /// Further platform variables, `session.<name>`.
    pub variables: Vec<(String, Value)>,
}

/// `session.connection.*`. Absent values are `undefined` to the document.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Connection {
    /// `session.connection.local.uri`: the number or URI the caller dialled.
    pub local_uri: Option<String>,
    /// `session.connection.remote.uri`: the caller.
    pub remote_uri: Option<String>,
    /// `session.connection.protocol.name` (e.g. `sip`); the protocol object
    /// also gets an (empty) property of that name, as §5.1.4 describes.
    pub protocol_name: Option<String>,
    /// `session.connection.protocol.version`.
    pub protocol_version: Option<String>,
    /// `session.connection.redirect`: how the call reached us, newest last.
    pub redirect: Vec<Redirect>,
    /// `session.connection.aai`: application-to-application information.
    pub aai: Option<String>,
    /// `session.connection.originator`: which party started the call; it
    /// refers to the `local` or `remote` object itself.
    pub originator: Option<Originator>,
    /// `session.connection.channel`: the platform's channel or line number.
    pub channel: Option<String>,
}

/// One entry of `session.connection.redirect`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Redirect {
    /// The URI the call was redirected from.
    pub uri: String,
    /// Presentation indicator.
    pub pi: Option<String>,
    /// Screening indicator.
    pub si: Option<String>,
    /// Why the call was redirected (e.g. `unknown`, `user busy`).
    pub reason: Option<String>,
}

/// Which party started the call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Originator {
    /// The platform (an outbound call).
    Local,
    /// The caller.
    Remote,
}

/// How an input was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputMode {
    Dtmf,
    Voice,
}

impl InputMode {
    pub fn as_str(self) -> &'static str {
        match self {
            InputMode::Dtmf => "dtmf",
            InputMode::Voice => "voice",
        }
    }
}

/// One recognition result, an element of `application.lastresult$`.
#[derive(Clone, Debug, PartialEq)]
pub struct Recognition {
    pub utterance: String,
    pub interpretation: Value,
    /// 0.0–1.0.
    pub confidence: f64,
    pub inputmode: InputMode,
    /// VoiceXML 2.1: the last `<mark>` played before barge-in, and when (ms).
    pub markname: Option<String>,
    pub marktime: Option<f64>,
    /// VoiceXML 2.1 `recordutterance`: the utterance as recorded.
    pub recording: Option<UtteranceRecording>,
}

/// An utterance recorded while it was recognised (VoiceXML 2.1: the
/// `recordutterance` property): `recording`, `recordingsize` and
/// `recordingduration` in `lastresult$` and the shadow variables.
#[derive(Clone, Debug, PartialEq)]
pub struct UtteranceRecording {
    /// The value that names the recording (what `<record>` fills its item
    /// with: `<audio expr>` plays it, a multipart `<submit>` sends it).
    pub recording: Value,
    /// Bytes.
    pub size: u64,
    /// Milliseconds.
    pub duration_ms: f64,
}

impl UtteranceRecording {
    /// The three properties it adds to a result or shadow variable.
    pub fn properties(&self) -> [(&'static str, Value); 3] {
        [
            ("recording", self.recording.clone()),
            ("recordingsize", Value::Number(self.size as f64)),
            ("recordingduration", Value::Number(self.duration_ms)),
        ]
    }
}

fn key(s: &str) -> JsString {
    JsString::from(s)
}

fn opt_string(v: &Option<String>) -> JsValue {
    v.as_deref()
        .map_or(JsValue::undefined(), |s| JsValue::new(key(s)))
}

/// A fresh, ordinary object with `props`.
fn object(props: Vec<(&str, JsValue)>, ctx: &mut Context) -> Result<JsObject, ScriptError> {
    let o = JsObject::with_object_proto(ctx.intrinsics());
    for (k, v) in props {
        o.create_data_property_or_throw(key(k), v, ctx)
            .map_err(|e| error::from_js(e, ctx))?;
    }
    Ok(o)
}

fn freeze(o: &JsObject, ctx: &mut Context) -> Result<(), ScriptError> {
    o.set_integrity_level(IntegrityLevel::Frozen, ctx)
        .map(|_| ())
        .map_err(|e| error::from_js(e, ctx))
}

/// Fills the session scope object and freezes what it holds, so documents
/// can read but not change the session (§5.1.2).
pub(crate) fn fill_session(
    scope: &JsObject,
    session: &Session,
    ctx: &mut Context,
) -> Result<(), ScriptError> {
    let c = &session.connection;
    let local = object(vec![("uri", opt_string(&c.local_uri))], ctx)?;
    let remote = object(vec![("uri", opt_string(&c.remote_uri))], ctx)?;
    let mut protocol_props = vec![
        ("name", opt_string(&c.protocol_name)),
        ("version", opt_string(&c.protocol_version)),
    ];
    let empty = object(vec![], ctx)?;
    if let Some(name) = c.protocol_name.as_deref() {
        protocol_props.push((name, empty.clone().into()));
    }
    let protocol = object(protocol_props, ctx)?;
    let mut redirects = Vec::new();
    for r in &c.redirect {
        let entry = object(
            vec![
                ("uri", JsValue::new(key(&r.uri))),
                ("pi", opt_string(&r.pi)),
                ("si", opt_string(&r.si)),
                ("reason", opt_string(&r.reason)),
            ],
            ctx,
        )?;
        freeze(&entry, ctx)?;
        redirects.push(entry.into());
    }
    let redirect: JsObject = JsArray::from_iter(redirects, ctx).into();
    let originator = match c.originator {
        Some(Originator::Local) => local.clone().into(),
        Some(Originator::Remote) => remote.clone().into(),
        None => JsValue::undefined(),
    };
    let connection = object(
        vec![
            ("local", local.clone().into()),
            ("remote", remote.clone().into()),
            ("protocol", protocol.clone().into()),
            ("redirect", redirect.clone().into()),
            ("aai", opt_string(&c.aai)),
            ("originator", originator),
            ("channel", opt_string(&c.channel)),
        ],
        ctx,
    )?;
    for o in [&local, &remote, &empty, &protocol, &redirect, &connection] {
        freeze(o, ctx)?;
    }
    scope
        .create_data_property_or_throw(key("connection"), connection, ctx)
        .map_err(|e| error::from_js(e, ctx))?;
    for (name, value) in &session.variables {
        let v = to_js(value, ctx)?;
        if let Some(o) = v.as_object() {
            freeze(&o, ctx)?;
        }
        scope
            .create_data_property_or_throw(key(name), v, ctx)
            .map_err(|e| error::from_js(e, ctx))?;
    }
    freeze(scope, ctx)
}

/// Sets `lastresult$` on the application scope object: an array of results,
/// with the first result's properties also on the array itself
/// (`lastresult$.utterance` is `lastresult$[0].utterance`). No results: undefined.
pub(crate) fn set_last_result(
    app: &JsObject,
    results: &[Recognition],
    ctx: &mut Context,
) -> Result<(), ScriptError> {
    let value: JsValue = if results.is_empty() {
        JsValue::undefined()
    } else {
        let mut items = Vec::new();
        let mut first = Vec::new();
        for (i, r) in results.iter().enumerate() {
            let mut props = vec![
                ("utterance", JsValue::new(key(&r.utterance))),
                ("interpretation", to_js(&r.interpretation, ctx)?),
                ("confidence", JsValue::new(r.confidence)),
                ("inputmode", JsValue::new(key(r.inputmode.as_str()))),
                ("markname", opt_string(&r.markname)),
                (
                    "marktime",
                    r.marktime.map_or(JsValue::undefined(), JsValue::new),
                ),
            ];
            for (k, v) in r.recording.iter().flat_map(UtteranceRecording::properties) {
                props.push((k, to_js(&v, ctx)?));
            }
            if i == 0 {
                first = props.clone();
            }
            items.push(object(props, ctx)?.into());
        }
        let array: JsObject = JsArray::from_iter(items, ctx).into();
        for (k, v) in first {
            array
                .create_data_property_or_throw(key(k), v, ctx)
                .map_err(|e| error::from_js(e, ctx))?;
        }
        array.into()
    };
    app.define_property_or_throw(
        key("lastresult$"),
        PropertyDescriptor::builder()
            .value(value)
            .writable(true)
            .enumerable(true)
            .configurable(true),
        ctx,
    )
    .map(|_| ())
    .map_err(|e| error::from_js(e, ctx))
}
