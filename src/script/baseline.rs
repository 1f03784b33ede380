//! What a fresh engine's built-ins look like, to tell whether a call
//! changed them.
//!
//! An engine is reused from call to call (see `shelf`), and a call must never
//! observe what an earlier one left behind. The scopes are the engine's own
//! and are simply dropped; the built-ins — the global object, every
//! constructor, prototype, namespace and function reachable from it — are
//! the context's and outlive a call. Scripts may change them
//! (`Array.prototype.x = …`, `Math.random = …`, `Object.freeze(JSON)`,
//! a global made by an indirect `eval`), legitimately within their call.
//! Undoing that is not possible in general, so a [`Baseline`] taken when the
//! engine is made records, for every object reachable from the global
//! object through properties, accessors and prototypes (about 540), its
//! shape (a shared shape settles keys, attributes and prototype; a unique
//! one changes in place), extensibility, key count, and the properties that
//! can change — writable or configurable — with their attributes and values
//! by identity; [`Baseline::unchanged`] compares. An engine whose built-ins
//! changed is not reused.
//!
//! Objects that were not reachable at the start cannot matter: to make one
//! reachable a call has to change an object that was.
//!
//! The check runs after every call, so its cost counts: it is about a fifth
//! of a warm call's CPU, almost all of it boa's property lookups.

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
    /// Records everything reachable from the global object of `ctx`, after
    /// making the `length` and `name` of built-in functions that are not
    /// constructors non-configurable (see [`lock_function`]).
    pub(crate) fn take(ctx: &mut Context) -> Baseline {
        let function_prototype = ctx.intrinsics().constructors().function().prototype();
        let mut seen = HashSet::new();
        let mut pending = vec![ctx.global_object()];
        let mut objects = Vec::new();
        while let Some(object) = pending.pop() {
            if !seen.insert(address(&object)) {
                continue;
            }
            if object.is_callable()
                && !object.is_constructor()
                && !JsObject::equals(&object, &function_prototype)
            {
                lock_function(&object, ctx);
            }
            let (snapshot, values) = snapshot(&object, ctx);
            pending.extend(snapshot.prototype.iter().cloned());
            pending.extend(values);
            objects.push(snapshot);
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

/// Makes the non-writable properties of a built-in function that is not a
/// constructor (its `length` and `name`) non-configurable, so that they
/// cannot change and need no comparing: about 440 of the 540 built-in
/// objects are such functions, and comparing their values was half the
/// cost of the check. What a script loses: redefining or deleting the
/// `name` or `length` of a built-in method (`Object.defineProperty(Math.max,
/// 'name', …)` throws a TypeError). Adding properties to one still works
/// (and makes the engine not reused).
fn lock_function(function: &JsObject, ctx: &mut Context) {
    let keys = function.borrow().shape().keys();
    for key in keys {
        let own = function.borrow().properties().get(&key);
        if let Some(d) = own
            && d.writable() == Some(false)
            && d.configurable() == Some(true)
        {
            // Cannot fail on an extensible ordinary function; if it did, the
            // property stays configurable and is compared like any other.
            let _ = function.define_property_or_throw(
                key,
                PropertyDescriptor::builder().configurable(false),
                ctx,
            );
        }
    }
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
        (Some(x), Some(y)) => JsValue::same_value(x, y),
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
