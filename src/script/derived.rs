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

use super::compile::Provenance;

/// The host objects and helper functions of one engine.
#[derive(Default)]
pub(crate) struct Derived {
    /// Resource → the object made from it (one per resource: a kept
    /// provenance must be its resource's only holder in this map, for
    /// `end_call`'s count to mean anything).
    objects: HashMap<usize, (Provenance, JsValue)>,
    /// Helper functions (a DOM builder), compiled once per engine.
    helpers: HashMap<&'static str, JsObject>,
    /// Objects made since the shelf last counted them.
    made: u64,
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
        if let Some((_, value)) = self.objects.get(&key) {
            return Ok(value.clone());
        }
        let mut helpers = Helpers {
            helpers: &mut self.helpers,
        };
        let value = build(ctx, &mut helpers)?;
        self.made += 1;
        self.objects.insert(key, (source.clone(), value.clone()));
        Ok(value)
    }

    /// At the end of a call: drops what was made from resources nothing
    /// else holds (they left the cache, or were never in it).
    pub(crate) fn end_call(&mut self) {
        self.objects
            .retain(|_, (source, _)| source.held_elsewhere());
    }

    /// Objects built since the last time this was asked.
    pub(crate) fn take_made(&mut self) -> u64 {
        std::mem::take(&mut self.made)
    }
}
