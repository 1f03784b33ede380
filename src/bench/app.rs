//! The benchmark application: a VoiceXML 2.1 application written into a
//! directory for `vxb serve`, the rules file giving its resources realistic
//! caching headers, and the plan of each simulated call.
//!
//! # Layout (under `DIR/site/`)
//!
//! - `root.vxml` — the application root (**context**): app-scope `<var>`s and
//!   `<script src="scripts/lib.js">`, whose `topicUrl(n)` and `clip(n)` every
//!   document uses.
//! - `main.vxml` — the start document: `<script src="scripts/menu.js">`,
//!   `<data src="data/catalog.xml">`, the welcome prompt, then a
//!   `<field type="digits">` whose value picks the first topic
//!   (`<goto expr="topicUrl(topic)">` in the next `<block>`).
//! - `topic1.vxml` … `topicN.vxml` — one document per topic: a script shared
//!   by a group of topics (`scripts/topic-G.js`), its own `<data>`, then
//!   `prompts_per_topic` digits fields, each followed by a block playing
//!   `<audio expr="clip(p)">`, and a last digits field: another topic's
//!   number (`<goto expr>`) or `0` (`<exit/>`).
//! - `audio/welcome.wav`, `audio/p1.wav` … — 8 kHz µ-law prompts of
//!   log-uniformly varied length (`prompt_seconds`).
//!
//! # How popularity reaches static documents
//!
//! The documents are static (so every one of them is cacheable) and use only
//! `<block>`, `<field type="digits">`, `<goto expr>`, `<audio src|expr>`,
//! `<script src>`, `<data>`, `<var>`, `<if>`, `<value>` and `<exit>`. Which
//! topics and prompts a call visits is the **caller's choice**: a sequence
//! of numbers, the ranks drawn from a Zipf distribution (topic 1 and prompt
//! 1 most popular), one per field. A [`CallPlan`] holds those choices, drawn
//! from the benchmark seed and the call's number (so every budget point
//! replays the same calls), and the fetches the application makes for them,
//! in order — what a fetch-level driver replays and what an interpreter's
//! report can be checked against.
//!
//! The choices reach the application in one of two ways, and the documents
//! take both: as `session.connection.aai` ([`CallPlan::aai`]), which the
//! root's script splits and each field's `expr="nextChoice()"` consumes — the
//! field is then filled without being visited, so a call needs no
//! recognition and every call keeps the same start URL (a query string per
//! call would make the start document a different cache entry each time);
//! or, with no `aai`, as the caller's DTMF digits ([`CallPlan::input`]), one
//! token per field.
//!
//! # Caching headers (`DIR/serve-rules.toml`)
//!
//! Every response carries the origin's ETag and Last-Modified; the rules add
//! `Cache-Control: max-age` by type: documents 5 min, the root 1 h, scripts
//! 1 day, data 1 min, audio 1 week. Within a benchmark point this makes the
//! cache budget, not freshness, what decides the hit rate.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;
use url::Url;

use super::BenchError;
use super::wav;
use super::zipf::Zipf;
use crate::call::Token;
use crate::resource::{PerType, ResourceType};

/// Scripts shared by groups of topics: topic `n` uses `topic-{(n-1) % 4}.js`.
const TOPIC_SCRIPTS: u32 = 4;
/// The welcome prompt every call hears.
const WELCOME_SECONDS: f64 = 3.0;

/// The shape of the benchmark application and of its calls.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AppSpec {
    /// Topic documents, reached by number.
    pub topics: u32,
    /// Audio prompts, chosen by number in each topic.
    pub prompts: u32,
    /// The shortest and longest prompt, in seconds (drawn log-uniformly).
    pub prompt_seconds: (f64, f64),
    /// Topics each call visits.
    pub topics_per_call: u32,
    /// Prompts each topic visit plays.
    pub prompts_per_topic: u32,
    /// The Zipf exponent of topic and prompt popularity.
    pub zipf_s: f64,
    /// Seeds the files (prompt lengths, tones, data sizes).
    pub seed: u64,
}

