//! What the origin was asked and what it answered, one record per request:
//! printed as one line by `vxb serve`, and read by tests ("was this fetched
//! again? conditionally? what did it answer?").

use std::sync::{Mutex, MutexGuard};

use bytes::Bytes;
use http::{Method, StatusCode};

/// One request and its answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogRecord {
    pub method: Method,
    /// The request target's path and query, as sent.
    pub target: String,
    pub if_none_match: Option<String>,
    pub if_modified_since: Option<String>,
    /// The `Cookie` header, if any (not printed; for cookie tests).
    pub cookie: Option<String>,
    /// The request's `Content-Type`, if any (not printed).
    pub content_type: Option<String>,
    /// The request body (a POST's form data; up to 1 MiB; not printed).
    pub body: Bytes,
    pub status: StatusCode,
    /// Body bytes sent (0 for HEAD and 304).
    pub bytes: u64,
}

impl LogRecord {
    /// Whether the request carried a validator.
    pub fn is_conditional(&self) -> bool {
        self.if_none_match.is_some() || self.if_modified_since.is_some()
    }

    /// The path without the query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }
}

impl LogRecord {
    /// What `vxb serve`'s log line adds after the common fields: the
    /// request's validators, `if-none-match="\"3-5\""` (empty without).
    pub fn validators(&self) -> String {
        let mut out = Vec::new();
        if let Some(v) = &self.if_none_match {
            out.push(format!("if-none-match={v:?}"));
        }
        if let Some(v) = &self.if_modified_since {
            out.push(format!("if-modified-since={v:?}"));
        }
        out.join(" ")
    }
}

/// Every request the origin answered, in order.
#[derive(Debug, Default)]
pub struct RequestLog {
    records: Mutex<Vec<LogRecord>>,
}

impl RequestLog {
    fn lock(&self) -> MutexGuard<'_, Vec<LogRecord>> {
        self.records.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn push(&self, record: LogRecord) {
        self.lock().push(record);
    }

    /// A copy of every record so far.
    pub fn records(&self) -> Vec<LogRecord> {
        self.lock().clone()
    }

    /// The records for one path (query ignored).
    pub fn for_path(&self, path: &str) -> Vec<LogRecord> {
        self.lock()
            .iter()
            .filter(|r| r.path() == path)
            .cloned()
            .collect()
    }

    /// How many requests there were for `path`.
    pub fn requests(&self, path: &str) -> usize {
        self.lock().iter().filter(|r| r.path() == path).count()
    }

    /// How many requests for `path` carried a validator.
    pub fn conditional(&self, path: &str) -> usize {
        self.lock()
            .iter()
            .filter(|r| r.path() == path && r.is_conditional())
            .count()
    }

    /// The statuses answered for `path`, in order.
    pub fn statuses(&self, path: &str) -> Vec<u16> {
        self.lock()
            .iter()
            .filter(|r| r.path() == path)
            .map(|r| r.status.as_u16())
            .collect()
    }

    /// How many requests there were in all.
    pub fn total(&self) -> usize {
        self.lock().len()
    }

    /// Body bytes sent in all.
    pub fn total_bytes(&self) -> u64 {
        self.lock().iter().map(|r| r.bytes).sum()
    }

    /// Forgets every record (between phases of a test).
    pub fn clear(&self) {
        self.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(target: &str, inm: Option<&str>, status: u16, bytes: u64) -> LogRecord {
        LogRecord {
            method: Method::GET,
            target: target.to_string(),
            if_none_match: inm.map(str::to_string),
            if_modified_since: None,
            cookie: None,
            content_type: None,
            body: Bytes::new(),
            status: StatusCode::from_u16(status).expect("test status"),
            bytes,
        }
    }

    #[test]
    fn the_validators_are_quoted_and_absent_without_any() {
        assert_eq!(record("/a.vxml", None, 200, 12).validators(), "");
        let mut r = record("/a.vxml?x=1", Some("\"3-5\""), 304, 0);
        assert_eq!(r.validators(), r#"if-none-match="\"3-5\"""#);
        r.if_modified_since = Some("Mon, 01 Jan 2024 00:00:00 GMT".into());
        assert_eq!(
            r.validators(),
            r#"if-none-match="\"3-5\"" if-modified-since="Mon, 01 Jan 2024 00:00:00 GMT""#
        );
    }

    #[test]
    fn counts_by_path() {
        let log = RequestLog::default();
        log.push(record("/a.vxml", None, 200, 10));
        log.push(record("/a.vxml?q=1", Some("\"x\""), 304, 0));
        log.push(record("/b.vxml", None, 404, 5));
        assert_eq!(log.requests("/a.vxml"), 2);
        assert_eq!(log.conditional("/a.vxml"), 1);
        assert_eq!(log.statuses("/a.vxml"), vec![200, 304]);
        assert_eq!(log.for_path("/b.vxml").len(), 1);
        assert_eq!(log.total(), 3);
        assert_eq!(log.total_bytes(), 15);
        log.clear();
        assert_eq!(log.total(), 0);
    }
}
