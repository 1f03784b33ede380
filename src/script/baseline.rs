//! What a fresh engine's built-ins look like, to tell whether a call
//! changed them.
//!
//! An engine is reused from call to call (see `shelf`), and a call must never
//! observe what an earlier one left behind. The scopes are the engine's own
//! and are simply dropped; the built-ins — the global object, every
//! constructor, prototype, namespace and function reachable from it, and
//! the intrinsics a script reaches only as the prototype of something it
//! makes (iterators, generators) — are the context's and outlive a call.
//! Scripts may change them (`Array.prototype.x = …`, `Math.random = …`,
//! `Object.freeze(JSON)`, a global made by an indirect `eval`), legitimately
//! within their call. Undoing that is not possible in general, so a
//! [`Baseline`] taken when the engine is made records, for every such object,
//! its shape (a shared shape settles keys, attributes and prototype; a
//! unique one changes in place), extensibility, key count, and the
//! properties that can change — writable or configurable — with their
//! attributes and values by identity; [`Baseline::unchanged`] compares. An
//! engine whose built-ins changed is not reused.
//!
//! Objects that were not reachable at the start cannot matter: to make one
//! reachable a call has to change an object that was.
//!
//! The check runs after every call, so its cost counts. Two things keep it
//! small, at a cost to scripts that is spelled out where they are done:
//! built-in methods are frozen ([`freeze_function`]), which takes about 470
//! of the 580 objects and 930 of the 1,650 properties out of it, and
//! read-only properties are locked ([`lock_read_only`]), another 130
//! properties. What remains — 110 objects and 590 properties, nearly all of
//! it boa's property lookups — is about a fifth of a warm call's CPU
//! (`cargo bench --bench script -- engine/reuse`: 88 µs).

use boa_engine::object::IntegrityLevel;
use boa_engine::object::shape::Shape;
use boa_engine::property::{PropertyDescriptor, PropertyKey};
use boa_engine::{Context, JsObject, JsValue};
use std::collections::HashSet;

/// One object as it was.
struct Snapshot {
    object: JsObject,
    /// Held so its address cannot be reused while the snapshot lives. A
    /// shared shape is immutable: the same shape means the same keys,
    /// attributes and prototype. A unique shape changes in place.
    shape: Shape,
    prototype: Option<JsObject>,
    extensible: bool,
    indexed: usize,
    /// How many own (non-index) keys there were.
    keys: usize,
    /// The properties that can change (writable or configurable), as they
    /// were; the others cannot, and are not compared.
    mutable: Vec<(PropertyKey, PropertyDescriptor)>,
}

/// The built-ins of one engine as they were when it was made.
pub(crate) struct Baseline {
    objects: Vec<Snapshot>,
}

impl Baseline {
    /// Records everything reachable from the global object of `ctx` (and the
    /// other [`roots`]), after freezing the built-in functions that are not
    /// constructors ([`freeze_function`]) and locking the read-only
    /// properties of the others ([`lock_read_only`]). Frozen objects are
    /// traversed but not recorded: nothing about them can change.
    pub(crate) fn take(ctx: &mut Context) -> Baseline {
        let function_prototype = ctx.intrinsics().constructors().function().prototype();
        let mut seen = HashSet::new();
        let mut pending = roots(ctx);
        let mut objects = Vec::new();
        while let Some(object) = pending.pop() {
            if !seen.insert(address(&object)) {
                continue;
            }
            if object.is_callable()
                && !object.is_constructor()
                && !JsObject::equals(&object, &function_prototype)
            {
                freeze_function(&object, ctx);
            } else {
                lock_read_only(&object, ctx);
            }
            let (snapshot, values) = snapshot(&object, ctx);
            pending.extend(snapshot.prototype.iter().cloned());
            pending.extend(values);
            if snapshot.extensible || !snapshot.mutable.is_empty() {
                objects.push(snapshot);
            }
        }
        Baseline { objects }
    }

    /// Whether every recorded object is as it was. Allocates only to count
    /// the keys of objects with a unique shape (which change in place).
    pub(crate) fn unchanged(&self, ctx: &mut Context) -> bool {
        self.objects.iter().all(|was| {
            if was.object.is_extensible(ctx).unwrap_or(false) != was.extensible {
                return false;
            }
            let o = was.object.borrow();
            let shape = o.shape();
            if shape.to_addr_usize() != was.shape.to_addr_usize() {
                return false;
            }
            // Same unique shape: the prototype is the same (changing it
            // makes a new shape), keys may have come or gone. Every key
            // recorded as mutable is looked up below; the others cannot be
            // deleted; so an equal count means no key was added either.
            if shape.is_unique() && shape.keys().len() != was.keys {
                return false;
            }
            let properties = o.properties();
            properties.index_property_keys().len() == was.indexed
                && was
                    .mutable
                    .iter()
                    .all(|(k, p)| properties.get(k).is_some_and(|now| same_property(&now, p)))
        })
    }

    /// How many objects are recorded.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.objects.len()
    }
}

/// Freezes a built-in function that is not a constructor (`Math.max`,
/// `Array.prototype.map`, accessors such as `get Map.prototype.size`), so
/// that it cannot change and needs no comparing: about 470 of the 580
/// built-in objects are such functions. What a script loses: adding
/// properties to a built-in method, or redefining its `name` or `length`
/// (`Math.max.memo = 1` is ignored, or a TypeError in strict code).
/// Constructors and prototypes — where polyfills go — stay extensible and
/// their methods writable, and are compared.
fn freeze_function(function: &JsObject, ctx: &mut Context) {
    // Cannot fail on an ordinary built-in function; if it did, the function
    // stays as it was and is compared like any other object.
    let _ = function.set_integrity_level(IntegrityLevel::Frozen, ctx);
}

