//! Properties by scope (VoiceXML 2.0 §6.3) and the fetch attributes that
//! fall back on them (§6.1.1): how a fetching element becomes a
//! [`FetchRequest`].
//!
//! A `<property>` holds for the element it is in and everything inside it,
//! so the value in force is the innermost one: form item, dialog, document,
//! application root. A fetch takes each of `maxage`, `maxstale` and
//! `fetchtimeout` from the element's attribute, else from the innermost
//! `<type>maxage` / `<type>maxstale` / `fetchtimeout` property, else leaves
//! it to the configuration (`fetch.timeout`, and no request directive: the
//! response's own freshness decides). The application root is fetched with
//! the document's values: VoiceXML has no `contextmaxage`.

use std::time::Duration;

use crate::fetch::FetchRequest;
use crate::grammar::Mode;
use crate::resource::ResourceType;
use crate::vxml::{FetchAttrs, Property, parse_time};

use super::events::Event;

/// The properties in force at one place, innermost scope first, each layer
/// with the name of the document it is written in (for messages).
#[derive(Default)]
pub(crate) struct Properties<'a> {
    layers: Vec<(&'a str, &'a [Property])>,
}

impl<'a> Properties<'a> {
    /// Adds the next scope outwards.
    pub fn push(&mut self, source: &'a str, properties: &'a [Property]) {
        if !properties.is_empty() {
            self.layers.push((source, properties));
        }
    }

    /// The innermost `<property name>` (the last one, within a scope).
    pub fn get(&self, name: &str) -> Option<(&'a str, &'a Property)> {
        self.layers.iter().find_map(|&(source, props)| {
            props
                .iter()
                .rev()
                .find(|p| p.name == name)
                .map(|p| (source, p))
        })
    }

    /// A property giving whole seconds (`documentmaxage`…).
    fn seconds(&self, name: &str) -> Result<Option<Duration>, Event> {
        let Some((source, p)) = self.get(name) else {
            return Ok(None);
        };
        p.value
            .trim()
            .parse::<u64>()
            .map(|s| Some(Duration::from_secs(s)))
            .map_err(|_| bad_value(source, p, "a whole number of seconds"))
    }

    /// A property giving a time designation (`fetchtimeout`: `5s`, `500ms`).
    pub(crate) fn time(&self, name: &str) -> Result<Option<Duration>, Event> {
        let Some((source, p)) = self.get(name) else {
            return Ok(None);
        };
        parse_time(&p.value)
            .map(Some)
            .ok_or_else(|| bad_value(source, p, "a time such as 5s or 500ms"))
    }

    /// `inputmodes` (VoiceXML 2.0 §6.3.6): the modes the caller is heard
    /// in, `dtmf voice` unless a property says otherwise (an empty value
    /// hears neither).
    pub(crate) fn input_modes(&self) -> Result<Vec<Mode>, Event> {
        let Some((source, p)) = self.get("inputmodes") else {
            return Ok(vec![Mode::Dtmf, Mode::Voice]);
        };
        p.value
            .split_whitespace()
            .map(|m| match m {
                "dtmf" => Ok(Mode::Dtmf),
                "voice" => Ok(Mode::Voice),
                _ => Err(bad_value(source, p, "dtmf, voice or both")),
            })
            .collect()
    }

    /// Sets the request's `maxage`, `maxstale` and timeout from `attrs`,
    /// falling back on these properties for the request's resource type.
    pub fn apply(&self, req: &mut FetchRequest, attrs: &FetchAttrs) -> Result<(), Event> {
        let prefix = prefix(req.rtype);
        req.max_age = match attrs.maxage {
            Some(s) => Some(Duration::from_secs(s)),
            None => self.seconds(&format!("{prefix}maxage"))?,
        };
        req.max_stale = match attrs.maxstale {
            Some(s) => Some(Duration::from_secs(s)),
            None => self.seconds(&format!("{prefix}maxstale"))?,
        };
        req.timeout = match attrs.fetchtimeout {
            Some(t) => Some(t),
            None => self.time("fetchtimeout")?,
        };
        Ok(())
    }
}

