//! Matching tokens against a linked grammar, in two passes without
//! recursion (so neither a deep grammar nor a long input can overflow the
//! stack):
//!
//! 1. A chart: for every node and every start position, the sorted end
//!    positions it can reach. Filled from the last position to the first, and
//!    at each position in the analysis order, so everything a node needs is
//!    already there. Polynomial in the input length; no backtracking.
//! 2. A derivation of the whole input from the root rule, read back from the
//!    chart top-down with an explicit stack, as a flat list of [`Event`]s
//!    (rule entered, tag, builtin value, rule left) for semantic
//!    interpretation.
//!
//! Ambiguity is settled deterministically: in a sequence each element takes
//! the longest span that still lets the rest match (GARBAGE takes the
//! shortest); a `<one-of>` takes its first item, in document order, that
//! covers the span; a repeat's iterations are cut the same way as a sequence
//! (each one as long as possible), and an optional item matches when it can.

use serde_json::Value;

use super::link::Linked;
use super::model::{Node, NodeId, RuleId};
use super::tokens::Token;

/// A step of a derivation, in document order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Event {
    /// A rule starts matching tokens `start..end`.
    Enter {
        grammar: usize,
        rule: RuleId,
        start: usize,
        end: usize,
    },
    /// A `<tag>` on the path.
    Tag { grammar: usize, tag: u32 },
    /// A builtin matcher's value (it stands for the tags of its rule).
    Value(Value),
    /// The rule of the matching `Enter` is done.
    Exit {
        grammar: usize,
        rule: RuleId,
        start: usize,
        end: usize,
    },
}

/// The derivation of all of `tokens` from the root rule, or `None` when the
/// grammar does not match them.
pub(crate) fn derive(linked: &Linked, tokens: &[Token]) -> Option<Vec<Event>> {
    let chart = Chart::build(linked, tokens);
    let root = &linked.grammars[0];
    let body = root.rules.get(root.root as usize)?.body;
    if !chart.contains(chart.global(0, body), 0, tokens.len()) {
        return None;
    }
    Some(chart.derivation(tokens))
}

struct Chart<'a> {
    linked: &'a Linked,
    width: usize,
    /// Per (node, start): the range of `ends` holding its end positions.
    cells: Vec<(u32, u32)>,
    ends: Vec<u16>,
}

/// A set of positions collected out of order, handed back sorted.
struct PositionSet {
    stamp: Vec<u32>,
    generation: u32,
    items: Vec<u16>,
}

impl PositionSet {
    fn new(width: usize) -> PositionSet {
        PositionSet {
            stamp: vec![0; width],
            generation: 1,
            items: Vec::new(),
        }
    }

    fn clear(&mut self) {
        self.items.clear();
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.stamp.fill(0);
            self.generation = 1;
        }
    }

    fn insert(&mut self, p: u16) {
        if let Some(s) = self.stamp.get_mut(p as usize)
            && *s != self.generation
        {
            *s = self.generation;
            self.items.push(p);
        }
    }

    fn sorted(&mut self) -> &[u16] {
        self.items.sort_unstable();
        &self.items
    }
}

impl<'a> Chart<'a> {
    fn global(&self, grammar: usize, node: NodeId) -> usize {
        self.linked.analysis.base[grammar] + node as usize
    }

    fn ends(&self, node: usize, start: usize) -> &[u16] {
        let (from, len) = self.cells[node * self.width + start];
        &self.ends[from as usize..(from + len) as usize]
    }

    fn contains(&self, node: usize, start: usize, end: usize) -> bool {
        u16::try_from(end).is_ok_and(|e| self.ends(node, start).binary_search(&e).is_ok())
    }

    /// The global node a rule reference leads to (the rule's body), with the
    /// rule's grammar and id.
    fn rule_target(&self, grammar: usize, node: &Node) -> Option<(usize, RuleId, usize)> {
        let (g, r) = match node {
            Node::Rule(r) => (grammar, *r),
            Node::External(x) => *self.linked.externals.get(grammar)?.get(*x as usize)?,
            _ => return None,
        };
        let body = self.linked.grammars.get(g)?.rules.get(r as usize)?.body;
        Some((g, r, self.global(g, body)))
    }