impl Default for AppSpec {
    fn default() -> Self {
        AppSpec {
            topics: 20,
            prompts: 300,
            prompt_seconds: (0.5, 8.0),
            topics_per_call: 3,
            prompts_per_topic: 3,
            zipf_s: 1.0,
            seed: 1,
        }
    }
}

impl AppSpec {
    fn check(&self) -> Result<(), BenchError> {
        let bad = |m: &str| Err(BenchError::Option(m.to_string()));
        let (lo, hi) = self.prompt_seconds;
        if self.topics == 0 || self.prompts == 0 {
            return bad("the application needs at least one topic and one prompt");
        }
        if self.topics_per_call == 0 {
            return bad("a call must visit at least one topic");
        }
        if !(lo.is_finite() && hi.is_finite() && 0.0 < lo && lo <= hi && hi <= 600.0) {
            return bad("prompt lengths must satisfy 0 < shortest ≤ longest ≤ 600 s");
        }
        Ok(())
    }
}

/// One file of the application.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Resource {
    /// The path below the site root, as requested (`audio/p17.wav`).
    pub path: String,
    pub rtype: ResourceType,
    /// Its size: what it costs in its type's cache budget.
    pub bytes: u64,
}

/// A generated application.
#[derive(Clone, Debug)]
pub struct App {
    spec: AppSpec,
    site: PathBuf,
    rules: PathBuf,
    resources: Vec<Resource>,
    topic_popularity: Zipf,
    prompt_popularity: Zipf,
}

/// One simulated call: what the caller keys in, and what the application
/// fetches as a result.
#[derive(Clone, Debug, PartialEq)]
pub struct CallPlan {
    /// The call's number in the benchmark (it seeds the plan).
    pub call: u64,
    /// `main.vxml` on the origin.
    pub start_url: Url,
    /// The caller's choices as DTMF input, one token per `<field>`: topic
    /// and prompt numbers, and `0` to end.
    pub input: Vec<Token>,
    /// The fetches the application makes for this input, in order: the main
    /// document, the root and its script, the main script and data, the
    /// welcome prompt, then per topic its document, script, data and
    /// prompts. The root is fetched once: the following documents share it.
    pub fetches: Vec<(ResourceType, Url)>,
}

impl CallPlan {
    /// The caller's choices as `session.connection.aai` carries them to the
    /// application: the digits of [`input`](Self::input), space-separated.
    pub fn aai(&self) -> String {
        let digits: Vec<&str> = self
            .input
            .iter()
            .filter_map(|t| match t {
                Token::Dtmf(d) => Some(d.as_str()),
                _ => None,
            })
            .collect();
        digits.join(" ")
    }
}

