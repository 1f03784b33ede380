//! `<transfer>` simulated (VoiceXML 2.0 §2.3.7, 2.1 §6): nobody is called;
//! the caller script says how the transfer turns out.
//!
//! The transfer's prompts play, then (bridge and consultation)
//! `transferaudio` while the far end is reached; then the transfer reads the
//! caller's next token:
//!
//! - `transfer:<outcome>[:<time>]` is the outcome: `busy`, `noanswer`,
//!   `network_busy`, `unknown`, or, once connected, `far_end_disconnect`,
//!   `near_end_disconnect`, `maxtime_disconnect` — the time is how long the
//!   call lasted (`name$.duration`, in seconds), cut at `maxtime` (the
//!   outcome then being `maxtime_disconnect`, which lasts `maxtime` when no
//!   time is given).
//! - Words or keys a grammar of the transfer matches are a hotword: the
//!   caller ended the call (`near_end_disconnect`, with `name$.utterance`
//!   and `name$.inputmode`).
//! - `hangup` hangs up (`connection.disconnect.hangup`).
//! - Anything else is the **default: `noanswer`** — nobody answered within
//!   `connecttimeout` (30 s when not given) — and the token is used up.
//!
//! A blind transfer hands the caller over at once: it reads no token and
//! throws `connection.disconnect.transfer`. So does a consultation transfer
//! that connects (VoiceXML 2.1 §6: the interpreter's part of the call ends
//! once the far end answers); its failures fill the item like a bridge's.
//! `aai`/`aaiexpr` and `dest`/`destexpr` are evaluated (a script error is
//! `error.semantic`) and named in the events and warnings a transfer leaves.

use std::time::Duration;

use super::events::Event;
use super::recognize::Active;
use super::{Interpreter, Jump, Leave};
use crate::call::{CallEnd, Token, TransferOutcome, TransferResult};
use crate::script::Value;
use crate::vxml::{FetchAttrs, Prompt, Transfer, TransferType};

/// The event a transfer that hands the caller over throws.
pub(crate) const DISCONNECT_TRANSFER: &str = "connection.disconnect.transfer";
/// `connecttimeout` when the `<transfer>` gives none.
pub(crate) const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// What the next token did to a transfer the interpreter is waiting on.
pub(crate) enum Heard {
    Outcome(TransferOutcome),
    /// A grammar of the transfer matched: the caller's words and mode.
    Hotword {
        utterance: String,
        mode: &'static str,
    },
    /// The caller hung up.
    Hangup,
    /// Any other token: the default outcome.
    Other(Token),
}

impl Interpreter {
    /// Runs `<transfer>` `t`, item `i` whose grammars are `active`: its
    /// prompts (those `count` selects, unless `skip_prompts`), then the
    /// outcome the caller script gives.
    pub(crate) async fn transfer(
        &mut self,
        t: &Transfer,
        active: &Active<'_>,
        i: usize,
        prompts: &[Prompt],
        count: u32,
        skip_prompts: bool,
    ) -> Result<(), Jump> {
        if let Some(end) = &self.hung_up {
            return Err(Leave::End(end.clone()).into());
        }
        let target = self.transfer_target(t)?;
        if !skip_prompts {
            self.queue_by_count(prompts, count).await?;
        }
        if t.kind == TransferType::Blind {
            self.flush().await;
            return Err(self.hand_over(t, &target));
        }
        if let Some(src) = t.transferaudio.as_deref().filter(|s| !s.trim().is_empty()) {
            match self.fetch_audio(src, &FetchAttrs::default()).await {
                Ok((url, audio)) => self.queue_clip(url, audio),
                Err(why) => {
                    let warning = format!(
                        "{}:{}: <transfer transferaudio=\"{src}\"> not played ({why})",
                        self.source(),
                        t.common.span
                    );
                    self.warn(warning);
                }
            }
        }
        self.flush().await;
        self.steps = 0;
        let token = self.input.next_token().await;
        let heard = match token {
            Token::Transfer(o) => Heard::Outcome(o),
            Token::Hangup => Heard::Hangup,
            token @ (Token::Dtmf(_) | Token::Say(_)) => match self.hotword(active, i, &token)? {
                Some((utterance, mode)) => Heard::Hotword {
                    utterance,
                    mode: mode.as_str(),
                },
                None => Heard::Other(token),
            },
            other => Heard::Other(other),
        };
        self.transfer_result(t, &target, heard)
    }

