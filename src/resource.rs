//! The six kinds of resource a voice browser fetches, and a small map keyed by them.
//!
//! Every fetch carries a [`ResourceType`]: it selects the cache budget, the
//! `*maxage` / `*maxstale` properties and the statistics bucket. [`PerType`]
//! keeps one value per type without a hash map, so "one type never touches
//! another's budget" is a matter of indexing, not of discipline.

use std::fmt;
use std::str::FromStr;

/// What a fetched resource is used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ResourceType {
    /// A VoiceXML page reached by goto/submit/subdialog, or a call's first page.
    Document,
    /// An application root document named by `<vxml application=…>`.
    Context,
    /// `<script src>`.
    Script,
    /// `<data src>`.
    Data,
    /// `<audio src>` and `fetchaudio`.
    Audio,
    /// `<grammar src>`.
    Grammar,
}

impl ResourceType {
    /// Every type, in a fixed order (the order of [`PerType`]'s slots).
    pub const ALL: [ResourceType; 6] = [
        ResourceType::Document,
        ResourceType::Context,
        ResourceType::Script,
        ResourceType::Data,
        ResourceType::Audio,
        ResourceType::Grammar,
    ];

    /// The URL extensions a type is known by where nothing else says what a
    /// resource is for (a request to `vxb proxy`, a `refresh_pattern` of the
    /// shared tier). Documents are the rest (`.vxml`, no extension);
    /// application roots cannot be told from documents.
    pub const EXTENSIONS: [(ResourceType, &'static [&'static str]); 5] = [
        (
            ResourceType::Audio,
            &["wav", "mp3", "au", "ulaw", "alaw", "ogg"],
        ),
        (ResourceType::Script, &["js", "mjs"]),
        (ResourceType::Grammar, &["grxml", "gram", "srgs"]),
        (ResourceType::Data, &["json", "xml"]),
        (ResourceType::Document, &["vxml"]),
    ];

    /// The type a URL path's extension names ([`Self::EXTENSIONS`]);
    /// document for any other.
    pub fn by_extension(path: &str) -> ResourceType {
        let name = path.rsplit('/').next().unwrap_or_default();
        let Some((_, ext)) = name.rsplit_once('.') else {
            return ResourceType::Document;
        };
        ResourceType::EXTENSIONS
            .iter()
            .find(|(_, exts)| exts.iter().any(|e| e.eq_ignore_ascii_case(ext)))
            .map_or(ResourceType::Document, |(t, _)| *t)
    }

    /// The lower-case name used in configuration, reports and the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceType::Document => "document",
            ResourceType::Context => "context",
            ResourceType::Script => "script",
            ResourceType::Data => "data",
            ResourceType::Audio => "audio",
            ResourceType::Grammar => "grammar",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The name given was not one of the six resource types.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown resource type `{0}` (expected document, context, script, data, audio or grammar)")]
pub struct UnknownResourceType(pub String);

impl FromStr for ResourceType {
    type Err = UnknownResourceType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ResourceType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| UnknownResourceType(s.to_string()))
    }
}

/// One `T` per resource type.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PerType<T>([T; 6]);

impl<T> PerType<T> {
    /// Builds the map by calling `f` once per type, in [`ResourceType::ALL`] order.
    pub fn from_fn(mut f: impl FnMut(ResourceType) -> T) -> Self {
        PerType(ResourceType::ALL.map(&mut f))
    }

    /// `(type, value)` pairs in [`ResourceType::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = (ResourceType, &T)> {
        ResourceType::ALL.into_iter().zip(self.0.iter())
    }
}

/// Serialized as a map from type name to value (`{"document": …, "audio": …}`),
/// so reports read the same as the configuration.
impl<T: serde::Serialize> serde::Serialize for PerType<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter().map(|(t, v)| (t.as_str(), v)))
    }
}

impl<T> std::ops::Index<ResourceType> for PerType<T> {
    type Output = T;
    fn index(&self, t: ResourceType) -> &T {
        &self.0[t.index()]
    }
}

impl<T> std::ops::IndexMut<ResourceType> for PerType<T> {
    fn index_mut(&mut self, t: ResourceType) -> &mut T {
        &mut self.0[t.index()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in ResourceType::ALL {
            assert_eq!(t.as_str().parse::<ResourceType>(), Ok(t));
            assert_eq!(t.to_string(), t.as_str());
        }
        assert!("video".parse::<ResourceType>().is_err());
    }

    #[test]
    fn per_type_slots_are_independent() {
        let mut m = PerType::from_fn(|t| t.as_str().len());
        m[ResourceType::Audio] = 99;
        assert_eq!(m[ResourceType::Audio], 99);
        assert_eq!(m[ResourceType::Data], 4);
        let names: Vec<_> = m.iter().map(|(t, _)| t).collect();
        assert_eq!(names, ResourceType::ALL);
    }

    #[test]
    fn per_type_serializes_as_a_map_by_type_name() {
        let m = PerType::from_fn(|t| t as u8);
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(
            json,
            r#"{"document":0,"context":1,"script":2,"data":3,"audio":4,"grammar":5}"#
        );
    }
}
