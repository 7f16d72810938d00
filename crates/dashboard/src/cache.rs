//! The per-camera cache of detection records, and the merged query over all cameras.
//!
//! Records are kept as the worker sent them (any field passes through) with the few parsed
//! fields the filters need; only the newest `CACHE_RECORDS` of a camera keep their text, the
//! rest keep the parsed fields alone (a page showing one asks its worker for it), so what
//! grows with the years of records is an index entry each, not their text (docs/dashboard.md
//! has the figures). The worker stays the source of truth: a full read replaces the cache, an
//! incremental one merges into it. Changes made through the dashboard while a read is on its
//! way are logged and laid over its result, so a stale page never brings back a record that
//! was just deleted or undoes a label just set.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

/// One cached record.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: String,
    pub start: DateTime<Utc>,
    pub confidence: f64,
    /// `meteor`, `not_meteor` or `None`.
    pub label: Option<String>,
    /// The record as JSON text (a parsed `Value` of a record with its track took about four
    /// times the memory); `None` once it is past the newest `CACHE_RECORDS`.
    record: Option<Arc<str>>,
}

impl Entry {
    /// Parses a worker's record (`id` and `start_time` are required).
    pub fn from_value(v: Value) -> Option<Entry> {
        // The text is what the entry keeps; read back, it gives the same fields as a page.
        Entry::from_raw(&RawValue::from_string(v.to_string()).ok()?, true)
    }

    /// Parses a worker's record from its text, keeping the text when `whole`. Only the
    /// filters' fields are parsed: a page of records read this way never exists as `Value`s,
    /// which took some 12 KiB a record with its track and left the allocator holding tens of
    /// MiB after a full read.
    pub fn from_raw(raw: &RawValue, whole: bool) -> Option<Entry> {
        #[derive(Deserialize)]
        struct Fields {
            id: String,
            start_time: String,
            #[serde(default)]
            confidence: Value,
            #[serde(default)]
            label: Value,
        }
        let f: Fields = serde_json::from_str(raw.get()).ok()?;
        let start = DateTime::parse_from_rfc3339(&f.start_time)
            .ok()?
            .with_timezone(&Utc);
        Some(Entry {
            id: f.id,
            start,
            confidence: f.confidence.as_f64().unwrap_or(0.0),
            label: f
                .label
                .as_str()
                .filter(|l| !l.is_empty() && *l != "none")
                .map(str::to_string),
            record: whole.then(|| raw.get().into()),
        })
    }

    /// Whether the record's text is here (else its worker has it).
    pub fn has_record(&self) -> bool {
        self.record.is_some()
    }

    /// Drops the record's text, keeping what the filters need.
    pub fn forget_record(&mut self) {
        self.record = None;
    }

    /// The record as the worker sent it; without its text, the fields the cache keeps.
    pub fn record(&self) -> Value {
        match &self.record {
            // Written from a parsed `Value` or a raw value serde_json checked, so it parses.
            Some(text) => serde_json::from_str(text).unwrap_or_default(),
            None => serde_json::json!({
                "id": self.id,
                "start_time": self.start.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "confidence": self.confidence,
                "label": self.label,
            }),
        }
    }
}

/// A change made through the dashboard: the new entry, or `None` for a deletion.
type Edit = (String, Option<Entry>);

#[derive(Debug, Default)]
pub struct DetectionCache {
    entries: HashMap<String, Entry>,
    /// How many of the newest records keep their text (`None`: all).
    keep: Option<usize>,
    /// The newest record whose text the last trim forgot: an edit of one as old or older
    /// forgets it too.
    forgot_from: Option<(DateTime<Utc>, String)>,
    /// A full read has completed at least once.
    pub synced: bool,
    pub last_full: Option<Instant>,
    pub last_error: Option<String>,
    /// Local changes since the read in progress began.
    edits: Vec<Edit>,
    reading: bool,
}

impl DetectionCache {
    /// A cache whose newest `keep` records keep their text.
    pub fn keeping(keep: usize) -> DetectionCache {
        DetectionCache {
            keep: Some(keep),
            ..DetectionCache::default()
        }
    }