/// Makes the read-only data properties of a built-in that may still be
/// redefined or deleted — the `name` and `length` of constructors, every
/// `Symbol.toStringTag` — non-configurable, so that they cannot change and
/// need no comparing (about 130 of the 720 properties compared otherwise).
/// What a script loses: `Object.defineProperty(Array, 'name', …)` and
/// `delete Math[Symbol.toStringTag]` fail. Writable properties (methods,
/// the constructors on the global object) stay as the language has them.
fn lock_read_only(object: &JsObject, ctx: &mut Context) {
    let keys = object.borrow().shape().keys();
    for key in keys {
        let own = object.borrow().properties().get(&key);
        if let Some(d) = own
            && d.writable() == Some(false)
            && d.configurable() == Some(true)
        {
            // Cannot fail on an ordinary extensible object; if it did, the
            // property stays configurable and is compared like any other.
            let _ = object.define_property_or_throw(
                key,
                PropertyDescriptor::builder().configurable(false),
                ctx,
            );
        }
    }
}

/// Where the walk starts: the global object, and the intrinsics a script
/// reaches only through the prototype of something it makes — the
/// prototypes of iterators (`[][Symbol.iterator]()`), of generator and async
/// functions (`function* () {}`), and so on. Every standard constructor and
/// its prototype is listed too, so no intrinsic depends on being a property
/// of the global object.
fn roots(ctx: &Context) -> Vec<JsObject> {
    let c = ctx.intrinsics().constructors();
    let constructors = [
        c.async_generator_function(),
        c.object(),
        c.proxy(),
        c.date(),
        c.function(),
        c.async_function(),
        c.generator_function(),
        c.array(),
        c.bigint(),
        c.number(),
        c.boolean(),
        c.string(),
        c.regexp(),
        c.symbol(),
        c.error(),
        c.reference_error(),
        c.type_error(),
        c.range_error(),
        c.syntax_error(),
        c.eval_error(),
        c.uri_error(),
        c.aggregate_error(),
        c.map(),
        c.set(),
        c.typed_array(),
        c.typed_int8_array(),
        c.typed_uint8_array(),
        c.typed_uint8clamped_array(),
        c.typed_int16_array(),
        c.typed_uint16_array(),
        c.typed_uint32_array(),
        c.typed_int32_array(),
        c.typed_bigint64_array(),
        c.typed_biguint64_array(),
        c.typed_float32_array(),
        c.typed_float64_array(),
        c.array_buffer(),
        c.shared_array_buffer(),
        c.data_view(),
        c.date_time_format(),
        c.promise(),
        c.weak_ref(),
        c.weak_map(),
        c.weak_set(),
        c.iterator(),
        c.finalization_registry(),
    ];
    let o = ctx.intrinsics().objects();
    let i = o.iterator_prototypes();
    let mut roots = vec![
        ctx.global_object(),
        o.throw_type_error().into(),
        o.generator(),
        o.async_generator(),
        i.array(),
        i.async_iterator(),
        i.async_from_sync_iterator(),
        i.set(),
        i.string(),
        i.regexp_string(),
        i.map(),
        i.iterator_helper(),
        i.wrap_for_valid_iterator(),
    ];
    for s in constructors {
        roots.push(s.constructor());
        roots.push(s.prototype());
    }
    roots
}

fn address(object: &JsObject) -> usize {
    std::ptr::from_ref(object.as_ref()).cast::<()>() as usize
}

/// The snapshot of `object`, and the objects its properties hold.
fn snapshot(object: &JsObject, ctx: &mut Context) -> (Snapshot, Vec<JsObject>) {
    // A proxy (the global object's prototype, see `engine`) answers
    // `is_extensible` through its target; ordinary objects answer directly.
    let extensible = object.is_extensible(ctx).unwrap_or(false);
    let o = object.borrow();
    let keys = o.shape().keys();
    let mut values = Vec::new();
    let mut mutable = Vec::new();
    for key in &keys {
        let Some(d) = o.properties().get(key) else {
            continue;
        };
        values.extend(
            [d.value(), d.get(), d.set()]
                .into_iter()
                .flatten()
                .filter_map(JsValue::as_object),
        );
        if d.writable() == Some(true) || d.configurable() != Some(false) {
            mutable.push((key.clone(), d));
        }
    }
    let snapshot = Snapshot {
        object: object.clone(),
        shape: o.shape().clone(),
        prototype: o.prototype(),
        extensible,
        indexed: o.properties().index_property_keys().len(),
        keys: keys.len(),
        mutable,
    };
    (snapshot, values)
}

fn same_property(a: &PropertyDescriptor, b: &PropertyDescriptor) -> bool {
    let same = |x: Option<&JsValue>, y: Option<&JsValue>| match (x, y) {
        (Some(x), Some(y)) => same_value(x, y),
        (None, None) => true,
        _ => false,
    };
    a.writable() == b.writable()
        && a.enumerable() == b.enumerable()
        && a.configurable() == b.configurable()
        && same(a.value(), b.value())
        && same(a.get(), b.get())
        && same(a.set(), b.set())
}

/// `SameValue`, with objects (nearly every value compared: methods)
/// compared by identity first: `JsValue::same_value` clones each operand
/// twice to get there, which was a fifth of the check.
fn same_value(x: &JsValue, y: &JsValue) -> bool {
    match (x.as_object(), y.as_object()) {
        (Some(x), Some(y)) => JsObject::equals(&x, &y),
        (None, None) => JsValue::same_value(x, y),
        _ => false,
    }
}