    /// Where the transfer is going and what it carries, for messages.
    pub(crate) fn transfer_target(&mut self, t: &Transfer) -> Result<String, Jump> {
        let dest = match &t.dest {
            Some(d) => self.value_or_expr(d, t.common.span, "transfer")?,
            None => String::new(),
        };
        let aai = match &t.aai {
            Some(a) => self.value_or_expr(a, t.common.span, "transfer")?,
            None => String::new(),
        };
        Ok(format!("dest \"{dest}\", aai \"{aai}\""))
    }

    /// A blind transfer, or a consultation transfer that connected: the
    /// caller is handed over and the interpreter's call is over.
    pub(crate) fn hand_over(&mut self, t: &Transfer, target: &str) -> Jump {
        if self.hung_up.is_none() {
            self.hung_up = Some(CallEnd::Disconnect);
        }
        Event::new(
            DISCONNECT_TRANSFER,
            Some(format!(
                "{}:{}: <transfer> handed the caller over ({target})",
                self.source(),
                t.common.span
            )),
        )
        .into()
    }

    /// Fills the transfer's variable and `name$` from what was heard; a
    /// hangup or a consultation that connected is an event instead.
    pub(crate) fn transfer_result(
        &mut self,
        t: &Transfer,
        target: &str,
        heard: Heard,
    ) -> Result<(), Jump> {
        let maxtime = t.maxtime.filter(|m| !m.is_zero());
        let (result, duration, utterance, mode) = match heard {
            Heard::Hangup => {
                self.hung_up = Some(CallEnd::Hangup);
                return Err(Event::new(
                    super::events::HANGUP,
                    Some("the caller hung up during the transfer".into()),
                )
                .into());
            }
            Heard::Hotword { utterance, mode } => (
                TransferResult::NearEndDisconnect,
                Duration::ZERO,
                Some(utterance),
                Some(mode),
            ),
            Heard::Other(token) => {
                let wait = t.connecttimeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT);
                self.warn(format!(
                    "{}:{}: <transfer> ({target}): the caller script gave `{token}`, no `transfer:` outcome: noanswer after the connecttimeout of {}s",
                    self.source(),
                    t.common.span,
                    wait.as_secs_f64()
                ));
                (TransferResult::NoAnswer, Duration::ZERO, None, None)
            }
            Heard::Outcome(o) => {
                let mut result = o.result;
                let mut duration = match (o.result, o.duration) {
                    (r, Some(d)) if r.connected() => d,
                    (TransferResult::MaxtimeDisconnect, None) => maxtime.unwrap_or_default(),
                    _ => Duration::ZERO,
                };
                if let Some(m) = maxtime
                    && result.connected()
                    && duration >= m
                {
                    result = TransferResult::MaxtimeDisconnect;
                    duration = m;
                }
                (result, duration, None, None)
            }
        };
        if t.kind == TransferType::Consultation && result.connected() {
            if result == TransferResult::NearEndDisconnect && utterance.is_some() {
                // The caller's hotword came before the far end answered.
            } else {
                return Err(self.hand_over(t, target));
            }
        }
        let name = t.common.name.clone();
        self.engine
            .assign_value(&name, &Value::String(result.as_str().into()))
            .map_err(|e| self.script_event(t.common.span, "transfer", e))?;
        let mut shadow = vec![("duration".into(), Value::Number(duration.as_secs_f64()))];
        if let (Some(u), Some(m)) = (utterance, mode) {
            shadow.push(("inputmode".into(), Value::String(m.into())));
            shadow.push(("utterance".into(), Value::String(u)));
        }
        self.engine
            .declare_value(&format!("{name}$"), &Value::Object(shadow))
            .map_err(|e| self.script_event(t.common.span, "transfer", e).into())
    }
}