    fn build(linked: &'a Linked, tokens: &[Token]) -> Chart<'a> {
        let n = tokens.len();
        let width = n + 1;
        let total = linked.analysis.total;
        let mut chart = Chart {
            linked,
            width,
            cells: vec![(0, 0); total * width],
            ends: Vec::new(),
        };
        let mut set = PositionSet::new(width);
        let mut frontier: Vec<u16> = Vec::new();
        let mut next = PositionSet::new(width);
        for s in (0..=n).rev() {
            let s16 = s as u16;
            for &(g, local) in &linked.analysis.order {
                let grammar = &linked.grammars[g];
                set.clear();
                match grammar.node(local) {
                    Node::Words(words) => {
                        let end = s + words.len();
                        if end <= n
                            && tokens[s..end]
                                .iter()
                                .zip(words.iter())
                                .all(|(t, w)| t.key == *w)
                        {
                            set.insert(end as u16);
                        }
                    }
                    Node::Seq(children) => {
                        frontier.clear();
                        frontier.push(s16);
                        for c in children.iter() {
                            let c = chart.global(g, *c);
                            next.clear();
                            for &p in &frontier {
                                for &q in chart.ends(c, p as usize) {
                                    next.insert(q);
                                }
                            }
                            frontier.clear();
                            frontier.extend_from_slice(next.sorted());
                            if frontier.is_empty() {
                                break;
                            }
                        }
                        for &p in &frontier {
                            set.insert(p);
                        }
                    }
                    Node::Alt(children) => {
                        for c in children.iter() {
                            for &q in chart.ends(chart.global(g, *c), s) {
                                set.insert(q);
                            }
                        }
                    }
                    Node::Repeat { body, min, max } => {
                        let body = chart.global(g, *body);
                        let (lo, hi) = repeat_bounds(linked, body, *min, *max, n - s);
                        if lo == 0 {
                            set.insert(s16);
                        }
                        // Non-empty iterations only: empty ones never move.
                        frontier.clear();
                        frontier.push(s16);
                        for k in 1..=hi {
                            next.clear();
                            for &p in &frontier {
                                for &q in chart.ends(body, p as usize) {
                                    if q > p {
                                        next.insert(q);
                                    }
                                }
                            }
                            frontier.clear();
                            frontier.extend_from_slice(next.sorted());
                            if frontier.is_empty() {
                                break;
                            }
                            if k >= lo {
                                for &p in &frontier {
                                    set.insert(p);
                                }
                            }
                        }
                    }
                    node @ (Node::Rule(_) | Node::External(_)) => {
                        if let Some((_, _, body)) = chart.rule_target(g, node) {
                            for &q in chart.ends(body, s) {
                                set.insert(q);
                            }
                        }
                    }
                    Node::Tag(_) | Node::Null => set.insert(s16),
                    Node::Void => {}
                    Node::Garbage => {
                        for e in s..=n {
                            set.insert(e as u16);
                        }
                    }
                    Node::Builtin(b) => {
                        for e in s + 1..=n {
                            if b.interpret(&tokens[s..e]).is_some() {
                                set.insert(e as u16);
                            }
                        }
                    }
                }
                let from = chart.ends.len() as u32;
                chart.ends.extend_from_slice(set.sorted());
                let id = chart.global(g, local);
                chart.cells[id * width + s] = (from, chart.ends.len() as u32 - from);
            }
        }
        chart
    }

    /// Reads the preferred derivation of the root rule over all tokens.
    fn derivation(&self, tokens: &[Token]) -> Vec<Event> {
        enum Work {
            Expand {
                grammar: usize,
                node: NodeId,
                start: usize,
                end: usize,
            },
            Exit {
                grammar: usize,
                rule: RuleId,
                start: usize,
                end: usize,
            },
        }
        let n = tokens.len();
        let root = &self.linked.grammars[0];
        // The root is entered like a reference to it.
        let mut events = vec![Event::Enter {
            grammar: 0,
            rule: root.root,
            start: 0,
            end: n,
        }];
        let mut stack = Vec::new();
        stack.push(Work::Exit {
            grammar: 0,
            rule: root.root,
            start: 0,
            end: n,
        });
        if let Some(rule) = root.rules.get(root.root as usize) {
            stack.push(Work::Expand {
                grammar: 0,
                node: rule.body,
                start: 0,
                end: n,
            });
        }
        while let Some(work) = stack.pop() {
            let (g, local, s, e) = match work {
                Work::Exit {
                    grammar,
                    rule,
                    start,
                    end,
                } => {
                    events.push(Event::Exit {
                        grammar,
                        rule,
                        start,
                        end,
                    });
                    continue;
                }
                Work::Expand {
                    grammar,
                    node,
                    start,
                    end,
                } => (grammar, node, start, end),
            };
            let expand = |node: NodeId, start: usize, end: usize| Work::Expand {
                grammar: g,
                node,
                start,
                end,
            };
            match self.linked.grammars[g].node(local) {
                Node::Words(_) | Node::Null | Node::Void | Node::Garbage => {}
                Node::Tag(tag) => events.push(Event::Tag {
                    grammar: g,
                    tag: *tag,
                }),
                Node::Builtin(b) => events.push(Event::Value(
                    b.interpret(&tokens[s..e]).unwrap_or(Value::Null),
                )),
                node @ (Node::Rule(_) | Node::External(_)) => {
                    if let Some((tg, rule, _)) = self.rule_target(g, node)
                        && let Some(r) = self.linked.grammars[tg].rules.get(rule as usize)
                    {
                        events.push(Event::Enter {
                            grammar: tg,
                            rule,
                            start: s,
                            end: e,
                        });
                        stack.push(Work::Exit {
                            grammar: tg,
                            rule,
                            start: s,
                            end: e,
                        });
                        stack.push(Work::Expand {
                            grammar: tg,
                            node: r.body,
                            start: s,
                            end: e,
                        });
                    }
                }
                Node::Alt(children) => {
                    if let Some(c) = children
                        .iter()
                        .find(|c| self.contains(self.global(g, **c), s, e))
                    {
                        stack.push(expand(*c, s, e));
                    }
                }
                Node::Seq(children) => {
                    let globals: Vec<usize> = children.iter().map(|c| self.global(g, *c)).collect();
                    let garbage: Vec<bool> = children
                        .iter()
                        .map(|c| matches!(self.linked.grammars[g].node(*c), Node::Garbage))
                        .collect();
                    let spans = self.split_sequence(&globals, &garbage, s, e);
                    for (c, (a, b)) in children.iter().zip(spans).rev() {
                        stack.push(expand(*c, a, b));
                    }
                }
                Node::Repeat { body, min, max } => {
                    let spans = self.split_repeat(self.global(g, *body), *min, *max, s, e);
                    for (a, b) in spans.into_iter().rev() {
                        stack.push(expand(*body, a, b));
                    }
                }
            }
        }
        events
    }

    /// Cuts `start..end` among a sequence's children: each takes the longest
    /// span (the shortest for GARBAGE) from which the rest can still reach `end`.
    fn split_sequence(
        &self,
        children: &[usize],
        garbage: &[bool],
        start: usize,
        end: usize,
    ) -> Vec<(usize, usize)> {
        let k = children.len();
        let w = end - start + 1;
        // can[i][p - start]: children i.. can cover p..end.
        let mut can = vec![false; (k + 1) * w];
        can[k * w + (end - start)] = true;
        for i in (0..k).rev() {
            for p in start..=end {
                // Every end in the chart lies at or after its start, so q - start cannot underflow.
                let reaches = self.ends(children[i], p).iter().any(|&q| {
                    let q = q as usize;
                    q <= end && can[(i + 1) * w + (q - start)]
                });
                can[i * w + (p - start)] = reaches;
            }
        }
        let mut spans = Vec::with_capacity(k);
        let mut p = start;
        for i in 0..k {
            let mut fits = self
                .ends(children[i], p)
                .iter()
                .map(|&q| q as usize)
                .filter(|&q| q <= end && can[(i + 1) * w + (q - start)]);
            let q = if garbage[i] {
                fits.next()
            } else {
                fits.next_back()
            };
            let q = q.unwrap_or(end);
            spans.push((p, q));
            p = q;
        }
        spans
    }

    /// Cuts `start..end` into a repeat's iterations: as many non-empty ones
    /// as needed, each as long as possible, then empty ones up to `min` when
    /// the body can match nothing.
    fn split_repeat(
        &self,
        body: usize,
        min: u32,
        max: Option<u32>,
        start: usize,
        end: usize,
    ) -> Vec<(usize, usize)> {
        let (lo, hi) = repeat_bounds(self.linked, body, min, max, end - start);
        let w = end - start + 1;
        // counts[p - start]: how many non-empty iterations can go from p to end (bit k: k iterations).
        let mut counts = vec![0u128; w];
        counts[w - 1] = 1;
        for p in (start..end).rev() {
            let mut c = 0u128;
            for &q in self.ends(body, p) {
                let q = q as usize;
                if q > p && q <= end {
                    c |= counts[q - start] << 1;
                }
            }
            counts[p - start] = c;
        }
        let allowed = |k: usize| k >= lo && k <= hi;
        let feasible = |mask: u128, done: usize| {
            (0..128usize).any(|k| mask & (1u128 << k) != 0 && allowed(done + k))
        };
        let mut spans = Vec::new();
        let mut p = start;
        while p < end {
            let done = spans.len() + 1;
            let q = self
                .ends(body, p)
                .iter()
                .map(|&q| q as usize)
                .rfind(|&q| q > p && q <= end && feasible(counts[q - start], done));
            let Some(q) = q else { break };
            spans.push((p, q));
            p = q;
        }
        while spans.len() < min as usize {
            spans.push((end, end));
        }
        spans
    }
}

/// The allowed numbers of non-empty iterations of a repeat over `room`
/// tokens: when the body can match nothing, fewer than `min` non-empty ones
/// are made up with empty ones.
fn repeat_bounds(
    linked: &Linked,
    body: usize,
    min: u32,
    max: Option<u32>,
    room: usize,
) -> (usize, usize) {
    let lo = if linked.analysis.nullable[body] {
        0
    } else {
        min as usize
    };
    let hi = max.map_or(usize::MAX, |m| m as usize).min(room);
    (lo, hi)
}
