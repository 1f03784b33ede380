//! The report a call leaves behind: how it ended, what the caller
//! heard, what the application logged, which events were thrown and every
//! fetch with its cache decision. Serialized as JSON by `--json`; the same
//! value is what the Rust API returns, so tests assert on exactly what users see.

use std::time::Duration;

use serde::{Serialize, Serializer};

use crate::audio::Heard;
use crate::fetch::FetchRecord;

/// Everything one call did.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CallReport {
    /// The URL the call started at.
    pub start_url: String,
    /// How the call ended.
    pub ended: CallEnd,
    /// What the caller heard, in the order they heard it.
    pub prompts: Vec<PromptRecord>,
    /// `<log>` output, in order.
    pub logs: Vec<LogRecord>,
    /// Every event thrown during the call, caught or not, in order.
    pub events: Vec<EventRecord>,
    /// Every fetch, in order, with its cache decision.
    pub fetches: Vec<FetchRecord>,
    /// Things the platform worked around, one line each (an `<audio>` that
    /// could not be played, so its fallback content was).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The value returned by `<exit expr|namelist>`, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_value: Option<serde_json::Value>,
    /// Wall time the call took.
    #[serde(rename = "elapsed_ms", serialize_with = "millis")]
    pub elapsed: Duration,
}

/// How a call ended.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(tag = "how", rename_all = "lowercase")]
pub enum CallEnd {
    /// `<exit>`, or the FIA ran out of dialogs to run.
    #[default]
    Exit,
    /// The caller hung up.
    Hangup,
    /// The application hung up (`<disconnect>`).
    Disconnect,
    /// An event nothing caught ended the call (the default handler exits).
    Error {
        /// The event name, e.g. `error.badfetch.http.404`.
        event: String,
        /// Its message: file, line and cause.
        message: String,
    },
}

impl CallEnd {
    /// `exit`, `hangup`, `disconnect` or `error`.
    pub fn kind(&self) -> &'static str {
        match self {
            CallEnd::Exit => "exit",
            CallEnd::Hangup => "hangup",
            CallEnd::Disconnect => "disconnect",
            CallEnd::Error { .. } => "error",
        }
    }
}

/// One thing the caller heard.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum PromptRecord {
    /// Text (TTS is not synthesized; the duration is an estimate).
    Text {
        /// The words, as spoken.
        text: String,
        /// How long speaking them takes.
        #[serde(rename = "duration_ms", serialize_with = "millis")]
        duration: Duration,
    },
    /// An audio clip, with its exact duration from the sample count.
    Audio {
        /// The clip's URL.
        src: String,
        /// How long it played.
        #[serde(rename = "duration_ms", serialize_with = "millis")]
        duration: Duration,
    },
    /// `fetchaudio` played while a slow fetch was under way, for as long as
    /// it played (at most the clip's length).
    #[serde(rename = "fetchaudio")]
    FetchAudio {
        /// The clip's URL.
        src: String,
        /// How long it played.
        #[serde(rename = "duration_ms", serialize_with = "millis")]
        duration: Duration,
    },
}

impl PromptRecord {
    /// What the caller heard, as text: the text itself, or the clip's URL.
    pub fn text(&self) -> &str {
        match self {
            PromptRecord::Text { text, .. } => text,
            PromptRecord::Audio { src, .. } | PromptRecord::FetchAudio { src, .. } => src,
        }
    }

    /// How long it played.
    pub fn duration(&self) -> Duration {
        match self {
            PromptRecord::Text { duration, .. }
            | PromptRecord::Audio { duration, .. }
            | PromptRecord::FetchAudio { duration, .. } => *duration,
        }
    }
}

impl From<&Heard> for PromptRecord {
    fn from(h: &Heard) -> PromptRecord {
        match h {
            Heard::Speech { text, duration, .. } => PromptRecord::Text {
                text: text.clone(),
                duration: *duration,
            },
            Heard::Audio {
                source, duration, ..
            } => PromptRecord::Audio {
                src: source.to_string(),
                duration: *duration,
            },
            Heard::FetchAudio {
                source, duration, ..
            } => PromptRecord::FetchAudio {
                src: source.to_string(),
                duration: *duration,
            },
        }
    }
}

/// One `<log>`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LogRecord {
    /// Its `label`, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// What it logged.
    pub message: String,
}

/// One event thrown during the call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EventRecord {
    /// The event name, e.g. `error.semantic`, `nomatch`, `connection.disconnect.hangup`.
    pub name: String,
    /// `_message`: file, line and cause for errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Whether a handler (author's or default) caught it. `false` when the
    /// event ended the call with nowhere to be handled (the first document
    /// failed to load, a limit stopped the call).
    pub caught: bool,
    /// Whether the platform's default handler (§5.2.5), not the author's,
    /// handled it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub default_handler: bool,
}

fn millis<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64() * 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_serializes_with_the_spec_field_names() {
        let report = CallReport {
            start_url: "http://127.0.0.1:8080/app.vxml".into(),
            ended: CallEnd::Error {
                event: "error.badfetch.http.404".into(),
                message: "app.vxml:3:5: not found".into(),
            },
            prompts: vec![
                PromptRecord::Text {
                    text: "Welcome".into(),
                    duration: Duration::from_millis(400),
                },
                PromptRecord::Audio {
                    src: "http://127.0.0.1:8080/1.wav".into(),
                    duration: Duration::from_millis(1250),
                },
            ],
            logs: vec![LogRecord {
                label: Some("debug".into()),
                message: "x=1".into(),
            }],
            events: vec![EventRecord {
                name: "error.badfetch.http.404".into(),
                message: None,
                caught: false,
                default_handler: false,
            }],
            warnings: Vec::new(),
            fetches: Vec::new(),
            exit_value: None,
            elapsed: Duration::from_millis(3),
        };
        let json = serde_json::to_value(&report).expect("serializes");
        assert_eq!(json["ended"]["how"], "error");
        assert_eq!(json["ended"]["event"], "error.badfetch.http.404");
        assert_eq!(json["prompts"][0]["kind"], "text");
        assert_eq!(json["prompts"][0]["text"], "Welcome");
        assert_eq!(json["prompts"][1]["kind"], "audio");
        assert_eq!(json["prompts"][1]["duration_ms"], 1250.0);
        assert_eq!(json["logs"][0]["label"], "debug");
        assert_eq!(json["events"][0]["caught"], false);
        assert!(json.get("exit_value").is_none());
        assert!(
            json.get("warnings").is_none(),
            "empty warnings are left out"
        );
        assert!(json["events"][0].get("default_handler").is_none());
        assert_eq!(report.ended.kind(), "error");
    }

    #[test]
    fn prompts_convert_from_what_the_sink_heard() {
        let heard = Heard::speech(&crate::audio::Speech::plain("hello there"), true);
        let p = PromptRecord::from(&heard);
        assert_eq!(p.text(), "hello there");
        assert_eq!(p.duration(), heard.duration());
    }
}