impl App {
    /// Writes the application into `dir/site/` and its rules into
    /// `dir/serve-rules.toml`, creating `dir` if needed. Deterministic for a
    /// given spec.
    pub fn generate(dir: &Path, spec: &AppSpec) -> Result<App, BenchError> {
        spec.check()?;
        let topic_popularity = Zipf::new(spec.topics, spec.zipf_s)?;
        let prompt_popularity = Zipf::new(spec.prompts, spec.zipf_s)?;
        let site = dir.join("site");
        for sub in ["scripts", "data", "audio"] {
            let d = site.join(sub);
            std::fs::create_dir_all(&d).map_err(|e| BenchError::io(&d, e))?;
        }
        let mut rng = fastrand::Rng::with_seed(spec.seed);
        let mut files: Vec<(String, ResourceType, Vec<u8>)> = Vec::new();
        let mut add = |path: String, rtype, body: Vec<u8>| files.push((path, rtype, body));

        add(
            "root.vxml".into(),
            ResourceType::Context,
            root_vxml().into(),
        );
        add(
            "main.vxml".into(),
            ResourceType::Document,
            main_vxml(spec).into(),
        );
        for n in 1..=spec.topics {
            add(
                format!("topic{n}.vxml"),
                ResourceType::Document,
                topic_vxml(spec, n).into(),
            );
        }
        add(
            "scripts/lib.js".into(),
            ResourceType::Script,
            lib_js(spec, &mut rng).into(),
        );
        add(
            "scripts/menu.js".into(),
            ResourceType::Script,
            menu_js(spec, &mut rng).into(),
        );
        for g in 0..TOPIC_SCRIPTS {
            add(
                format!("scripts/topic-{g}.js"),
                ResourceType::Script,
                topic_js(spec, g, &mut rng).into(),
            );
        }
        add(
            "data/catalog.xml".into(),
            ResourceType::Data,
            catalog_xml(spec, &mut rng).into(),
        );
        for n in 1..=spec.topics {
            add(
                format!("data/topic{n}.xml"),
                ResourceType::Data,
                topic_xml(n, &mut rng).into(),
            );
        }
        add(
            "audio/welcome.wav".into(),
            ResourceType::Audio,
            wav::tone(seconds_to_frames(WELCOME_SECONDS), 523.25, &mut rng),
        );
        let (lo, hi) = spec.prompt_seconds;
        for n in 1..=spec.prompts {
            // Log-uniform: as many short prompts between 0.5 and 1 s as
            // long ones between 4 and 8 s.
            let secs = (lo.ln() + rng.f64() * (hi.ln() - lo.ln())).exp();
            let hz = 300.0 + f64::from(n % 40) * 20.0;
            add(
                format!("audio/p{n}.wav"),
                ResourceType::Audio,
                wav::tone(seconds_to_frames(secs), hz, &mut rng),
            );
        }

        let mut resources = Vec::with_capacity(files.len());
        for (path, rtype, body) in files {
            let file = site.join(&path);
            std::fs::write(&file, &body).map_err(|e| BenchError::io(&file, e))?;
            resources.push(Resource {
                path,
                rtype,
                bytes: body.len() as u64,
            });
        }
        let rules = dir.join("serve-rules.toml");
        std::fs::write(&rules, RULES).map_err(|e| BenchError::io(&rules, e))?;
        Ok(App {
            spec: spec.clone(),
            site,
            rules,
            resources,
            topic_popularity,
            prompt_popularity,
        })
    }

    pub fn spec(&self) -> &AppSpec {
        &self.spec
    }

    /// The directory to serve.
    pub fn site(&self) -> &Path {
        &self.site
    }

    /// The `vxb serve --rules` file.
    pub fn rules_file(&self) -> &Path {
        &self.rules
    }

    /// Every file, with its type and size.
    pub fn resources(&self) -> &[Resource] {
        &self.resources
    }

    /// The bytes of every resource of each type: the budget at which
    /// everything fits.
    pub fn total_bytes(&self) -> PerType<u64> {
        let mut total = PerType::default();
        for r in &self.resources {
            total[r.rtype] += r.bytes;
        }
        total
    }

    /// How many resources of each type there are.
    pub fn resource_count(&self) -> PerType<u64> {
        let mut count = PerType::default();
        for r in &self.resources {
            count[r.rtype] += 1;
        }
        count
    }