/// The property name prefix of a resource type (`documentmaxage`…).
/// The prefix of a resource type's fetch properties (`audio` of `audiomaxage`).
pub(crate) fn prefix(rtype: ResourceType) -> &'static str {
    match rtype {
        ResourceType::Document | ResourceType::Context => "document",
        ResourceType::Script => "script",
        ResourceType::Data => "data",
        ResourceType::Audio => "audio",
        ResourceType::Grammar => "grammar",
    }
}

fn bad_value(source: &str, p: &Property, expected: &str) -> Event {
    Event::semantic(format!(
        "{source}:{}: <property name=\"{}\" value=\"{}\">: expected {expected}",
        p.span, p.name, p.value
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::Referrer;
    use crate::vxml::Span;
    use url::Url;

    fn prop(name: &str, value: &str) -> Property {
        Property {
            name: name.into(),
            value: value.into(),
            span: Span { line: 3, column: 5 },
        }
    }

    fn request(rtype: ResourceType) -> FetchRequest {
        FetchRequest::get(
            Url::parse("http://h/x").expect("url"),
            rtype,
            Referrer::User,
        )
    }

    #[test]
    fn attributes_win_then_the_innermost_property() {
        let item = [prop("scriptmaxage", "5")];
        let doc = [
            prop("scriptmaxage", "50"),
            prop("scriptmaxstale", "7"),
            prop("fetchtimeout", "2s"),
        ];
        let root = [prop("documentmaxage", "600")];
        let mut p = Properties::default();
        p.push("leaf.vxml", &item);
        p.push("leaf.vxml", &doc);
        p.push("root.vxml", &root);

        let mut req = request(ResourceType::Script);
        p.apply(&mut req, &FetchAttrs::default()).expect("valid");
        assert_eq!(req.max_age, Some(Duration::from_secs(5)));
        assert_eq!(req.max_stale, Some(Duration::from_secs(7)));
        assert_eq!(req.timeout, Some(Duration::from_secs(2)));

        let attrs = FetchAttrs {
            maxage: Some(1),
            fetchtimeout: Some(Duration::from_millis(300)),
            ..FetchAttrs::default()
        };
        p.apply(&mut req, &attrs).expect("valid");
        assert_eq!(req.max_age, Some(Duration::from_secs(1)));
        assert_eq!(req.timeout, Some(Duration::from_millis(300)));

        let mut req = request(ResourceType::Context);
        p.apply(&mut req, &FetchAttrs::default()).expect("valid");
        assert_eq!(
            req.max_age,
            Some(Duration::from_secs(600)),
            "root's documentmaxage"
        );
        assert_eq!(req.max_stale, None);

        let mut req = request(ResourceType::Audio);
        p.apply(&mut req, &FetchAttrs::default()).expect("valid");
        assert_eq!(
            req.max_age, None,
            "no audiomaxage anywhere: the cache decides"
        );
    }

    #[test]
    fn a_bad_property_value_is_a_semantic_error_naming_it() {
        let doc = [prop("datamaxage", "soon")];
        let mut p = Properties::default();
        p.push("app.vxml", &doc);
        let e = p
            .apply(&mut request(ResourceType::Data), &FetchAttrs::default())
            .expect_err("refused");
        assert_eq!(e.name, "error.semantic");
        let m = e.message_text();
        assert!(m.starts_with("app.vxml:3:5:"), "{m}");
        assert!(m.contains("datamaxage") && m.contains("seconds"), "{m}");
        let doc = [prop("fetchtimeout", "7 seconds")];
        let mut p = Properties::default();
        p.push("app.vxml", &doc);
        assert!(
            p.apply(&mut request(ResourceType::Document), &FetchAttrs::default())
                .is_err()
        );
    }
}