    /// How many records a full read keeps whole (the worker lists newest first).
    pub fn keep(&self) -> Option<usize> {
        self.keep
    }

    /// Records whose text is held.
    pub fn whole(&self) -> usize {
        self.entries.values().filter(|e| e.has_record()).count()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.entries.get(id)
    }

    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.values()
    }

    /// Start of the newest record.
    pub fn newest_start(&self) -> Option<DateTime<Utc>> {
        self.entries.values().map(|e| e.start).max()
    }

    /// Marks the start of a read from the worker: changes from now on are kept to lay over it.
    pub fn begin_read(&mut self) {
        self.reading = true;
        self.edits.clear();
    }

    /// Ends a read that failed.
    pub fn abort_read(&mut self, error: String) {
        self.reading = false;
        self.edits.clear();
        self.last_error = Some(error);
    }

    /// A full read: the worker's whole list replaces the cache.
    pub fn finish_full(&mut self, entries: Vec<Entry>) {
        self.entries = entries.into_iter().map(|e| (e.id.clone(), e)).collect();
        self.finish();
        self.synced = true;
        self.last_full = Some(Instant::now());
    }

    /// An incremental read: new and changed records are merged in.
    pub fn finish_incremental(&mut self, entries: Vec<Entry>) {
        for e in entries {
            self.entries.insert(e.id.clone(), e);
        }
        self.finish();
    }

    fn finish(&mut self) {
        self.reading = false;
        self.last_error = None;
        for (id, edit) in std::mem::take(&mut self.edits) {
            self.put(id, edit);
        }
        self.trim();
    }

    /// Forgets the text of every record but the newest `keep`.
    fn trim(&mut self) {
        let Some(keep) = self.keep else { return };
        if self.whole() <= keep && self.forgot_from.is_some() {
            // Nothing to forget, and edits already know where the cut is.
            return;
        }
        let mut all: Vec<(DateTime<Utc>, &str, bool)> = self
            .entries
            .values()
            .map(|e| (e.start, e.id.as_str(), e.has_record()))
            .collect();
        all.sort_unstable_by(|a, b| (b.0, b.1).cmp(&(a.0, a.1)));
        self.forgot_from = all.get(keep).map(|(t, id, _)| (*t, id.to_string()));
        let older: Vec<String> = all
            .iter()
            .skip(keep)
            .filter(|(_, _, whole)| *whole)
            .map(|(_, id, _)| id.to_string())
            .collect();
        for id in older {
            if let Some(e) = self.entries.get_mut(&id) {
                e.forget_record();
            }
        }
    }

    fn put(&mut self, id: String, edit: Option<Entry>) {
        match edit {
            Some(e) => {
                self.entries.insert(id, e);
            }
            None => {
                self.entries.remove(&id);
            }
        }
    }

    /// A change the worker confirmed: applied now, and again over the read in progress.
    pub fn edit(&mut self, id: &str, mut edit: Option<Entry>) {
        if let (Some(e), Some((t, from))) = (edit.as_mut(), &self.forgot_from) {
            if (e.start, e.id.as_str()) <= (*t, from.as_str()) {
                e.forget_record();
            }
        }
        if self.reading {
            self.edits.push((id.to_string(), edit.clone()));
        }
        self.put(id.to_string(), edit);
    }
}

/// Which labels a query keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LabelFilter {
    #[default]
    Any,
    Meteor,
    NotMeteor,
    /// Not labelled yet.
    None,
    /// Everything but `not_meteor`.
    Kept,
}

impl std::str::FromStr for LabelFilter {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "" | "any" | "all" => Ok(LabelFilter::Any),
            "meteor" => Ok(LabelFilter::Meteor),
            "not_meteor" => Ok(LabelFilter::NotMeteor),
            "none" | "unlabelled" | "unlabeled" => Ok(LabelFilter::None),
            "kept" => Ok(LabelFilter::Kept),
            _ => Err(format!(
                "label: expected meteor, not_meteor, none (unlabelled), kept (all but \
                 not_meteor) or any, got {s:?}"
            )),
        }
    }
}

