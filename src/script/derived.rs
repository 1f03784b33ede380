//! Host objects made from a cached resource — the read-only DOM of a
//! `<data>` document — kept per engine for as long as the cache holds the
//! resource, like compiled code (see `compile`).
//!
//! Why: building a DOM runs JavaScript per node, and with engines reused
//! across calls the same cached document would be rebuilt by every call
//! that reads it. The objects are deeply frozen when built (nodes, node
//! lists, their shared prototypes and methods), so one call cannot leave
//! anything on them for the next; a call that changes a built-in they
//! inherit from retires its engine anyway (`baseline`).
//!
//! The key is the resource's identity ([`Provenance`]), not its text: a
//! fresh fetch of the same bytes (caching disabled) builds afresh, so
//! "uncached" stays uncached. Objects of a resource nothing else holds any
//! more are dropped at the end of each call.

use std::collections::HashMap;

use boa_engine::{Context, JsNativeError, JsObject, JsResult, JsValue, Source};

use super::compile::{Provenance, Remembered, retain_kept};

/// The host objects and helper functions of one engine.
#[derive(Default)]
pub(crate) struct Derived {
    /// Resource → the object made from it.
    objects: HashMap<usize, Kept>,
    /// Helper functions (a DOM builder), compiled once per engine.
    helpers: HashMap<&'static str, JsObject>,
    /// Objects made since the shelf last counted them.
    made: u64,
    /// Counts lookups: the clock of `Kept::used`.
    tick: u64,
}

struct Kept {
    source: Remembered,
    value: JsValue,
    used: u64,
}

/// What a builder gets besides the context: helper functions compiled once
/// per engine.
pub struct Helpers<'a> {
    helpers: &'a mut HashMap<&'static str, JsObject>,
}

impl Helpers<'_> {
    /// The function the script `text` evaluates to, compiled the first time
    /// this engine asks for `key`. `text` is trusted host code.
    pub fn function(
        &mut self,
        key: &'static str,
        text: &'static str,
        ctx: &mut Context,
    ) -> JsResult<JsObject> {
        if let Some(f) = self.helpers.get(key) {
            return Ok(f.clone());
        }
        let f = ctx
            .eval(Source::from_bytes(text))?
            .as_callable()
            .ok_or_else(|| JsNativeError::typ().with_message(format!("{key} is not a function")))?;
        self.helpers.insert(key, f.clone());
        Ok(f)
    }
}

impl Derived {
    /// The object made from `source`, built by `build` unless this engine
    /// already has it.
    pub(crate) fn get_or_build(
        &mut self,
        source: &Provenance,
        ctx: &mut Context,
        build: impl FnOnce(&mut Context, &mut Helpers<'_>) -> JsResult<JsValue>,
    ) -> JsResult<JsValue> {
        let key = source.key();
        self.tick += 1;
        if let Some(kept) = self.objects.get_mut(&key) {
            kept.used = self.tick;
            return Ok(kept.value.clone());
        }
        let mut helpers = Helpers {
            helpers: &mut self.helpers,
        };
        let value = build(ctx, &mut helpers)?;
        self.made += 1;
        self.objects.insert(
            key,
            Kept {
                source: source.remember(),
                value: value.clone(),
                used: self.tick,
            },
        );
        Ok(value)
    }

    /// At the end of a call: drops what was made from resources nothing
    /// else holds (they left the cache, or were never in it), and all but
    /// the most recently used (see `compile::retain_kept`).
    pub(crate) fn end_call(&mut self) {
        retain_kept(&mut self.objects, |k| Some(&k.source), |k| k.used);
    }

    /// Objects built since the last time this was asked.
    pub(crate) fn take_made(&mut self) -> u64 {
        std::mem::take(&mut self.made)
    }
}