    /// The plan of call number `call` against the origin at `base`: the
    /// same `(seed, call)` always gives the same plan.
    pub fn plan(&self, base: &Url, seed: u64, call: u64) -> Result<CallPlan, BenchError> {
        let mut rng = fastrand::Rng::with_seed(seed ^ call.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let url = |path: &str| {
            base.join(path)
                .map_err(|e| BenchError::Option(format!("{base}{path}: {e}")))
        };
        let mut input = Vec::new();
        let mut fetches = vec![
            (ResourceType::Document, url("main.vxml")?),
            (ResourceType::Context, url("root.vxml")?),
            (ResourceType::Script, url("scripts/lib.js")?),
            (ResourceType::Script, url("scripts/menu.js")?),
            (ResourceType::Data, url("data/catalog.xml")?),
            (ResourceType::Audio, url("audio/welcome.wav")?),
        ];
        for _ in 0..self.spec.topics_per_call {
            let t = self.topic_popularity.sample(&mut rng);
            input.push(Token::Dtmf(t.to_string()));
            fetches.push((ResourceType::Document, url(&format!("topic{t}.vxml"))?));
            let g = (t - 1) % TOPIC_SCRIPTS;
            fetches.push((ResourceType::Script, url(&format!("scripts/topic-{g}.js"))?));
            fetches.push((ResourceType::Data, url(&format!("data/topic{t}.xml"))?));
            for _ in 0..self.spec.prompts_per_topic {
                let p = self.prompt_popularity.sample(&mut rng);
                input.push(Token::Dtmf(p.to_string()));
                fetches.push((ResourceType::Audio, url(&format!("audio/p{p}.wav"))?));
            }
        }
        input.push(Token::Dtmf("0".into()));
        Ok(CallPlan {
            call,
            start_url: url("main.vxml")?,
            input,
            fetches,
        })
    }
}

fn seconds_to_frames(secs: f64) -> u32 {
    // At most 600 s × 8000 (checked by the spec): far inside u32.
    (secs * f64::from(wav::RATE)).round() as u32
}

/// The `vxb serve` rules of the application.
const RULES: &str = r#"# Written by vxb bench: the caching headers of a well-kept static voice
# application. vxb serve adds a strong ETag and Last-Modified to every file.

[[rule]]
path = "/**.vxml"
headers = { "Cache-Control" = "max-age=300" }

[[rule]]
path = "/root.vxml"
headers = { "Cache-Control" = "max-age=3600" }

[[rule]]
path = "/scripts/*.js"
headers = { "Cache-Control" = "max-age=86400" }

[[rule]]
path = "/data/*.xml"
headers = { "Cache-Control" = "max-age=60" }

[[rule]]
path = "/audio/*.wav"
headers = { "Cache-Control" = "max-age=604800" }
"#;

const VXML_HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<vxml version="2.1" xmlns="http://www.w3.org/2001/vxml" xml:lang="en-US""#;

fn root_vxml() -> String {
    format!(
        r#"{VXML_HEAD}>
  <!-- Application root of the vxb benchmark application. -->
  <var name="app_name" expr="'vxb benchmark'"/>
  <var name="topics_visited" expr="0"/>
  <script src="scripts/lib.js"/>
</vxml>
"#
    )
}

fn main_vxml(spec: &AppSpec) -> String {
    format!(
        r#"{VXML_HEAD} application="root.vxml">
  <script src="scripts/menu.js"/>
  <data name="catalog" src="data/catalog.xml"/>
  <var name="greeting" expr="menuGreeting()"/>
  <form id="menu">
    <block>
      <audio src="audio/welcome.wav">Welcome to the <value expr="app_name"/> line.</audio>
    </block>
    <field name="topic" type="digits" expr="nextChoice()">
      <prompt>Enter the number of a topic, from 1 to {topics}.</prompt>
    </field>
    <block>
      <goto expr="topicUrl(topic)"/>
    </block>
  </form>
</vxml>
"#,
        topics = spec.topics
    )
}

fn topic_vxml(spec: &AppSpec, n: u32) -> String {
    let g = (n - 1) % TOPIC_SCRIPTS;
    let mut items = String::new();
    for i in 1..=spec.prompts_per_topic {
        let _ = write!(
            items,
            r#"    <field name="p{i}" type="digits" expr="nextChoice()">
      <prompt>Enter the number of a recording.</prompt>
    </field>
    <block>
      <audio expr="clip(p{i})">Recording <value expr="p{i}"/>.</audio>
    </block>
"#
        );
    }
    format!(
        r#"{VXML_HEAD} application="root.vxml">
  <script src="scripts/topic-{g}.js"/>
  <data name="topic_data" src="data/topic{n}.xml"/>
  <var name="topic_number" expr="{n}"/>
  <form id="topic">
    <block>
      <prompt>Topic <value expr="topicTitle(topic_number)"/>.</prompt>
    </block>
{items}    <field name="next_topic" type="digits" expr="nextChoice()">
      <prompt>Enter another topic, or 0 to end the call.</prompt>
    </field>
    <block>
      <if cond="next_topic == '0'">
        <exit/>
      <else/>
        <goto expr="topicUrl(next_topic)"/>
      </if>
    </block>
  </form>
</vxml>
"#
    )
}

/// Words for titles and descriptions: the scripts and data read like an
/// application's, not like padding.
const WORDS: &[&str] = &[
    "account", "balance", "billing", "card", "claim", "delivery", "order", "payment", "plan",
    "refund", "renewal", "service", "status", "support", "transfer", "update", "hours", "store",
    "agent", "help", "travel", "booking", "change", "cancel", "reward", "points", "offer",
];

fn words(rng: &mut fastrand::Rng, n: usize) -> String {
    (0..n)
        .map(|_| WORDS[rng.usize(..WORDS.len())])
        .collect::<Vec<_>>()
        .join(" ")
}

fn lib_js(spec: &AppSpec, rng: &mut fastrand::Rng) -> String {
    let mut js = format!(
        r#"// vxb benchmark application: the library of the application root.
var BENCH_TOPICS = {topics};
var BENCH_PROMPTS = {prompts};

// The caller's choices, when the platform passes them in
// session.connection.aai ("3 17 5 0"): each field's expr takes the next one,
// so the field is filled without recognition. Without them every field is
// left undefined, for the caller's digits.
var CHOICES = (typeof session != 'undefined' && typeof session.connection.aai == 'string')
  ? session.connection.aai.split(' ') : [];
var choicesTaken = 0;

function nextChoice() {{
  if (choicesTaken >= CHOICES.length) {{
    return undefined;
  }}
  return CHOICES[choicesTaken++];
}}

function toRank(n, limit) {{
  var k = parseInt(n, 10);
  if (isNaN(k) || k < 1 || k > limit) {{
    k = 1;
  }}
  return k;
}}

function topicUrl(n) {{
  return 'topic' + toRank(n, BENCH_TOPICS) + '.vxml';
}}

function clip(n) {{
  return 'audio/p' + toRank(n, BENCH_PROMPTS) + '.wav';
}}

function pad(n, width) {{
  var s = String(n);
  while (s.length < width) {{
    s = '0' + s;
  }}
  return s;
}}

function formatAmount(cents) {{
  var whole = Math.floor(cents / 100);
  return whole + ' dollars and ' + pad(cents % 100, 2) + ' cents';
}}

function promptInfo(n) {{
  var k = toRank(n, BENCH_PROMPTS);
  for (var i = 0; i < PROMPTS.length; i++) {{
    if (PROMPTS[i].id === k) {{
      return PROMPTS[i];
    }}
  }}
  return null;
}}

var PROMPTS = [
"#,
        topics = spec.topics,
        prompts = spec.prompts
    );
    for n in 1..=spec.prompts {
        let _ = writeln!(
            js,
            "  {{ id: {n}, title: '{}', category: '{}', weight: {} }},",
            words(rng, 3),
            WORDS[rng.usize(..WORDS.len())],
            rng.u32(1..1000)
        );
    }
    js.push_str("];\n");
    js
}

fn menu_js(spec: &AppSpec, rng: &mut fastrand::Rng) -> String {
    let mut js = String::from(
        r#"// vxb benchmark application: the main menu.
function menuGreeting() {
  var hour = new Date().getHours();
  if (hour < 12) {
    return 'Good morning';
  }
  return hour < 18 ? 'Good afternoon' : 'Good evening';
}

function menuEntry(n) {
  for (var i = 0; i < MENU.length; i++) {
    if (MENU[i].topic === n) {
      return MENU[i];
    }
  }
  return MENU[0];
}

var MENU = [
"#,
    );
    for n in 1..=spec.topics {
        let _ = writeln!(
            js,
            "  {{ topic: {n}, title: '{}', keywords: ['{}', '{}'], hint: '{}' }},",
            words(rng, 2),
            WORDS[rng.usize(..WORDS.len())],
            WORDS[rng.usize(..WORDS.len())],
            words(rng, 8)
        );
    }
    js.push_str("];\n");
    js
}

fn topic_js(spec: &AppSpec, group: u32, rng: &mut fastrand::Rng) -> String {
    let mut js = format!(
        r#"// vxb benchmark application: topics {first} and every {TOPIC_SCRIPTS}th after it.
function topicTitle(n) {{
  var t = TOPICS[n];
  return t ? t.title : 'number ' + n;
}}

function topicFaq(n, i) {{
  var t = TOPICS[n];
  if (!t || i < 0 || i >= t.faq.length) {{
    return '';
  }}
  return t.faq[i];
}}

var TOPICS = {{}};
"#,
        first = group + 1
    );
    for n in (group + 1..=spec.topics).step_by(TOPIC_SCRIPTS as usize) {
        let faq: Vec<String> = (0..rng.usize(4..12))
            .map(|_| format!("'{}'", words(rng, 10)))
            .collect();
        let _ = writeln!(
            js,
            "TOPICS[{n}] = {{ title: '{}', faq: [{}] }};",
            words(rng, 2),
            faq.join(", ")
        );
    }
    js
}

fn catalog_xml(spec: &AppSpec, rng: &mut fastrand::Rng) -> String {
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<catalog>\n");
    for n in 1..=spec.topics {
        let _ = writeln!(
            xml,
            "  <topic id=\"{n}\" title=\"{}\" href=\"topic{n}.vxml\"/>",
            words(rng, 2)
        );
    }
    xml.push_str("</catalog>\n");
    xml
}

fn topic_xml(n: u32, rng: &mut fastrand::Rng) -> String {
    let mut xml = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<topic id=\"{n}\">\n");
    for i in 1..=rng.u32(10..40) {
        let _ = writeln!(
            xml,
            "  <item id=\"{i}\" amount=\"{}\">{}</item>",
            rng.u32(100..100_000),
            words(rng, 6)
        );
    }
    xml.push_str("</topic>\n");
    xml
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve::Rules;

    fn small() -> AppSpec {
        AppSpec {
            topics: 6,
            prompts: 12,
            prompt_seconds: (0.5, 2.0),
            ..AppSpec::default()
        }
    }

    #[test]
    fn every_document_parses_as_voicexml_2_1() {
        let dir = tempfile::tempdir().expect("tempdir");
        let app = App::generate(dir.path(), &small()).expect("generates");
        let docs: Vec<_> = app
            .resources()
            .iter()
            .filter(|r| matches!(r.rtype, ResourceType::Document | ResourceType::Context))
            .collect();
        assert_eq!(docs.len(), 1 + 1 + 6);
        for r in docs {
            let bytes = std::fs::read(app.site().join(&r.path)).expect("read");
            let doc = crate::vxml::parse(&bytes, &r.path)
                .unwrap_or_else(|e| panic!("{} does not parse: {e}", r.path));
            assert_eq!(doc.version, crate::vxml::Version::V2_1);
            let expected_root =
                (r.rtype == ResourceType::Document).then(|| "root.vxml".to_string());
            assert_eq!(doc.application, expected_root, "{}", r.path);
            assert!(doc.script_srcs().count() == 1, "{} has its script", r.path);
        }
    }

    #[test]
    fn audio_decodes_and_data_is_xml() {
        let dir = tempfile::tempdir().expect("tempdir");
        let spec = small();
        let app = App::generate(dir.path(), &spec).expect("generates");
        let mut shortest = f64::MAX;
        let mut longest = 0.0f64;
        for r in app.resources() {
            let bytes = std::fs::read(app.site().join(&r.path)).expect("read");
            assert_eq!(bytes.len() as u64, r.bytes, "{}", r.path);
            match r.rtype {
                ResourceType::Audio if r.path != "audio/welcome.wav" => {
                    let secs = crate::audio::decode(&bytes)
                        .expect("decodes")
                        .duration()
                        .as_secs_f64();
                    shortest = shortest.min(secs);
                    longest = longest.max(secs);
                }
                ResourceType::Data => {
                    let text = std::str::from_utf8(&bytes).expect("utf-8");
                    roxmltree::Document::parse(text).expect("well-formed XML");
                }
                _ => {}
            }
        }
        assert!(shortest >= 0.5 && longest <= 2.0, "{shortest}..{longest}");
        assert!(
            longest / shortest > 1.5,
            "sizes vary: {shortest}..{longest}"
        );
    }

    #[test]
    fn scripts_run_and_map_numbers_to_urls() {
        use boa_engine::{Context, Source};
        let dir = tempfile::tempdir().expect("tempdir");
        let app = App::generate(dir.path(), &small()).expect("generates");
        let mut cx = Context::default();
        for r in app
            .resources()
            .iter()
            .filter(|r| r.rtype == ResourceType::Script)
        {
            let js = std::fs::read(app.site().join(&r.path)).expect("read");
            cx.eval(Source::from_bytes(&js))
                .unwrap_or_else(|e| panic!("{} fails: {e}", r.path));
        }
        let eval = |cx: &mut Context, s: &str| {
            let v = cx.eval(Source::from_bytes(s)).expect("evaluates");
            v.to_string(cx).expect("string").to_std_string_escaped()
        };
        assert_eq!(eval(&mut cx, "topicUrl('5')"), "topic5.vxml");
        assert_eq!(eval(&mut cx, "topicUrl('99')"), "topic1.vxml");
        assert_eq!(eval(&mut cx, "clip('12')"), "audio/p12.wav");
        assert_eq!(eval(&mut cx, "typeof topicTitle(5)"), "string");
        assert_eq!(eval(&mut cx, "typeof menuGreeting()"), "string");
        // No aai: the fields are left for the caller.
        assert_eq!(eval(&mut cx, "typeof nextChoice()"), "undefined");

        // With the platform's aai, the choices come out in order, then stop.
        let mut cx = Context::default();
        cx.eval(Source::from_bytes(
            "var session = { connection: { aai: '3 12 0' } };",
        ))
        .expect("session");
        let lib = std::fs::read(app.site().join("scripts/lib.js")).expect("read");
        cx.eval(Source::from_bytes(&lib)).expect("lib.js runs");
        assert_eq!(eval(&mut cx, "topicUrl(nextChoice())"), "topic3.vxml");
        assert_eq!(eval(&mut cx, "clip(nextChoice())"), "audio/p12.wav");
        assert_eq!(eval(&mut cx, "nextChoice()"), "0");
        assert_eq!(eval(&mut cx, "typeof nextChoice()"), "undefined");
    }

    #[test]
    fn totals_and_rules() {
        let dir = tempfile::tempdir().expect("tempdir");
        let app = App::generate(dir.path(), &small()).expect("generates");
        let total = app.total_bytes();
        let count = app.resource_count();
        assert_eq!(count[ResourceType::Document], 7);
        assert_eq!(count[ResourceType::Context], 1);
        assert_eq!(count[ResourceType::Script], 2 + u64::from(TOPIC_SCRIPTS));
        assert_eq!(count[ResourceType::Data], 7);
        assert_eq!(count[ResourceType::Audio], 13);
        assert_eq!(count[ResourceType::Grammar], 0);
        let sum: u64 = app.resources().iter().map(|r| r.bytes).sum();
        assert_eq!(total.iter().map(|(_, b)| b).sum::<u64>(), sum);
        // 3 s of µ-law is 24,000 bytes, plus the 58-byte header.
        let welcome = app
            .resources()
            .iter()
            .find(|r| r.path == "audio/welcome.wav");
        assert_eq!(welcome.map(|r| r.bytes), Some(24_058));

        let rules = Rules::load(app.rules_file()).expect("rules parse");
        let cc = |path: &str| {
            let e = rules.effect(path);
            assert!(e.etag && e.last_modified, "{path} keeps its validators");
            e.headers
                .get("cache-control")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        assert_eq!(cc("/main.vxml").as_deref(), Some("max-age=300"));
        assert_eq!(cc("/root.vxml").as_deref(), Some("max-age=3600"));
        assert_eq!(cc("/scripts/lib.js").as_deref(), Some("max-age=86400"));
        assert_eq!(cc("/data/topic3.xml").as_deref(), Some("max-age=60"));
        assert_eq!(cc("/audio/p7.wav").as_deref(), Some("max-age=604800"));
    }

    #[test]
    fn generation_is_deterministic() {
        let a = tempfile::tempdir().expect("tempdir");
        let b = tempfile::tempdir().expect("tempdir");
        let x = App::generate(a.path(), &small()).expect("generates");
        let y = App::generate(b.path(), &small()).expect("generates");
        assert_eq!(x.resources(), y.resources());
        let other = App::generate(b.path(), &AppSpec { seed: 2, ..small() }).expect("generates");
        assert_ne!(x.resources(), other.resources());
    }

    #[test]
    fn plans_are_reproducible_and_follow_the_application() {
        let dir = tempfile::tempdir().expect("tempdir");
        let spec = small();
        let app = App::generate(dir.path(), &spec).expect("generates");
        let base = Url::parse("http://127.0.0.1:9/").expect("url");
        let plan = app.plan(&base, 42, 7).expect("plan");
        assert_eq!(plan, app.plan(&base, 42, 7).expect("plan"));
        assert_ne!(plan.input, app.plan(&base, 42, 8).expect("plan").input);
        assert_eq!(plan.start_url.as_str(), "http://127.0.0.1:9/main.vxml");

        let per_topic = 1 + spec.prompts_per_topic as usize;
        assert_eq!(plan.input.len(), 3 * per_topic + 1);
        assert_eq!(plan.input.last(), Some(&Token::Dtmf("0".into())));
        let aai = plan.aai();
        let words: Vec<Token> = aai.split(' ').map(|d| Token::Dtmf(d.into())).collect();
        assert_eq!(words, plan.input, "the aai carries the same choices");
        assert_eq!(
            plan.fetches.len(),
            6 + 3 * (3 + spec.prompts_per_topic as usize)
        );
        // The input and the fetches tell the same story.
        for (visit, topic_input) in plan.input.chunks(per_topic).take(3).enumerate() {
            let Token::Dtmf(t) = &topic_input[0] else {
                panic!("DTMF expected")
            };
            let at = 6 + visit * (3 + spec.prompts_per_topic as usize);
            assert_eq!(plan.fetches[at].0, ResourceType::Document);
            assert!(
                plan.fetches[at]
                    .1
                    .path()
                    .ends_with(&format!("/topic{t}.vxml"))
            );
            for (i, p) in topic_input[1..].iter().enumerate() {
                let Token::Dtmf(p) = p else {
                    panic!("DTMF expected")
                };
                let (rtype, url) = &plan.fetches[at + 3 + i];
                assert_eq!(*rtype, ResourceType::Audio);
                assert!(url.path().ends_with(&format!("/p{p}.wav")));
            }
        }
        // Every planned URL exists in the site.
        for (rtype, url) in &plan.fetches {
            let path = url.path().trim_start_matches('/');
            let r = app.resources().iter().find(|r| r.path == path);
            assert_eq!(r.map(|r| r.rtype), Some(*rtype), "{path}");
        }
    }

    #[test]
    fn bad_specs_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        for spec in [
            AppSpec {
                topics: 0,
                ..small()
            },
            AppSpec {
                topics_per_call: 0,
                ..small()
            },
            AppSpec {
                prompt_seconds: (0.0, 1.0),
                ..small()
            },
            AppSpec {
                prompt_seconds: (2.0, 1.0),
                ..small()
            },
            AppSpec {
                zipf_s: -1.0,
                ..small()
            },
        ] {
            assert!(App::generate(dir.path(), &spec).is_err(), "{spec:?}");
        }
    }
}