impl LabelFilter {
    fn keeps(self, label: Option<&str>) -> bool {
        match self {
            LabelFilter::Any => true,
            LabelFilter::Meteor => label == Some("meteor"),
            LabelFilter::NotMeteor => label == Some("not_meteor"),
            LabelFilter::None => label.is_none(),
            LabelFilter::Kept => label != Some("not_meteor"),
        }
    }
}

/// A merged query over several cameras' caches.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Only these cameras (empty: all).
    pub cameras: Vec<String>,
    pub since: Option<DateTime<Utc>>,
    /// Exclusive.
    pub until: Option<DateTime<Utc>>,
    pub label: LabelFilter,
    pub min_confidence: Option<f64>,
    pub limit: usize,
    pub offset: usize,
}

impl Query {
    pub fn keeps(&self, camera: &str, e: &Entry) -> bool {
        (self.cameras.is_empty() || self.cameras.iter().any(|c| c == camera))
            && self.since.is_none_or(|t| e.start >= t)
            && self.until.is_none_or(|t| e.start < t)
            && self.label.keeps(e.label.as_deref())
            && self.min_confidence.is_none_or(|c| e.confidence >= c)
    }

    /// Newest first (ties by camera and id, so pages are stable): the matching count and the
    /// requested page.
    pub fn run<'a>(
        &self,
        caches: impl IntoIterator<Item = (&'a str, &'a DetectionCache)>,
    ) -> (usize, Vec<(&'a str, &'a Entry)>) {
        let mut hits: Vec<(&str, &Entry)> = caches
            .into_iter()
            .flat_map(|(cam, c)| c.entries().map(move |e| (cam, e)))
            .filter(|(cam, e)| self.keeps(cam, e))
            .collect();
        hits.sort_unstable_by(|a, b| {
            b.1.start
                .cmp(&a.1.start)
                .then_with(|| a.0.cmp(b.0))
                .then_with(|| b.1.id.cmp(&a.1.id))
        });
        let total = hits.len();
        let page = hits
            .into_iter()
            .skip(self.offset)
            .take(self.limit)
            .collect();
        (total, page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(id: &str, t: &str, conf: f64, label: Option<&str>) -> Entry {
        Entry::from_value(json!({"id": id, "start_time": t, "confidence": conf, "label": label}))
            .unwrap()
    }

    #[test]
    fn an_entry_gives_back_the_record_it_was_made_from() {
        let v = json!({"id": "a", "start_time": "2026-11-23T01:00:00.000Z", "confidence": 0.9,
            "label": null, "clip": "meteor_a.mp4", "future_field": {"x": [1, 2.5]},
            "track": [[0.1, 10.0, 20.5], [0.2, 12.0, 21.0]]});
        assert_eq!(Entry::from_value(v.clone()).unwrap().record(), v);
        // Read from a worker's page: the same, from the text as it came.
        let text = serde_json::to_string_pretty(&v).unwrap();
        let raw = RawValue::from_string(text).unwrap();
        let e = Entry::from_raw(&raw, true).unwrap();
        assert_eq!((e.id.as_str(), e.confidence, e.record()), ("a", 0.9, v));
        assert!(!Entry::from_raw(&raw, false).unwrap().has_record());
        let bad = RawValue::from_string(r#"{"id": "b", "start_time": "yesterday"}"#.into());
        assert!(Entry::from_raw(&bad.unwrap(), true).is_none());
    }

    #[test]
    fn edits_made_during_a_read_win_over_it() {
        let mut c = DetectionCache::default();
        c.finish_full(vec![rec("a", "2026-11-23T01:00:00.000Z", 0.9, None)]);
        c.begin_read();
        c.edit("a", None);
        c.edit(
            "b",
            Some(rec("b", "2026-11-23T02:00:00.000Z", 0.5, Some("meteor"))),
        );
        // The read started before the changes and still has the old state.
        c.finish_full(vec![
            rec("a", "2026-11-23T01:00:00.000Z", 0.9, None),
            rec("b", "2026-11-23T02:00:00.000Z", 0.5, None),
        ]);
        assert!(c.get("a").is_none());
        assert_eq!(c.get("b").unwrap().label.as_deref(), Some("meteor"));
        // Later reads are not overridden any more.
        c.begin_read();
        c.finish_incremental(vec![rec("b", "2026-11-23T02:00:00.000Z", 0.5, None)]);
        assert_eq!(c.get("b").unwrap().label, None);
    }

    #[test]
    fn merged_query_filters_sorts_and_pages() {
        let mut a = DetectionCache::default();
        a.finish_full(vec![
            rec("a1", "2026-11-23T01:00:00.000Z", 0.9, Some("meteor")),
            rec("a2", "2026-11-23T03:00:00.000Z", 0.4, None),
        ]);
        let mut b = DetectionCache::default();
        b.finish_full(vec![rec(
            "b1",
            "2026-11-23T02:00:00.000Z",
            0.8,
            Some("not_meteor"),
        )]);
        let caches = [("a", &a), ("b", &b)];
        let q = Query {
            limit: 10,
            ..Query::default()
        };
        let (total, page) = q.run(caches);
        assert_eq!(total, 3);
        let ids: Vec<&str> = page.iter().map(|(_, e)| e.id.as_str()).collect();
        assert_eq!(ids, ["a2", "b1", "a1"]);
        let q = Query {
            limit: 1,
            offset: 1,
            ..Query::default()
        };
        let (total, page) = q.run(caches);
        assert_eq!((total, page[0].1.id.as_str()), (3, "b1"));
        let q = Query {
            min_confidence: Some(0.5),
            label: LabelFilter::Meteor,
            limit: 10,
            ..Query::default()
        };
        assert_eq!(q.run(caches).0, 1);
        let q = Query {
            cameras: vec!["b".into()],
            since: Some("2026-11-23T02:00:00Z".parse().unwrap()),
            until: Some("2026-11-23T03:00:00Z".parse().unwrap()),
            limit: 10,
            ..Query::default()
        };
        let (total, page) = q.run(caches);
        assert_eq!((total, page[0].0), (1, "b"));
        assert_eq!("none".parse::<LabelFilter>(), Ok(LabelFilter::None));
        let q = Query {
            label: LabelFilter::Kept,
            limit: 10,
            ..Query::default()
        };
        assert_eq!(q.run(caches).0, 2);
        assert!("maybe".parse::<LabelFilter>().is_err());
    }

    #[test]
    fn only_the_newest_records_keep_their_text() {
        let full = |id: &str, h: u32| {
            Entry::from_value(
                json!({"id": id, "start_time": format!("2026-11-23T0{h}:00:00.000Z"),
                "confidence": 0.5, "label": null, "clip": format!("{id}.mp4")}),
            )
            .unwrap()
        };
        let mut c = DetectionCache::keeping(2);
        c.finish_full((1..=5).map(|h| full(&format!("r{h}"), h)).collect());
        assert_eq!((c.len(), c.whole()), (5, 2));
        assert!(c.get("r5").unwrap().has_record() && c.get("r4").unwrap().has_record());
        let old = c.get("r3").unwrap();
        assert!(!old.has_record());
        // Without its text an entry still answers with what the filters use.
        assert_eq!(
            old.record(),
            json!({"id": "r3", "start_time": "2026-11-23T03:00:00.000Z", "confidence": 0.5,
                "label": null})
        );
        // A label set on an old record does not bring its text back into the cache...
        let mut labelled = full("r1", 1);
        labelled.label = Some("meteor".into());
        c.edit("r1", Some(labelled));
        assert!(!c.get("r1").unwrap().has_record());
        assert_eq!(c.get("r1").unwrap().label.as_deref(), Some("meteor"));
        // ...a new record pushes the oldest whole one out...
        c.begin_read();
        c.finish_incremental(vec![full("r6", 6)]);
        assert_eq!(c.whole(), 2);
        assert!(c.get("r6").unwrap().has_record() && !c.get("r4").unwrap().has_record());
        // ...and an unbounded cache keeps them all.
        let mut all = DetectionCache::default();
        all.finish_full((1..=5).map(|h| full(&format!("r{h}"), h)).collect());
        assert_eq!(all.whole(), 5);
    }
}
